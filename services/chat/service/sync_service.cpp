#include "services/chat/service/sync_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/coro.hpp"
#include "core/errors.hpp"
#include "services/chat/service/chat_service.hpp"

namespace bartab::chat {

namespace asio = boost::asio;
using core::tokens::AccessClaims;

namespace {

constexpr std::size_t kMaxLimit = 500;
constexpr std::int64_t kMaxTypingMs = 120000;
constexpr auto kTypingSweep = std::chrono::milliseconds(500);

RoomInfo load_room_info(ChatStore& s, const std::string& room_id) {
  auto room = s.room(room_id);
  if (!room) return {};
  return RoomInfo{room->name, room->topic, s.joined_count(room_id), room->messages};
}

UserView load_view(ChatStore& s, const std::string& user_id) {
  UserView view;
  for (auto& m : s.rooms_of(user_id)) {
    view.last_change = std::max(view.last_change, m.since_pos);
    if (auto r = s.receipt(m.room_id, user_id)) view.read[m.room_id] = r->messages;
    view.rooms.emplace(m.room_id, std::move(m));
  }
  return view;
}

std::vector<EventPtr> shared(std::vector<Event> events) {
  std::vector<EventPtr> out;
  out.reserve(events.size());
  for (auto& e : events) out.push_back(std::make_shared<const Event>(std::move(e)));
  return out;
}

// compute_window's view of the store (on the store's thread); it warms the hub's
// caches as it goes, so the next window of this user can come from memory.
class StoreSource final : public SyncSource {
 public:
  StoreSource(ChatStore& store, SyncHub& hub) : s_(store), hub_(hub) {}

  std::vector<Membership> memberships(const std::string& user_id) override { return s_.rooms_of(user_id); }
  std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after,
                                      std::int64_t upto) override {
    return s_.member_events_of(user_id, after, upto);
  }
  std::optional<std::string> membership_at(const std::string& room_id, const std::string& user_id,
                                           std::int64_t pos) override {
    return s_.membership_at(room_id, user_id, pos);
  }
  std::vector<EventPtr> events_between(const std::string& room_id, std::int64_t after, std::int64_t upto,
                                       std::size_t limit) override {
    return shared(s_.events_between(room_id, after, upto, limit));
  }
  RoomInfo room_info(const std::string& room_id) override {
    auto info = load_room_info(s_, room_id);
    hub_.install_room(room_id, info);
    return info;
  }
  std::int64_t read_marker(const std::string& room_id, const std::string& user_id) override {
    auto r = s_.receipt(room_id, user_id);
    return r ? r->messages : 0;
  }
  std::uint64_t typing_serial() override { return hub_.typing_serial(); }
  std::uint64_t typing_changed_at(const std::string& room_id) override { return hub_.typing_changed_at(room_id); }
  std::vector<std::string> typing(const std::string& room_id) override { return hub_.typing(room_id); }

 private:
  ChatStore& s_;
  SyncHub& hub_;
};

// Unregisters a poll's waiter however the poll ends.
struct WatchGuard {
  SyncHub& hub;
  std::shared_ptr<Waiter> waiter;
  ~WatchGuard() { hub.unwatch(waiter); }
};

}  // namespace

SyncService::SyncService(StoreRunner& store, SyncHub& hub, SyncTokens tokens, const core::Clock& clock)
    : store_(store), hub_(hub), tokens_(std::move(tokens)), clock_(clock) {}

asio::awaitable<SyncAnswer> SyncService::sync(AccessClaims caller, SyncRequest request) {
  if (!caller.has_scope("chat")) core::throw_forbidden("the token lacks the chat scope");
  if (request.limit && (*request.limit == 0 || *request.limit > kMaxLimit))
    core::throw_bad_request("limit is 1 to 500");
  if (!request.since) co_return co_await snapshot(caller.sub, request.limit.value_or(20));

  auto from = tokens_.parse(*request.since);
  if (!from) core::throw_bad_request("the since token is not one this server issued");
  if (from->pos > hub_.mark()) core::throw_bad_request("the since token is ahead of the stream");
  auto limit = request.limit.value_or(100);
  co_await ensure_view(caller.sub);
  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    // Register first, then read: a commit landing in between fires this waiter.
    WatchGuard guard{hub_, hub_.watch(caller.sub, executor)};
    auto found = co_await window(caller.sub, *from, limit);
    if (!found.empty()) co_return SyncAnswer{tokens_.issue({found.next, found.typing}), std::move(found)};
    bool out_of_time = request.timeout.count() == 0 || std::chrono::steady_clock::now() >= deadline;
    if (out_of_time || hub_.draining()) co_return SyncAnswer{*request.since, {}};
    co_await guard.waiter->wait_until(deadline);
  }
}

asio::awaitable<SyncWindow> SyncService::window(const std::string& user_id, SyncPosition from,
                                                std::size_t limit) {
  if (auto held = hub_.window_from_memory(user_id, from.pos, from.typing, limit)) co_return std::move(*held);
  SyncWindow found;
  auto op = store_.read([&](ChatStore& s) {
    StoreSource source(s, hub_);
    found = compute_window(source, user_id, from.pos, from.typing, hub_.mark(), limit);
  });
  co_await std::move(op);
  co_return found;
}

asio::awaitable<SyncAnswer> SyncService::snapshot(const std::string& user_id, std::size_t limit) {
  SyncWindow snap;
  auto op = store_.read([&](ChatStore& s) {
    // On the store's thread the mark is exactly what the database holds.
    snap.next = hub_.mark();
    snap.typing = hub_.typing_serial();
    for (const auto& m : s.rooms_of(user_id)) {
      if (m.membership == "invite") {
        snap.invites.emplace(m.room_id, InviteUpdate{m.inviter.value_or(""), load_room_info(s, m.room_id).name});
        continue;
      }
      if (m.membership != "join") continue;
      RoomUpdate update{"join", shared(s.latest_events(m.room_id, snap.next, limit))};
      update.summary = load_room_info(s, m.room_id);
      hub_.install_room(m.room_id, update.summary);
      auto marker = s.receipt(m.room_id, user_id);
      update.unread = std::max<std::int64_t>(0, update.summary.messages - (marker ? marker->messages : 0));
      update.typing = hub_.typing(m.room_id);
      if (!update.events.empty() && update.events.front()->seq > 1) {
        update.limited = true;
        update.prev_seq = update.events.front()->seq;
      }
      snap.rooms.emplace(m.room_id, std::move(update));
    }
    hub_.install_view(user_id, load_view(s, user_id));
  });
  co_await std::move(op);
  auto next = tokens_.issue({snap.next, snap.typing});
  co_return SyncAnswer{std::move(next), std::move(snap)};
}

asio::awaitable<void> SyncService::ensure_view(const std::string& user_id) {
  if (hub_.has_view(user_id)) co_return;
  auto op = store_.read([&](ChatStore& s) { hub_.install_view(user_id, load_view(s, user_id)); });
  co_await std::move(op);
}

asio::awaitable<void> SyncService::typing(AccessClaims caller, std::string room_id, bool typing,
                                          std::int64_t timeout_ms) {
  if (!caller.has_scope("chat")) core::throw_forbidden("the token lacks the chat scope");
  if (!plausible_id(room_id, "room_")) core::throw_not_found("no such room");
  if (timeout_ms <= 0) core::throw_bad_request("timeout_ms must be a positive number of milliseconds");
  co_await ensure_view(caller.sub);
  auto mine = hub_.cached_membership(caller.sub, room_id);
  if (!mine || mine->membership != "join") {
    bool visible = mine && mine->membership == "invite";
    auto op = store_.read([&](ChatStore& s) {
      auto room = s.room(room_id);
      visible = visible || (room && room->visibility == "public");
    });
    co_await std::move(op);
    if (!visible) core::throw_not_found("no such room");
    core::throw_forbidden("only members type in this room");
  }
  hub_.set_typing(room_id, caller.sub, typing, clock_.now_ms(), std::min(timeout_ms, kMaxTypingMs));
}

void SyncService::start(const asio::any_io_executor& executor) {
  sweeper_ = std::make_unique<asio::steady_timer>(executor);
  asio::co_spawn(executor, expire_typing_loop(), core::log_exceptions("chat typing expiry"));
}

void SyncService::stop() {
  if (sweeper_) asio::post(sweeper_->get_executor(), [this] { sweeper_->cancel(); });
}

asio::awaitable<void> SyncService::expire_typing_loop() {
  for (;;) {
    sweeper_->expires_after(kTypingSweep);
    boost::system::error_code ec;
    co_await sweeper_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || hub_.draining()) co_return;
    hub_.expire_typing(clock_.now_ms());
  }
}

}  // namespace bartab::chat
