// What one user may see of the log between two stream positions: the pure part of
// `/v1/sync`. It reads through a SyncSource, answered either from memory (the hot
// path: room tails and cached memberships) or from the store (cold windows), so both
// paths give the same answer by construction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/chat/service/room_tails.hpp"
#include "services/chat/store/chat_store.hpp"

namespace bartab::chat {

struct RoomInfo {
  std::string name;
  std::string topic;
  std::int64_t member_count = 0;
  std::int64_t messages = 0;  // running count of `message` events
};

class SyncSource {
 public:
  // Thrown by a source that cannot answer (memory that does not reach back far
  // enough); the caller retries the whole window against the store.
  struct Unavailable {};

  virtual ~SyncSource() = default;
  // The user's current memberships, with the position of the event that set each.
  virtual std::vector<Membership> memberships(const std::string& user_id) = 0;
  // Member events about the user with pos in (after, upto], ascending.
  virtual std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after,
                                              std::int64_t upto) = 0;
  virtual std::optional<std::string> membership_at(const std::string& room_id, const std::string& user_id,
                                                   std::int64_t pos) = 0;
  virtual std::vector<EventPtr> events_between(const std::string& room_id, std::int64_t after,
                                               std::int64_t upto, std::size_t limit) = 0;
  virtual RoomInfo room_info(const std::string& room_id) = 0;
  // The room's message count at the user's read marker.
  virtual std::int64_t read_marker(const std::string& room_id, const std::string& user_id) = 0;

  virtual std::uint64_t typing_serial() = 0;
  virtual std::uint64_t typing_changed_at(const std::string& room_id) = 0;
  virtual std::vector<std::string> typing(const std::string& room_id) = 0;
};

struct RoomUpdate {
  std::string membership;
  std::vector<EventPtr> events;
  bool limited = false;
  std::optional<std::int64_t> prev_seq;  // history continues below this seq
  RoomInfo summary;
  std::int64_t unread = 0;
  std::vector<std::string> typing;
};

struct InviteUpdate {
  std::string inviter;
  std::string name;
};

struct SyncWindow {
  std::int64_t next = 0;
  std::uint64_t typing = 0;
  std::map<std::string, RoomUpdate> rooms;
  std::map<std::string, InviteUpdate> invites;
  std::vector<std::string> left;
  bool empty() const { return rooms.empty() && invites.empty() && left.empty(); }
};

// Everything the user may see with pos in (after, mark] (at most `limit` events per
// room; `next` stops early so nothing is skipped) plus typing changes since
// `after_typing`. Membership is followed through the window: events of a room count
// only while the user is joined, from their join event to their leave event inclusive.
SyncWindow compute_window(SyncSource& source, const std::string& user_id, std::int64_t after,
                          std::uint64_t after_typing, std::int64_t mark, std::size_t limit);

}  // namespace bartab::chat
