// Who is typing in which room: in memory only, each notice expiring on its own. Every
// change (start, stop, expiry) bumps a serial, so a long poll can tell which rooms'
// lists changed since the serial its token carries. A room keeps its small entry once
// someone typed there (its last change must stay answerable). Not thread-safe: the
// sync hub guards it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bartab::chat {

class TypingBoard {
 public:
  // Starts (until now_ms + timeout_ms) or stops a user's notice; true when the room's
  // list changed (a refreshed timeout alone is no change).
  bool set(const std::string& room_id, const std::string& user_id, bool typing, std::int64_t now_ms,
           std::int64_t timeout_ms);
  // Drops expired notices; returns the rooms whose lists changed.
  std::vector<std::string> expire(std::int64_t now_ms);

  std::vector<std::string> typing(const std::string& room_id) const;
  std::uint64_t serial() const { return serial_; }
  // The serial of the room's last change (0: never changed in this run).
  std::uint64_t changed_at(const std::string& room_id) const;

 private:
  struct Room {
    std::map<std::string, std::int64_t> until;  // user -> expiry (ms)
    std::uint64_t changed = 0;
  };
  void touch(Room& room) { room.changed = ++serial_; }

  std::map<std::string, Room> rooms_;
  std::uint64_t serial_ = 0;
};

}  // namespace bartab::chat
