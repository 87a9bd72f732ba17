// The chat service's HTTP routes. Each handler: authenticate, parse into a typed
// request, call one ChatService method, map the result.
#include "services/chat/api/routes.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "core/errors.hpp"
#include "core/json.hpp"
#include "core/tokens/bearer.hpp"

namespace bartab::chat {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using boost::asio::awaitable;
using core::http::Request;
using core::http::Response;

namespace {

using core::required_string;

// A string field with a default for absent or null.
std::string string_or(const json::object& body, std::string_view key, std::string fallback) {
  return core::optional_string(body, key).value_or(std::move(fallback));
}

// A non-negative integer query parameter; nullopt when absent, 400 when malformed.
std::optional<std::size_t> number_param(const Request& r, std::string_view name) {
  auto text = r.query(name);
  if (!text) return std::nullopt;
  std::size_t n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (text->empty() || ec != std::errc{} || ptr != text->data() + text->size())
    core::throw_bad_request(std::string(name) + " must be a non-negative integer");
  return n;
}

std::size_t limit_of(const Request& r, std::size_t fallback) {
  return number_param(r, "limit").value_or(fallback);
}

// Sync's timeout: default 30 s; longer requests are held for the 60 s maximum.
std::chrono::milliseconds sync_timeout(const Request& r) {
  auto ms = number_param(r, "timeout").value_or(30000);
  return std::chrono::milliseconds(std::min<std::size_t>(ms, 60000));
}

json::object event_json(const Event& e, const std::string& viewer) {
  json::object out{{"event_id", e.event_id},
                   {"room_id", e.room_id},
                   {"seq", e.seq},
                   {"sender", e.sender},
                   {"type", e.type},
                   {"content", json::parse(e.content)},
                   {"ts", e.ts}};
  if (e.txn_id && e.sender == viewer) out["txn_id"] = *e.txn_id;
  if (e.redacted_by) out["redacted_by"] = *e.redacted_by;
  return out;
}

json::object sync_room_json(const RoomUpdate& room, const std::string& viewer) {
  json::array events;
  for (const auto& e : room.events) events.push_back(event_json(*e, viewer));
  json::array typing;
  for (const auto& user : room.typing) typing.push_back(json::string(user));
  json::object out{{"membership", room.membership},
                   {"events", std::move(events)},
                   {"limited", room.limited},
                   {"unread", room.unread},
                   {"typing", std::move(typing)},
                   {"summary",
                    {{"name", room.summary.name},
                     {"topic", room.summary.topic},
                     {"member_count", room.summary.member_count}}}};
  if (room.prev_seq) out["prev"] = history_token('b', *room.prev_seq);
  return out;
}

json::object sync_json(const SyncAnswer& answer, const std::string& viewer) {
  json::object rooms;
  for (const auto& [room_id, room] : answer.window.rooms) rooms[room_id] = sync_room_json(room, viewer);
  json::object invites;
  for (const auto& [room_id, invite] : answer.window.invites)
    invites[room_id] = {{"inviter", invite.inviter}, {"name", invite.name}};
  json::array left;
  for (const auto& room_id : answer.window.left) left.push_back(json::string(room_id));
  return {{"next", answer.next},
          {"rooms", std::move(rooms)},
          {"invites", std::move(invites)},
          {"left", std::move(left)}};
}

json::object summary_json(const RoomSummary& s) {
  json::object out{{"room_id", s.room.room_id},      {"name", s.room.name},
                   {"topic", s.room.topic},          {"visibility", s.room.visibility},
                   {"member_count", s.member_count}, {"creator", s.room.creator}};
  out["membership"] = s.mine ? json::value(s.mine->membership) : json::value(nullptr);
  out["role"] = s.mine && s.mine->membership == "join" ? json::value(s.mine->role) : json::value(nullptr);
  return out;
}

// The three moderation routes differ only in the sanction.
core::http::RouteSpec moderation_route(std::string pattern, ChatService::Sanction sanction, ChatService& s,
                                       core::tokens::TokenVerifier& v) {
  return {bhttp::verb::post, std::move(pattern), [&s, &v, sanction](Request& r) -> awaitable<Response> {
            auto caller = co_await core::tokens::authenticate(r, v);
            auto body = r.json_object();
            auto room_id = std::string(r.param("room_id"));
            co_await s.moderate(caller, room_id, sanction, required_string(body, "user_id"),
                                core::optional_string(body, "reason"));
            co_return core::http::json_response(200, {{"room_id", room_id}});
          }};
}

}  // namespace

std::vector<core::http::RouteSpec> chat_routes(ChatService& service, SyncService& sync,
                                               core::tokens::TokenVerifier& verifier) {
  auto& s = service;
  auto& v = verifier;
  using V = bhttp::verb;
  return {
      // POST /v1/rooms: a new room; the creator is its owner.
      {V::post, "/v1/rooms",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         NewRoom room{required_string(body, "name"),
                      string_or(body, "topic", ""),
                      string_or(body, "visibility", "private"),
                      {}};
         if (const auto* invites = body.if_contains("invite"); invites && !invites->is_null()) {
           if (!invites->is_array()) core::throw_bad_request("invite must be an array of user ids");
           for (const auto& id : invites->get_array()) {
             if (!id.is_string()) core::throw_bad_request("invite must be an array of user ids");
             room.invites.emplace_back(id.get_string());
           }
         }
         auto room_id = co_await s.create_room(caller, std::move(room));
         co_return core::http::json_response(201, {{"room_id", room_id}});
       }},

      // GET /v1/rooms: the rooms the caller is in or invited to.
      {V::get, "/v1/rooms",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto mine = co_await s.my_rooms(caller);
         json::array rooms;
         for (const auto& room : mine) {
           auto entry = summary_json(room);
           entry["unread"] = room.unread;
           rooms.push_back(std::move(entry));
         }
         co_return core::http::json_response(200, {{"rooms", rooms}});
       }},

      // GET /v1/rooms/public: the public directory.
      {V::get, "/v1/rooms/public",
       [&s, &v](Request& r) -> awaitable<Response> {
         co_await core::tokens::authenticate(r, v);
         auto listed = co_await s.public_rooms();
         json::array rooms;
         for (const auto& room : listed) {
           rooms.push_back({{"room_id", room.room.room_id},
                            {"name", room.room.name},
                            {"topic", room.room.topic},
                            {"member_count", room.member_count}});
         }
         co_return core::http::json_response(200, {{"rooms", rooms}});
       }},

      // GET /v1/rooms/{room_id}: summary and state; 404 when the caller cannot see it.
      {V::get, "/v1/rooms/{room_id}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto room = co_await s.room(caller, std::string(r.param("room_id")));
         co_return core::http::json_response(200, summary_json(room));
       }},

      // GET /v1/rooms/{room_id}/members: memberships and roles.
      {V::get, "/v1/rooms/{room_id}/members",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto members = co_await s.members(caller, std::string(r.param("room_id")));
         json::array out;
         for (const auto& m : members) {
           out.push_back({{"user_id", m.user_id}, {"membership", m.membership}, {"role", m.role}});
         }
         co_return core::http::json_response(200, {{"members", out}});
       }},

      // POST /v1/rooms/{room_id}/join: public rooms, or with an invite; 403 when banned.
      {V::post, "/v1/rooms/{room_id}/join",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto room_id = std::string(r.param("room_id"));
         co_await s.join(caller, room_id);
         co_return core::http::json_response(200, {{"room_id", room_id}});
       }},

      // POST /v1/rooms/{room_id}/leave: leave (or decline an invite).
      {V::post, "/v1/rooms/{room_id}/leave",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto room_id = std::string(r.param("room_id"));
         co_await s.leave(caller, room_id);
         co_return core::http::json_response(200, {{"room_id", room_id}});
       }},

      // POST /v1/rooms/{room_id}/invite: admins and the owner invite a user.
      {V::post, "/v1/rooms/{room_id}/invite",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         auto room_id = std::string(r.param("room_id"));
         co_await s.invite(caller, room_id, required_string(body, "user_id"));
         co_return core::http::json_response(200, {{"room_id", room_id}});
       }},

      // POST /v1/rooms/{room_id}/kick, /ban, /unban: needs a higher role than the target.
      moderation_route("/v1/rooms/{room_id}/kick", ChatService::Sanction::kick, s, v),
      moderation_route("/v1/rooms/{room_id}/ban", ChatService::Sanction::ban, s, v),
      moderation_route("/v1/rooms/{room_id}/unban", ChatService::Sanction::unban, s, v),

      // PUT /v1/rooms/{room_id}/state/{key}: name and topic (admin), roles (owner).
      {V::put, "/v1/rooms/{room_id}/state/{key}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         const auto* value = body.if_contains("value");
         if (value == nullptr) core::throw_bad_request("value is required");
         auto set = co_await s.set_state(caller, std::string(r.param("room_id")), std::string(r.param("key")),
                                         *value);
         co_return core::http::json_response(200, {{"event_id", set.event_id}, {"seq", set.seq}});
       }},

      // PUT /v1/rooms/{room_id}/send/{txn_id}: append an event, once per (session, room, txn_id).
      {V::put, "/v1/rooms/{room_id}/send/{txn_id}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         auto type = required_string(body, "type");
         const auto* content = body.if_contains("content");
         if (content == nullptr || !content->is_object())
           core::throw_bad_request("content is required (an object)");
         auto sent = co_await s.send(caller, std::string(r.param("room_id")), std::string(r.param("txn_id")),
                                     std::move(type), content->get_object());
         co_return core::http::json_response(200, {{"event_id", sent.event_id}, {"seq", sent.seq}});
       }},

      // GET /v1/rooms/{room_id}/events?from&dir&limit: history, newest first by default.
      {V::get, "/v1/rooms/{room_id}/events",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto page = co_await s.history(caller, std::string(r.param("room_id")), r.query("from"),
                                        r.query("dir").value_or("b"), limit_of(r, 50));
         json::array events;
         for (const auto& e : page.events) events.push_back(event_json(e, caller.sub));
         json::object out{{"events", events}};
         if (page.next) out["next"] = *page.next;
         co_return core::http::json_response(200, out);
       }},

      // POST /v1/rooms/{room_id}/events/{event_id}/redact: erase an event, keep its place.
      {V::post, "/v1/rooms/{room_id}/events/{event_id}/redact",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto reason =
             r.message.body().empty() ? std::nullopt : core::optional_string(r.json_object(), "reason");
         auto done = co_await s.redact(caller, std::string(r.param("room_id")),
                                       std::string(r.param("event_id")), std::move(reason));
         co_return core::http::json_response(200, {{"event_id", done.event_id}, {"seq", done.seq}});
       }},

      // POST /v1/rooms/{room_id}/receipt: move the caller's read marker forward.
      {V::post, "/v1/rooms/{room_id}/receipt",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         auto room_id = std::string(r.param("room_id"));
         auto event_id = required_string(body, "event_id");
         auto unread = co_await s.mark_read(caller, room_id, event_id);
         co_return core::http::json_response(
             200, {{"room_id", room_id}, {"event_id", event_id}, {"unread", unread}});
       }},

      // PUT /v1/rooms/{room_id}/typing: start or stop a typing notice (in memory, expiring).
      {V::put, "/v1/rooms/{room_id}/typing",
       [&sync, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto body = r.json_object();
         const auto* typing = body.if_contains("typing");
         if (typing == nullptr || !typing->is_bool())
           core::throw_bad_request("typing is required (true or false)");
         std::int64_t timeout_ms = 30000;
         if (const auto* t = body.if_contains("timeout_ms"); t && !t->is_null()) {
           if (!t->is_int64() && !t->is_uint64()) core::throw_bad_request("timeout_ms must be an integer");
           timeout_ms = t->is_int64() ? t->get_int64() : INT64_MAX;
         }
         auto room_id = std::string(r.param("room_id"));
         co_await sync.typing(caller, room_id, typing->get_bool(), timeout_ms);
         co_return core::http::json_response(200, {{"room_id", room_id}});
       }},

      // GET /v1/sync?since&timeout&limit: snapshot, or what changed after the token
      // (waiting up to timeout ms for something to change).
      {V::get, "/v1/sync",
       [&sync, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         SyncRequest request{r.query("since"), sync_timeout(r), number_param(r, "limit")};
         auto answer = co_await sync.sync(caller, std::move(request));
         co_return core::http::json_response(200, sync_json(answer, caller.sub));
       }},

      // GET /v1/rooms/{room_id}/events/{event_id}: one event.
      {V::get, "/v1/rooms/{room_id}/events/{event_id}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto e = co_await s.event(caller, std::string(r.param("room_id")), std::string(r.param("event_id")));
         co_return core::http::json_response(200, event_json(e, caller.sub));
       }},
  };
}

}  // namespace bartab::chat
