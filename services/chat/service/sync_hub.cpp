#include "services/chat/service/sync_hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace bartab::chat {

namespace asio = boost::asio;

void Waiter::fire() {
  if (fired_.exchange(true)) return;
  // The timer belongs to the poll's executor; cancel it there. A cancel that lands
  // before the wait starts is harmless: the poll checks `fired_` first.
  asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

asio::awaitable<void> Waiter::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (fired_.load()) co_return;
  timer_.expires_at(deadline);
  boost::system::error_code ignored;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// compute_window's view of memory; the hub's lock is held throughout.
class SyncHub::MemorySource final : public SyncSource {
 public:
  explicit MemorySource(SyncHub& hub) : hub_(hub) {}

  std::vector<Membership> memberships(const std::string& user_id) override {
    std::vector<Membership> out;
    for (const auto& [room_id, m] : view(user_id).rooms) out.push_back(m);
    return out;
  }
  std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after, std::int64_t) override {
    if (view(user_id).last_change > after) throw Unavailable{};
    return {};
  }
  std::optional<std::string> membership_at(const std::string&, const std::string&, std::int64_t) override {
    throw Unavailable{};
  }
  std::vector<EventPtr> events_between(const std::string& room_id, std::int64_t after, std::int64_t upto,
                                       std::size_t limit) override {
    auto held = hub_.tails_.between(room_id, after, upto, limit);
    if (!held) throw Unavailable{};
    return std::move(*held);
  }
  RoomInfo room_info(const std::string& room_id) override {
    auto it = hub_.rooms_.find(room_id);
    if (it == hub_.rooms_.end()) throw Unavailable{};
    return it->second;
  }
  std::int64_t read_marker(const std::string& room_id, const std::string& user_id) override {
    const auto& read = view(user_id).read;
    auto it = read.find(room_id);
    return it == read.end() ? 0 : it->second;
  }
  std::uint64_t typing_serial() override { return hub_.typing_.serial(); }
  std::uint64_t typing_changed_at(const std::string& room_id) override {
    return hub_.typing_.changed_at(room_id);
  }
  std::vector<std::string> typing(const std::string& room_id) override {
    return hub_.typing_.typing(room_id);
  }

 private:
  const UserView& view(const std::string& user_id) {
    auto it = hub_.views_.find(user_id);
    if (it == hub_.views_.end()) throw Unavailable{};
    return it->second;
  }
  SyncHub& hub_;
};

SyncHub::SyncHub(std::int64_t boot_mark, HubOptions options)
    : mark_(boot_mark), tails_(boot_mark, options.tail_per_room, options.tail_total) {}

void SyncHub::publish(const Changes& changes) {
  std::lock_guard lock(mutex_);
  for (const auto& e : changes.events) apply(e);
  for (const auto& r : changes.receipts) {
    if (auto view = views_.find(r.user_id); view != views_.end()) view->second.read[r.room_id] = r.messages;
  }
  for (const auto& e : changes.events) {
    wake_room(e.room_id);
    if (e.target) wake_user(*e.target);
  }
}

// One committed event: the mark, the room's tail, and the caches it touches.
void SyncHub::apply(const Event& e) {
  mark_ = std::max(mark_, e.pos);
  tails_.append(std::make_shared<const Event>(e));
  auto room = rooms_.find(e.room_id);
  if (e.type == "message" && room != rooms_.end()) ++room->second.messages;
  // Only the room's structure changes caches; the common message needs no parsing.
  if (e.type != "member" && e.type != "state" && e.type != "redaction") return;
  auto content = boost::json::parse(e.content);
  const auto& fields = content.as_object();
  auto text = [&fields](std::string_view key) -> std::string {
    const auto* v = fields.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (e.type == "redaction") tails_.redact(e.room_id, text("event_id"), e.event_id);
  if (e.type == "state" && room != rooms_.end()) {
    if (text("key") == "name") room->second.name = text("value");
    if (text("key") == "topic") room->second.topic = text("value");
  }
  if (e.type != "member" || !e.target) return;
  if (room != rooms_.end()) rooms_.erase(room);  // its member count changed: reload it
  auto membership = text("membership");
  if (membership != "join") typing_.set(e.room_id, *e.target, false, 0, 0);
  auto view = views_.find(*e.target);
  if (view == views_.end()) return;
  auto& mine = view->second.rooms[e.room_id];
  mine.room_id = e.room_id;
  mine.user_id = *e.target;
  mine.membership = membership;
  mine.since_pos = e.pos;
  view->second.last_change = std::max(view->second.last_change, e.pos);
}

void SyncHub::install_view(const std::string& user_id, UserView view) {
  std::lock_guard lock(mutex_);
  views_.try_emplace(user_id, std::move(view));
}

void SyncHub::install_room(const std::string& room_id, RoomInfo info) {
  std::lock_guard lock(mutex_);
  rooms_.try_emplace(room_id, std::move(info));
}

std::int64_t SyncHub::mark() const {
  std::lock_guard lock(mutex_);
  return mark_;
}

bool SyncHub::has_view(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return views_.contains(user_id);
}

std::optional<Membership> SyncHub::cached_membership(const std::string& user_id,
                                                     const std::string& room_id) const {
  std::lock_guard lock(mutex_);
  auto view = views_.find(user_id);
  if (view == views_.end()) return std::nullopt;
  auto m = view->second.rooms.find(room_id);
  if (m == view->second.rooms.end()) return std::nullopt;
  return m->second;
}

std::shared_ptr<Waiter> SyncHub::watch(const std::string& user_id, const asio::any_io_executor& executor) {
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->user_ = user_id;
  std::lock_guard lock(mutex_);
  if (draining_) {
    waiter->fired_ = true;
    return waiter;
  }
  by_user_[user_id].insert(waiter.get());
  if (auto view = views_.find(user_id); view != views_.end()) {
    for (const auto& [room_id, m] : view->second.rooms) {
      if (m.membership != "join") continue;
      by_room_[room_id].insert(waiter.get());
      waiter->rooms_.push_back(room_id);
    }
  }
  return waiter;
}

void SyncHub::unwatch(const std::shared_ptr<Waiter>& waiter) {
  std::lock_guard lock(mutex_);
  auto drop = [&](auto& index, const std::string& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(waiter.get());
    if (it->second.empty()) index.erase(it);
  };
  drop(by_user_, waiter->user_);
  for (const auto& room_id : waiter->rooms_) drop(by_room_, room_id);
}

std::optional<SyncWindow> SyncHub::window_from_memory(const std::string& user_id, std::int64_t after,
                                                      std::uint64_t after_typing, std::size_t limit) {
  std::lock_guard lock(mutex_);
  MemorySource source(*this);
  try {
    return compute_window(source, user_id, after, after_typing, mark_, limit);
  } catch (const SyncSource::Unavailable&) {
    return std::nullopt;
  }
}

bool SyncHub::set_typing(const std::string& room_id, const std::string& user_id, bool typing,
                         std::int64_t now_ms, std::int64_t timeout_ms) {
  std::lock_guard lock(mutex_);
  if (!typing_.set(room_id, user_id, typing, now_ms, timeout_ms)) return false;
  wake_room(room_id);
  return true;
}

void SyncHub::expire_typing(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  for (const auto& room_id : typing_.expire(now_ms)) wake_room(room_id);
}

std::uint64_t SyncHub::typing_serial() const {
  std::lock_guard lock(mutex_);
  return typing_.serial();
}

std::uint64_t SyncHub::typing_changed_at(const std::string& room_id) const {
  std::lock_guard lock(mutex_);
  return typing_.changed_at(room_id);
}

std::vector<std::string> SyncHub::typing(const std::string& room_id) const {
  std::lock_guard lock(mutex_);
  return typing_.typing(room_id);
}

void SyncHub::drain() {
  std::lock_guard lock(mutex_);
  draining_ = true;
  for (auto& [user, waiters] : by_user_) wake_all(waiters);
  for (auto& [room, waiters] : by_room_) wake_all(waiters);
}

std::size_t SyncHub::waiting() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [user, waiters] : by_user_) n += waiters.size();
  return n;
}

void SyncHub::wake_room(const std::string& room_id) {
  if (auto it = by_room_.find(room_id); it != by_room_.end()) wake_all(it->second);
}

void SyncHub::wake_user(const std::string& user_id) {
  if (auto it = by_user_.find(user_id); it != by_user_.end()) wake_all(it->second);
}

// Fired waiters stay registered until their poll unwatches; firing twice is a no-op.
void SyncHub::wake_all(std::unordered_set<Waiter*>& waiters) {
  for (auto* w : waiters) w->fire();
}

}  // namespace bartab::chat
