#include "services/chat/service/room_tails.hpp"

#include <algorithm>
#include <cassert>

namespace bartab::chat {

RoomTails::RoomTails(std::int64_t boot_mark, std::size_t per_room, std::size_t total)
    : boot_mark_(boot_mark), per_room_(per_room), total_(total) {
  assert(per_room_ > 0 && total_ >= per_room_ && "tail bounds must hold at least one room's tail");
}

void RoomTails::append(EventPtr event) {
  auto [it, created] = tails_.try_emplace(event->room_id);
  auto& tail = it->second;
  if (created) tail.floor = boot_mark_;
  assert((tail.events.empty() || tail.events.back()->pos < event->pos) && "events arrive in stream order");
  if (!tail.events.empty()) by_activity_.erase(tail.events.back()->pos);
  by_activity_.emplace(event->pos, event->room_id);
  tail.events.push_back(std::move(event));
  ++held_;
  if (tail.events.size() > per_room_) {
    tail.floor = tail.events.front()->pos;
    tail.events.pop_front();
    --held_;
  }
  while (held_ > total_) trim_oldest_room();
}

void RoomTails::trim_oldest_room() {
  auto oldest = by_activity_.begin();
  auto& tail = tails_.at(oldest->second);
  tail.floor = tail.events.back()->pos;
  held_ -= tail.events.size();
  tail.events.clear();
  by_activity_.erase(oldest);
}

void RoomTails::redact(const std::string& room_id, const std::string& event_id,
                       const std::string& redacted_by) {
  auto it = tails_.find(room_id);
  if (it == tails_.end()) return;
  for (auto& held : it->second.events) {
    if (held->event_id != event_id) continue;
    auto erased = std::make_shared<Event>(*held);
    erased->content = "{}";
    erased->redacted_by = redacted_by;
    held = std::move(erased);
    return;
  }
}

std::optional<std::vector<EventPtr>> RoomTails::between(const std::string& room_id, std::int64_t after_pos,
                                                        std::int64_t upto_pos, std::size_t limit) const {
  auto it = tails_.find(room_id);
  auto floor = it == tails_.end() ? boot_mark_ : it->second.floor;
  if (after_pos < floor) return std::nullopt;
  std::vector<EventPtr> out;
  if (it == tails_.end()) return out;
  const auto& events = it->second.events;
  auto first = std::upper_bound(events.begin(), events.end(), after_pos,
                                [](std::int64_t pos, const EventPtr& e) { return pos < e->pos; });
  for (auto e = first; e != events.end() && (*e)->pos <= upto_pos && out.size() < limit; ++e) out.push_back(*e);
  return out;
}

}  // namespace bartab::chat
