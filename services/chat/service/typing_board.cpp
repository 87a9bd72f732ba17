#include "services/chat/service/typing_board.hpp"

namespace bartab::chat {

bool TypingBoard::set(const std::string& room_id, const std::string& user_id, bool typing,
                      std::int64_t now_ms, std::int64_t timeout_ms) {
  if (!typing) {
    auto room = rooms_.find(room_id);
    if (room == rooms_.end() || room->second.until.erase(user_id) == 0) return false;
    touch(room->second);
    return true;
  }
  auto& room = rooms_[room_id];
  bool added = room.until.insert_or_assign(user_id, now_ms + timeout_ms).second;
  if (added) touch(room);
  return added;
}

std::vector<std::string> TypingBoard::expire(std::int64_t now_ms) {
  std::vector<std::string> changed;
  for (auto& [room_id, room] : rooms_) {
    auto before = room.until.size();
    std::erase_if(room.until, [now_ms](const auto& entry) { return entry.second <= now_ms; });
    if (room.until.size() == before) continue;
    touch(room);
    changed.push_back(room_id);
  }
  return changed;
}

std::vector<std::string> TypingBoard::typing(const std::string& room_id) const {
  std::vector<std::string> out;
  auto room = rooms_.find(room_id);
  if (room == rooms_.end()) return out;
  for (const auto& [user, until] : room->second.until) out.push_back(user);
  return out;
}

std::uint64_t TypingBoard::changed_at(const std::string& room_id) const {
  auto room = rooms_.find(room_id);
  return room == rooms_.end() ? 0 : room->second.changed;
}

}  // namespace bartab::chat
