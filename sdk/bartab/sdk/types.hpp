// The typed shapes of the HTTP API (API.md) the SDK hands out, and their parsing from
// the server's JSON. Parsing is strict on the fields the contract promises and
// tolerant of fields it adds later.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bartab::sdk {

// Who the client acts as, and the tokens to do it with.
struct Session {
  std::string user_id;
  std::string access_token;
  std::optional<std::string> refresh_token;  // absent for bots (client credentials)
  std::chrono::system_clock::time_point expires_at;
  std::chrono::seconds lifetime{0};  // expires_in when the token was issued
};

struct Event {
  std::string event_id;
  std::string room_id;
  std::int64_t seq = 0;
  std::string sender;
  std::string type;
  boost::json::object content;
  std::int64_t ts = 0;
  std::optional<std::string> txn_id;       // on the caller's own events
  std::optional<std::string> redacted_by;  // on redacted events (content is then {})
};

struct SendResult {
  std::string event_id;
  std::int64_t seq = 0;
};

struct RoomInfo {
  std::string room_id;
  std::string name;
  std::string topic;
  std::string visibility;                 // absent in the public directory
  std::optional<std::string> membership;  // the caller's
  std::optional<std::string> role;
  std::int64_t member_count = 0;
  std::int64_t unread = 0;
};

struct Member {
  std::string user_id;
  std::string membership;
  std::optional<std::string> role;
};

struct HistoryPage {
  std::vector<Event> events;
  std::optional<std::string> next;  // absent at the end
};

struct RoomSummary {
  std::string name;
  std::string topic;
  std::int64_t member_count = 0;
};

struct SyncRoom {
  std::string membership;
  std::vector<Event> events;
  bool limited = false;
  std::optional<std::string> prev;
  std::int64_t unread = 0;
  std::vector<std::string> typing;
  RoomSummary summary;
};

struct Invite {
  std::string room_id;
  std::string inviter;
  std::string name;
};

struct SyncResponse {
  std::string next;
  std::map<std::string, SyncRoom> rooms;
  std::map<std::string, Invite> invites;
  std::vector<std::string> left;
};

struct MediaInfo {
  std::string media_id;
  std::string content_type;
  std::int64_t size = 0;
  std::string sha256;
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
};

struct Profile {
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string kind;  // "user" or "bot"
  bool admin = false;
  std::vector<std::string> scopes;
};

struct BotCredentials {
  std::string user_id;
  std::string api_key;
};

// Parsing; each throws std::invalid_argument naming the field that is missing or of the
// wrong type.
Session session_from_json(const boost::json::value& token_body,
                          std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
Event event_from_json(const boost::json::value& value);
SendResult send_result_from_json(const boost::json::value& value);
RoomInfo room_from_json(const boost::json::value& value);
Member member_from_json(const boost::json::value& value);
HistoryPage history_from_json(const boost::json::value& value);
SyncResponse sync_from_json(const boost::json::value& value);
MediaInfo media_from_json(const boost::json::value& value);
Profile profile_from_json(const boost::json::value& value);

}  // namespace bartab::sdk
