#include "services/chat/service/sync_window.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace bartab::chat {

namespace {

struct Transition {
  std::int64_t pos;
  std::string membership;
  std::string sender;
};

// One room as the window sees it: the membership before the window, its changes
// inside it, and the visible events.
struct RoomTrack {
  std::string before;
  std::vector<Transition> changes;
  std::vector<EventPtr> events;
};

std::string membership_of(const Event& member_event) {
  auto content = boost::json::parse(member_event.content);
  const auto* m = content.as_object().if_contains("membership");
  return m && m->is_string() ? std::string(m->get_string()) : "leave";
}

std::map<std::string, RoomTrack> track_rooms(SyncSource& source, const std::string& user_id,
                                             std::int64_t after, std::int64_t mark) {
  std::map<std::string, RoomTrack> rooms;
  for (const auto& e : source.member_events_of(user_id, after, mark))
    rooms[e.room_id].changes.push_back({e.pos, membership_of(e), e.sender});
  for (const auto& m : source.memberships(user_id)) {
    if (m.since_pos <= after && !rooms.contains(m.room_id)) {
      rooms[m.room_id].before = m.membership;
      continue;
    }
    rooms[m.room_id];  // its state before the window is read from the log below
  }
  for (auto& [room_id, track] : rooms) {
    if (!track.before.empty()) continue;
    track.before = source.membership_at(room_id, user_id, after).value_or("leave");
  }
  return rooms;
}

// The spans (exclusive low, inclusive high] of the window in which the user is joined.
std::vector<std::pair<std::int64_t, std::int64_t>> joined_spans(const RoomTrack& track, std::int64_t after,
                                                                std::int64_t mark) {
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  std::optional<std::int64_t> open;
  if (track.before == "join") open = after;
  for (const auto& change : track.changes) {
    if (change.membership == "join") {
      if (!open) open = change.pos - 1;  // the join event itself is visible
      continue;
    }
    if (open) spans.emplace_back(*open, change.pos);  // so is the leave, kick or ban
    open.reset();
  }
  if (open) spans.emplace_back(*open, mark);
  return spans;
}

void fetch_events(SyncSource& source, const std::string& room_id, RoomTrack& track, std::int64_t after,
                  std::int64_t mark, std::size_t limit) {
  for (auto [low, high] : joined_spans(track, after, mark)) {
    if (track.events.size() > limit) return;
    auto part = source.events_between(room_id, low, high, limit + 1 - track.events.size());
    track.events.insert(track.events.end(), part.begin(), part.end());
  }
}

// Where this answer ends: at the limit-th event of the busiest room, so the next
// request continues right after it and no room skips anything.
std::int64_t cut(const std::map<std::string, RoomTrack>& rooms, std::int64_t mark, std::size_t limit) {
  std::int64_t next = mark;
  for (const auto& [room_id, track] : rooms) {
    if (track.events.size() > limit) next = std::min(next, track.events[limit - 1]->pos);
  }
  return next;
}

struct Outcome {
  std::string membership;
  bool present_before = false;  // joined or invited at some point up to `next`
  bool joined_inside = false;
  const Transition* invite = nullptr;
  bool changed = false;
};

Outcome outcome(const RoomTrack& track, std::int64_t next) {
  Outcome o{track.before, track.before == "join" || track.before == "invite"};
  for (const auto& change : track.changes) {
    if (change.pos > next) break;
    o.changed = true;
    o.membership = change.membership;
    if (change.membership == "join" && track.before != "join") o.joined_inside = true;
    if (change.membership == "join" || change.membership == "invite") o.present_before = true;
    if (change.membership == "invite") o.invite = &change;
  }
  return o;
}

RoomUpdate room_update(SyncSource& source, const std::string& room_id, const std::string& user_id,
                       const Outcome& o, std::vector<EventPtr> events) {
  RoomUpdate update{o.membership, std::move(events)};
  update.summary = source.room_info(room_id);
  if (o.membership == "join") {
    update.unread = std::max<std::int64_t>(0, update.summary.messages - source.read_marker(room_id, user_id));
    update.typing = source.typing(room_id);
  }
  // A room joined inside the window starts at the join: older history is one
  // back-pagination away.
  if (o.joined_inside && !update.events.empty() && update.events.front()->seq > 1) {
    update.limited = true;
    update.prev_seq = update.events.front()->seq;
  }
  return update;
}

}  // namespace

SyncWindow compute_window(SyncSource& source, const std::string& user_id, std::int64_t after,
                          std::uint64_t after_typing, std::int64_t mark, std::size_t limit) {
  auto rooms = track_rooms(source, user_id, after, mark);
  for (auto& [room_id, track] : rooms) fetch_events(source, room_id, track, after, mark, limit);
  SyncWindow window;
  window.next = cut(rooms, mark, limit);
  window.typing = source.typing_serial();
  for (auto& [room_id, track] : rooms) {
    std::erase_if(track.events, [&](const EventPtr& e) { return e->pos > window.next; });
    auto o = outcome(track, window.next);
    bool typing_changed = o.membership == "join" && source.typing_changed_at(room_id) > after_typing;
    if (!track.events.empty() || typing_changed)
      window.rooms.emplace(room_id, room_update(source, room_id, user_id, o, std::move(track.events)));
    if (o.invite && o.membership == "invite")
      window.invites.emplace(room_id, InviteUpdate{o.invite->sender, source.room_info(room_id).name});
    if (o.changed && o.present_before && (o.membership == "leave" || o.membership == "ban"))
      window.left.push_back(room_id);
  }
  return window;
}

}  // namespace bartab::chat
