// JSON to the SDK's typed shapes.
#include "bartab/sdk/types.hpp"

#include <stdexcept>

namespace bartab::sdk {

namespace json = boost::json;

namespace {

const json::object& as_object(const json::value& value, std::string_view what) {
  if (!value.is_object()) throw std::invalid_argument(std::string(what) + " is not a JSON object");
  return value.as_object();
}

const json::value& required(const json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (found == nullptr) throw std::invalid_argument("missing field `" + std::string(key) + "`");
  return *found;
}

std::string string_field(const json::object& object, std::string_view key) {
  const auto& value = required(object, key);
  if (!value.is_string()) throw std::invalid_argument("field `" + std::string(key) + "` is not a string");
  return std::string(value.as_string());
}

std::int64_t int_field(const json::object& object, std::string_view key) {
  const auto& value = required(object, key);
  if (value.is_int64()) return value.as_int64();
  if (value.is_uint64()) return static_cast<std::int64_t>(value.as_uint64());
  throw std::invalid_argument("field `" + std::string(key) + "` is not an integer");
}

// Optional fields: absent and null both mean "none".
std::optional<std::string> optional_string(const json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (found == nullptr || found->is_null()) return std::nullopt;
  if (!found->is_string()) throw std::invalid_argument("field `" + std::string(key) + "` is not a string");
  return std::string(found->as_string());
}

std::optional<std::int64_t> optional_int(const json::object& object, std::string_view key) {
  if (object.if_contains(key) == nullptr || object.at(key).is_null()) return std::nullopt;
  return int_field(object, key);
}

std::string string_or_empty(const json::object& object, std::string_view key) {
  return optional_string(object, key).value_or("");
}

std::int64_t int_or_zero(const json::object& object, std::string_view key) {
  return optional_int(object, key).value_or(0);
}

const json::array& array_field(const json::object& object, std::string_view key) {
  const auto& value = required(object, key);
  if (!value.is_array()) throw std::invalid_argument("field `" + std::string(key) + "` is not an array");
  return value.as_array();
}

std::vector<std::string> strings_or_empty(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  if (object.if_contains(key) == nullptr) return out;
  for (const auto& item : array_field(object, key)) {
    if (!item.is_string()) throw std::invalid_argument("`" + std::string(key) + "` holds a non-string");
    out.emplace_back(item.as_string());
  }
  return out;
}

std::vector<Event> events_of(const json::object& object) {
  std::vector<Event> events;
  for (const auto& item : array_field(object, "events")) events.push_back(event_from_json(item));
  return events;
}

SyncRoom sync_room_from_json(const json::value& value) {
  const auto& object = as_object(value, "sync room");
  SyncRoom room;
  room.membership = string_field(object, "membership");
  room.events = events_of(object);
  const auto* limited = object.if_contains("limited");
  room.limited = limited != nullptr && limited->is_bool() && limited->as_bool();
  room.prev = optional_string(object, "prev");
  room.unread = int_or_zero(object, "unread");
  room.typing = strings_or_empty(object, "typing");
  if (const auto* summary = object.if_contains("summary"); summary != nullptr && summary->is_object()) {
    room.summary = {string_or_empty(summary->as_object(), "name"),
                    string_or_empty(summary->as_object(), "topic"),
                    int_or_zero(summary->as_object(), "member_count")};
  }
  return room;
}

}  // namespace

Session session_from_json(const json::value& token_body, std::chrono::system_clock::time_point now) {
  const auto& object = as_object(token_body, "token answer");
  Session session;
  session.user_id = string_field(object, "user_id");
  session.access_token = string_field(object, "access_token");
  session.refresh_token = optional_string(object, "refresh_token");
  session.lifetime = std::chrono::seconds(int_field(object, "expires_in"));
  session.expires_at = now + session.lifetime;
  return session;
}

Event event_from_json(const json::value& value) {
  const auto& object = as_object(value, "event");
  Event event;
  event.event_id = string_field(object, "event_id");
  event.room_id = string_field(object, "room_id");
  event.seq = int_field(object, "seq");
  event.sender = string_field(object, "sender");
  event.type = string_field(object, "type");
  event.content = as_object(required(object, "content"), "content");
  event.ts = int_field(object, "ts");
  event.txn_id = optional_string(object, "txn_id");
  event.redacted_by = optional_string(object, "redacted_by");
  return event;
}

SendResult send_result_from_json(const json::value& value) {
  const auto& object = as_object(value, "send answer");
  return {string_field(object, "event_id"), int_field(object, "seq")};
}

RoomInfo room_from_json(const json::value& value) {
  const auto& object = as_object(value, "room");
  RoomInfo room;
  room.room_id = string_field(object, "room_id");
  room.name = string_or_empty(object, "name");
  room.topic = string_or_empty(object, "topic");
  room.visibility = string_or_empty(object, "visibility");
  room.membership = optional_string(object, "membership");
  room.role = optional_string(object, "role");
  room.member_count = int_or_zero(object, "member_count");
  room.unread = int_or_zero(object, "unread");
  return room;
}

Member member_from_json(const json::value& value) {
  const auto& object = as_object(value, "member");
  return {string_field(object, "user_id"), string_field(object, "membership"),
          optional_string(object, "role")};
}

HistoryPage history_from_json(const json::value& value) {
  const auto& object = as_object(value, "history page");
  return {events_of(object), optional_string(object, "next")};
}

SyncResponse sync_from_json(const json::value& value) {
  const auto& object = as_object(value, "sync answer");
  SyncResponse sync;
  sync.next = string_field(object, "next");
  if (const auto* rooms = object.if_contains("rooms"); rooms != nullptr) {
    for (const auto& [room_id, room] : as_object(*rooms, "rooms"))
      sync.rooms.emplace(std::string(room_id), sync_room_from_json(room));
  }
  if (const auto* invites = object.if_contains("invites"); invites != nullptr) {
    for (const auto& [room_id, invite] : as_object(*invites, "invites")) {
      const auto& entry = as_object(invite, "invite");
      sync.invites.emplace(
          std::string(room_id),
          Invite{std::string(room_id), string_or_empty(entry, "inviter"), string_or_empty(entry, "name")});
    }
  }
  sync.left = strings_or_empty(object, "left");
  return sync;
}

MediaInfo media_from_json(const json::value& value) {
  const auto& object = as_object(value, "media");
  MediaInfo media;
  media.media_id = string_field(object, "media_id");
  media.content_type = string_field(object, "content_type");
  media.size = int_field(object, "size");
  media.sha256 = string_field(object, "sha256");
  media.width = optional_int(object, "width");
  media.height = optional_int(object, "height");
  return media;
}

Profile profile_from_json(const json::value& value) {
  const auto& object = as_object(value, "profile");
  Profile profile;
  profile.user_id = string_field(object, "user_id");
  profile.username = string_or_empty(object, "username");
  profile.display_name = string_or_empty(object, "display_name");
  profile.kind = string_or_empty(object, "kind");
  const auto* admin = object.if_contains("admin");
  profile.admin = admin != nullptr && admin->is_bool() && admin->as_bool();
  profile.scopes = strings_or_empty(object, "scopes");
  return profile;
}

}  // namespace bartab::sdk
