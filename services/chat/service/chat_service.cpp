#include "services/chat/service/chat_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "core/errors.hpp"

namespace bartab::chat {

namespace asio = boost::asio;
namespace json = boost::json;
using core::ApiError;
using core::ErrorCode;
using core::tokens::AccessClaims;

namespace {

constexpr std::size_t kMaxName = 255;
constexpr std::size_t kMaxTopic = 1024;
constexpr std::size_t kMaxInvites = 100;
constexpr std::size_t kMaxTxnId = 128;
constexpr std::size_t kMaxContent = 64 * 1024;
constexpr std::size_t kMaxHistory = 500;

int rank(const std::string& role) {
  return role == "owner" ? 3 : role == "admin" ? 2 : 1;
}

bool joined(const std::optional<Membership>& m) {
  return m && m->membership == "join";
}

void require_scope(const AccessClaims& caller) {
  if (!caller.has_scope("chat")) core::throw_forbidden("the token lacks the chat scope");
}

std::string text_field(const json::object& content, std::string_view key, std::size_t max) {
  const auto* v = content.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty() || v->get_string().size() > max) {
    core::throw_bad_request("content." + std::string(key) + " is required (a non-empty string)");
  }
  return std::string(v->get_string());
}

// Checks a send's type and content against API.md; returns the event id it refers to
// (edits and reactions), which must exist in the same room.
std::optional<std::string> check_content(const std::string& type, const json::object& content) {
  if (type == "message") {
    text_field(content, "body", kMaxContent);
    if (const auto* f = content.if_contains("format");
        f && (!f->is_string() || f->get_string() != "markdown")) {
      core::throw_bad_request("content.format must be \"markdown\"");
    }
    if (const auto* r = content.if_contains("reply_to"); r && !r->is_string()) {
      core::throw_bad_request("content.reply_to must be an event id");
    }
    return std::nullopt;
  }
  if (type == "edit") {
    text_field(content, "body", kMaxContent);
    return text_field(content, "event_id", 128);
  }
  if (type == "reaction") {
    text_field(content, "key", 64);
    return text_field(content, "event_id", 128);
  }
  bool custom = type.size() > 2 && type.size() <= 128 && type.starts_with("x.") &&
                std::all_of(type.begin(), type.end(), [](unsigned char c) {
                  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                });
  if (!custom) core::throw_bad_request("send takes message, edit, reaction or x.* types");
  return std::nullopt;
}

std::pair<char, std::int64_t> parse_history_token(const std::string& token) {
  auto raw =
      token.size() > 1 && token[0] == 'h' ? core::crypto::base64url_decode(token.substr(1)) : std::nullopt;
  if (!raw || raw->size() < 3 || (raw->at(0) != 'b' && raw->at(0) != 'f') || raw->at(1) != ':') {
    core::throw_bad_request("the from token is not one this server issued");
  }
  std::int64_t seq = 0;
  for (char c : raw->substr(2)) {
    if (c < '0' || c > '9' || seq > (INT64_MAX - 9) / 10)
      core::throw_bad_request("the from token is malformed");
    seq = seq * 10 + (c - '0');
  }
  return {raw->at(0), seq};
}

}  // namespace

// History tokens are opaque to clients: "h" + base64url("b:SEQ" or "f:SEQ").
std::string history_token(char dir, std::int64_t seq) {
  return "h" + core::crypto::base64url_encode(std::string(1, dir) + ":" + std::to_string(seq));
}

bool plausible_id(std::string_view id, std::string_view prefix) {
  return id.size() > prefix.size() && id.size() <= 64 && id.starts_with(prefix) &&
         std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

ChatService::ChatService(StoreRunner& store, const core::Clock& clock, core::crypto::Random& random)
    : store_(store), clock_(clock), random_(random) {}

std::string ChatService::new_id(std::string_view prefix) {
  std::lock_guard lock(random_mutex_);
  return std::string(prefix) + random_.token(16);
}

NewEvent ChatService::member_event(const std::string& room_id, const std::string& sender,
                                   const std::string& user_id, const std::string& membership) {
  json::object content{{"user_id", user_id}, {"membership", membership}};
  return NewEvent{room_id,         new_id("evt_"), sender,       "member", json::serialize(content),
                  clock_.now_ms(), std::nullopt,   std::nullopt, user_id};
}

asio::awaitable<std::string> ChatService::create_room(AccessClaims caller, NewRoom request) {
  require_scope(caller);
  if (request.name.empty() || request.name.size() > kMaxName)
    core::throw_bad_request("name is 1 to 255 bytes");
  if (request.topic.size() > kMaxTopic) core::throw_bad_request("topic is at most 1024 bytes");
  if (request.visibility != "private" && request.visibility != "public") {
    core::throw_bad_request("visibility is private or public");
  }
  if (request.invites.size() > kMaxInvites) core::throw_bad_request("at most 100 invites at creation");
  for (const auto& id : request.invites) {
    if (!plausible_id(id, "usr_")) core::throw_bad_request("invite holds user ids (usr_...)");
  }
  Room room{new_id("room_"), request.name, request.topic, request.visibility, caller.sub, clock_.now_ms(), 0};
  std::vector<NewEvent> events;
  events.push_back(member_event(room.room_id, caller.sub, caller.sub, "join"));
  for (auto [key, value] : {std::pair{"name", room.name}, std::pair{"topic", room.topic},
                            std::pair{"visibility", room.visibility}}) {
    json::object content{{"key", key}, {"value", value}};
    events.push_back({room.room_id, new_id("evt_"), caller.sub, "state", json::serialize(content),
                      room.created_ms, std::nullopt, std::nullopt});
  }
  for (const auto& id : request.invites) {
    if (id != caller.sub) events.push_back(member_event(room.room_id, caller.sub, id, "invite"));
  }
  auto op = store_.write([&](ChatStore& s) {
    s.insert_room(room);
    for (const auto& e : events) {
      auto appended = s.append(e);
      if (e.type != "member") continue;
      auto target = json::parse(e.content).at("user_id").as_string();
      bool creator = target == caller.sub;
      s.put_membership({room.room_id, std::string(target), creator ? "join" : "invite",
                        creator ? "owner" : "member", appended.pos,
                        creator ? std::nullopt : std::optional<std::string>(caller.sub)});
    }
    s.put_receipt({room.room_id, caller.sub, static_cast<std::int64_t>(events.size()), 0});
  });
  co_await std::move(op);
  co_return room.room_id;
}

asio::awaitable<std::vector<RoomSummary>> ChatService::my_rooms(AccessClaims caller) {
  std::vector<RoomSummary> out;
  auto op = store_.read([&](ChatStore& s) {
    for (auto& m : s.rooms_of(caller.sub)) {
      if (m.membership != "join" && m.membership != "invite") continue;
      auto room = s.room(m.room_id);
      if (!room) continue;
      out.push_back({*room, m, s.joined_count(m.room_id), s.unread_count(m.room_id, caller.sub)});
    }
  });
  co_await std::move(op);
  co_return out;
}

asio::awaitable<std::vector<RoomSummary>> ChatService::public_rooms() {
  std::vector<RoomSummary> out;
  auto op = store_.read([&](ChatStore& s) {
    for (auto& room : s.public_rooms(kMaxHistory))
      out.push_back({room, std::nullopt, s.joined_count(room.room_id)});
  });
  co_await std::move(op);
  co_return out;
}

asio::awaitable<RoomSummary> ChatService::visible_room(const AccessClaims& caller,
                                                       const std::string& room_id) {
  require_scope(caller);
  if (!plausible_id(room_id, "room_")) core::throw_not_found("no such room");
  std::optional<RoomSummary> found;
  auto op = store_.read([&](ChatStore& s) {
    auto room = s.room(room_id);
    if (!room) return;
    found = RoomSummary{*room, s.membership(room_id, caller.sub), s.joined_count(room_id)};
  });
  co_await std::move(op);
  bool visible =
      found && (found->room.visibility == "public" ||
                (found->mine && (found->mine->membership == "join" || found->mine->membership == "invite")));
  if (!visible) core::throw_not_found("no such room");
  co_return *found;
}

asio::awaitable<RoomSummary> ChatService::room(AccessClaims caller, std::string room_id) {
  co_return co_await visible_room(caller, room_id);
}

asio::awaitable<std::vector<Membership>> ChatService::members(AccessClaims caller, std::string room_id) {
  co_await visible_room(caller, room_id);
  std::vector<Membership> out;
  auto op = store_.read([&](ChatStore& s) { out = s.members(room_id); });
  co_await std::move(op);
  co_return out;
}

asio::awaitable<void> ChatService::join(AccessClaims caller, std::string room_id) {
  require_scope(caller);
  if (!plausible_id(room_id, "room_")) core::throw_not_found("no such room");
  auto event = member_event(room_id, caller.sub, caller.sub, "join");
  auto op = store_.write([&](ChatStore& s) {
    auto room = s.room(room_id);
    if (!room) core::throw_not_found("no such room");
    auto mine = s.membership(room_id, caller.sub);
    if (mine && mine->membership == "ban") core::throw_forbidden("you are banned from this room");
    if (joined(mine)) return;  // already in: nothing to append
    bool invited = mine && mine->membership == "invite";
    if (room->visibility != "public" && !invited) core::throw_forbidden("this room needs an invite");
    auto appended = s.append(event);
    s.put_membership({room_id, caller.sub, "join", mine ? mine->role : "member", appended.pos, std::nullopt});
    // What was said before joining is history, not unread.
    s.put_receipt({room_id, caller.sub, appended.seq, room->messages});
  });
  co_await std::move(op);
}

asio::awaitable<void> ChatService::leave(AccessClaims caller, std::string room_id) {
  require_scope(caller);
  if (!plausible_id(room_id, "room_")) core::throw_not_found("no such room");
  auto event = member_event(room_id, caller.sub, caller.sub, "leave");
  auto op = store_.write([&](ChatStore& s) {
    auto mine = s.membership(room_id, caller.sub);
    if (!mine || (mine->membership != "join" && mine->membership != "invite")) {
      if (!s.room(room_id)) core::throw_not_found("no such room");
      core::throw_forbidden("you are not in this room");
    }
    auto appended = s.append(event);
    s.put_membership({room_id, caller.sub, "leave", mine->role, appended.pos, std::nullopt});
  });
  co_await std::move(op);
}

asio::awaitable<void> ChatService::invite(AccessClaims caller, std::string room_id, std::string user_id) {
  auto summary = co_await visible_room(caller, room_id);
  if (!joined(summary.mine)) core::throw_forbidden("only members invite");
  if (rank(summary.mine->role) < rank("admin"))
    core::throw_forbidden("inviting needs the admin or owner role");
  if (!plausible_id(user_id, "usr_")) core::throw_bad_request("user_id must be a user id (usr_...)");
  auto event = member_event(room_id, caller.sub, user_id, "invite");
  auto op = store_.write([&](ChatStore& s) {
    auto target = s.membership(room_id, user_id);
    if (target && target->membership == "ban") core::throw_forbidden("that user is banned from this room");
    if (target && target->membership == "join")
      throw ApiError(ErrorCode::conflict, "that user is already a member");
    if (target && target->membership == "invite") return;
    auto appended = s.append(event);
    s.put_membership(
        {room_id, user_id, "invite", target ? target->role : "member", appended.pos, caller.sub});
  });
  co_await std::move(op);
}

asio::awaitable<void> ChatService::moderate(AccessClaims caller, std::string room_id, Sanction sanction,
                                            std::string user_id, std::optional<std::string> reason) {
  auto summary = co_await visible_room(caller, room_id);
  if (!joined(summary.mine)) core::throw_forbidden("only members moderate");
  if (!plausible_id(user_id, "usr_")) core::throw_bad_request("user_id must be a user id (usr_...)");
  if (user_id == caller.sub) core::throw_bad_request("use leave to leave a room");
  if (reason && reason->size() > kMaxTopic) core::throw_bad_request("reason is at most 1024 bytes");
  auto membership = sanction == Sanction::ban ? "ban" : "leave";
  json::object content{{"user_id", user_id}, {"membership", membership}};
  if (reason) content["reason"] = *reason;
  NewEvent event{room_id,         new_id("evt_"), caller.sub,   "member", json::serialize(content),
                 clock_.now_ms(), std::nullopt,   std::nullopt, user_id};
  auto op = store_.write([&](ChatStore& s) {
    auto mine = s.membership(room_id, caller.sub);
    if (!joined(mine)) core::throw_forbidden("only members moderate");
    auto target = s.membership(room_id, user_id);
    auto target_rank = rank(target ? target->role : "member");
    if (rank(mine->role) <= target_rank || rank(mine->role) < rank("admin")) {
      core::throw_forbidden("this needs a higher role than the target's");
    }
    bool present = target && (target->membership == "join" || target->membership == "invite");
    if (sanction == Sanction::kick && !present) core::throw_not_found("that user is not in this room");
    if (sanction == Sanction::unban && (!target || target->membership != "ban")) {
      core::throw_not_found("that user is not banned here");
    }
    if (sanction == Sanction::ban && target && target->membership == "ban") return;
    auto appended = s.append(event);
    s.put_membership(
        {room_id, user_id, membership, target ? target->role : "member", appended.pos, std::nullopt});
  });
  co_await std::move(op);
}

asio::awaitable<SendResult> ChatService::set_state(AccessClaims caller, std::string room_id, std::string key,
                                                   json::value value) {
  auto summary = co_await visible_room(caller, room_id);
  if (!joined(summary.mine)) core::throw_forbidden("only members change room state");
  std::map<std::string, std::string> roles;
  if (key == "name" || key == "topic") {
    if (!value.is_string()) core::throw_bad_request("value must be a string");
    auto size = value.get_string().size();
    if (key == "name" && (size == 0 || size > kMaxName)) core::throw_bad_request("name is 1 to 255 bytes");
    if (key == "topic" && size > kMaxTopic) core::throw_bad_request("topic is at most 1024 bytes");
  } else if (key == "roles") {
    if (!value.is_object() || value.get_object().empty()) {
      core::throw_bad_request("value maps user ids to \"admin\" or \"member\"");
    }
    for (const auto& [user, role] : value.get_object()) {
      bool ok = plausible_id(user, "usr_") && role.is_string() &&
                (role.get_string() == "admin" || role.get_string() == "member");
      if (!ok) core::throw_bad_request("value maps user ids to \"admin\" or \"member\"");
      roles.emplace(std::string(user), std::string(role.get_string()));
    }
  } else {
    core::throw_bad_request("state keys are name, topic and roles");
  }
  json::object content{{"key", key}, {"value", value}};
  NewEvent event{room_id,         new_id("evt_"), caller.sub,  "state", json::serialize(content),
                 clock_.now_ms(), std::nullopt,   std::nullopt};
  SendResult result;
  auto op = store_.write([&](ChatStore& s) {
    auto mine = s.membership(room_id, caller.sub);
    if (!joined(mine)) core::throw_forbidden("only members change room state");
    bool allowed = key == "roles" ? mine->role == "owner" : rank(mine->role) >= rank("admin");
    if (!allowed)
      core::throw_forbidden(key == "roles" ? "only the owner changes roles" : "this needs the admin role");
    for (const auto& [user, role] : roles) {
      auto target = s.membership(room_id, user);
      if (!target || target->membership != "join")
        core::throw_bad_request(user + " is not a member of this room");
      if (target->role == "owner") core::throw_bad_request("the owner's role does not change");
    }
    auto appended = s.append(event);
    if (key == "roles") {
      for (const auto& [user, role] : roles) {
        auto target = *s.membership(room_id, user);
        target.role = role;
        s.put_membership(target);
      }
    } else {
      auto room = *s.room(room_id);
      s.update_room(room_id, key == "name" ? std::string(value.get_string()) : room.name,
                    key == "topic" ? std::string(value.get_string()) : room.topic);
    }
    result = {appended.event_id, appended.seq};
  });
  co_await std::move(op);
  co_return result;
}

asio::awaitable<SendResult> ChatService::send(AccessClaims caller, std::string room_id, std::string txn_id,
                                              std::string type, json::object content) {
  require_scope(caller);
  if (txn_id.empty() || txn_id.size() > kMaxTxnId ||
      std::any_of(txn_id.begin(), txn_id.end(), [](unsigned char c) { return c < 0x21 || c > 0x7e; })) {
    core::throw_bad_request("txn_id is 1 to 128 visible ASCII characters");
  }
  auto refers_to = check_content(type, content);
  auto text = json::serialize(content);
  if (text.size() > kMaxContent)
    throw ApiError(ErrorCode::payload_too_large, "content is larger than 64 KiB");
  if (!plausible_id(room_id, "room_")) core::throw_not_found("no such room");

  NewEvent event{room_id, new_id("evt_"), caller.sub, type, text, clock_.now_ms(), txn_id, caller.sid};
  SendResult result;
  auto op = store_.write([&](ChatStore& s) {
    // Idempotency first: a retry answers the first result even if membership changed.
    if (auto earlier = s.txn(caller.sid, room_id, txn_id)) {
      result = {earlier->event_id, earlier->seq};
      return;
    }
    auto room = s.room(room_id);
    auto mine = s.membership(room_id, caller.sub);
    bool visible = room && (room->visibility == "public" ||
                            (mine && (mine->membership == "join" || mine->membership == "invite")));
    if (!visible) core::throw_not_found("no such room");
    if (!joined(mine)) core::throw_forbidden("only members send to this room");
    if (refers_to) {
      auto target = s.event(*refers_to);
      if (!target || target->room_id != room_id)
        core::throw_bad_request("content.event_id is not in this room");
    }
    auto appended = s.append(event);
    s.put_txn(caller.sid, room_id, txn_id, {appended.event_id, appended.seq}, appended.ts);
    // Speaking in a room marks it read up to one's own words.
    s.put_receipt({room_id, caller.sub, appended.seq, room->messages + (type == "message" ? 1 : 0)});
    result = {appended.event_id, appended.seq};
  });
  co_await std::move(op);
  co_return result;
}

asio::awaitable<SendResult> ChatService::redact(AccessClaims caller, std::string room_id,
                                                std::string event_id, std::optional<std::string> reason) {
  auto summary = co_await visible_room(caller, room_id);
  if (!joined(summary.mine)) core::throw_forbidden("only members redact");
  if (reason && reason->size() > kMaxTopic) core::throw_bad_request("reason is at most 1024 bytes");
  if (!plausible_id(event_id, "evt_")) core::throw_not_found("no such event in this room");
  json::object content{{"event_id", event_id}};
  if (reason) content["reason"] = *reason;
  NewEvent redaction{room_id,         new_id("evt_"), caller.sub,  "redaction", json::serialize(content),
                     clock_.now_ms(), std::nullopt,   std::nullopt};
  SendResult result;
  auto op = store_.write([&](ChatStore& s) {
    auto target = s.event(event_id);
    if (!target || target->room_id != room_id) core::throw_not_found("no such event in this room");
    if (target->type == "member" || target->type == "state" || target->type == "redaction")
      core::throw_bad_request("member, state and redaction events cannot be redacted");
    if (target->redacted_by) {  // already erased: answer the redaction that did it
      auto earlier = s.event(*target->redacted_by);
      result = {earlier->event_id, earlier->seq};
      return;
    }
    auto mine = s.membership(room_id, caller.sub);
    if (!joined(mine)) core::throw_forbidden("only members redact");
    if (target->sender != caller.sub) {
      auto author = s.membership(room_id, target->sender);
      auto author_rank = rank(author ? author->role : "member");
      if (rank(mine->role) < rank("admin") || rank(mine->role) <= author_rank)
        core::throw_forbidden("redacting others' events needs a higher role than theirs (admin or up)");
    }
    auto appended = s.append(redaction);
    s.redact(event_id, appended.event_id);
    result = {appended.event_id, appended.seq};
  });
  co_await std::move(op);
  co_return result;
}

asio::awaitable<std::int64_t> ChatService::mark_read(AccessClaims caller, std::string room_id,
                                                     std::string event_id) {
  auto summary = co_await visible_room(caller, room_id);
  if (!joined(summary.mine)) core::throw_forbidden("only members keep read markers");
  if (!plausible_id(event_id, "evt_")) core::throw_bad_request("event_id must be an event of this room");
  std::int64_t unread = 0;
  auto op = store_.write([&](ChatStore& s) {
    auto target = s.event(event_id);
    if (!target || target->room_id != room_id)
      core::throw_bad_request("event_id must be an event of this room");
    auto room = *s.room(room_id);
    auto current = s.receipt(room_id, caller.sub);
    if (current && current->seq >= target->seq) {  // markers only move forward
      unread = room.messages - current->messages;
      return;
    }
    auto read = room.messages - s.messages_after(room_id, target->seq);
    s.put_receipt({room_id, caller.sub, target->seq, read});
    unread = room.messages - read;
  });
  co_await std::move(op);
  co_return std::max<std::int64_t>(0, unread);
}

asio::awaitable<HistoryPage> ChatService::history(AccessClaims caller, std::string room_id,
                                                  std::optional<std::string> from, std::string dir,
                                                  std::size_t limit) {
  if (dir != "b" && dir != "f") core::throw_bad_request("dir is b or f");
  if (limit == 0 || limit > kMaxHistory) core::throw_bad_request("limit is 1 to 500");
  auto summary = co_await visible_room(caller, room_id);
  if (summary.room.visibility != "public" && !joined(summary.mine)) {
    core::throw_forbidden("only members read this room's history");
  }
  char direction = dir[0];
  std::int64_t cursor = direction == 'b' ? INT64_MAX : 0;
  if (from) {
    auto [token_dir, seq] = parse_history_token(*from);
    if (token_dir != direction) core::throw_bad_request("the from token walks the other way");
    cursor = seq;
  }
  HistoryPage page;
  std::int64_t last_seq = 0;
  auto op = store_.read([&](ChatStore& s) {
    page.events =
        direction == 'b' ? s.events_before(room_id, cursor, limit) : s.events_after(room_id, cursor, limit);
    last_seq = s.room(room_id)->last_seq;
  });
  co_await std::move(op);
  if (!page.events.empty()) {
    auto edge = page.events.back().seq;
    bool more = direction == 'b' ? edge > 1 : edge < last_seq;
    if (more) page.next = history_token(direction, edge);
  }
  co_return page;
}

asio::awaitable<Event> ChatService::event(AccessClaims caller, std::string room_id, std::string event_id) {
  auto summary = co_await visible_room(caller, room_id);
  if (summary.room.visibility != "public" && !joined(summary.mine)) {
    core::throw_forbidden("only members read this room's events");
  }
  std::optional<Event> found;
  if (plausible_id(event_id, "evt_")) {
    auto op = store_.read([&](ChatStore& s) { found = s.event(event_id); });
    co_await std::move(op);
  }
  if (!found || found->room_id != room_id) core::throw_not_found("no such event in this room");
  co_return *found;
}

}  // namespace bartab::chat
