// The recent end of each room's log, in memory, so N members long-polling one room
// cost one database write and no reads. Bounded per room and in total; a room whose
// tail was trimmed remembers the position below which memory no longer answers, and
// callers fall back to the store there. Not thread-safe: the sync hub guards it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/chat/store/chat_store.hpp"

namespace bartab::chat {

using EventPtr = std::shared_ptr<const Event>;

class RoomTails {
 public:
  // `boot_mark`: the stream position when the process started; memory holds nothing
  // below it.
  RoomTails(std::int64_t boot_mark, std::size_t per_room, std::size_t total);

  // Events arrive in stream order, after their commit.
  void append(EventPtr event);
  // Replaces a held event by its redacted form (content {}, redacted_by).
  void redact(const std::string& room_id, const std::string& event_id, const std::string& redacted_by);
  // The room's events with pos in (after_pos, upto_pos], ascending, at most `limit`;
  // nullopt when memory no longer holds every event of the room after `after_pos`.
  std::optional<std::vector<EventPtr>> between(const std::string& room_id, std::int64_t after_pos,
                                               std::int64_t upto_pos, std::size_t limit) const;
  std::size_t held() const { return held_; }

 private:
  struct Tail {
    std::deque<EventPtr> events;
    std::int64_t floor = 0;  // every event of the room above this position is held
  };
  void trim_oldest_room();

  std::unordered_map<std::string, Tail> tails_;
  // Rooms by their newest event's position: the least recently active is trimmed first.
  std::map<std::int64_t, std::string> by_activity_;
  std::int64_t boot_mark_;
  std::size_t per_room_;
  std::size_t total_;
  std::size_t held_ = 0;
};

}  // namespace bartab::chat
