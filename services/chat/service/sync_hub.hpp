// The chat service's live state, shared by every long poll: the stream's high-water
// mark, the room tails, cached memberships and room summaries, typing notices, and
// the waiters to wake. The store's thread publishes each commit here before any
// writer hears it is durable, so the mark only ever names committed positions.
//
// Ordering rule (DESIGN.md): a poll registers its waiter, then reads the mark; a
// publish updates the mark, then wakes waiters, both under one lock. No wake-up is
// lost between a poll's read and its wait.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "services/chat/service/room_tails.hpp"
#include "services/chat/service/sync_window.hpp"
#include "services/chat/service/typing_board.hpp"
#include "services/chat/store/chat_store.hpp"

namespace bartab::chat {

// What memory knows of one user: every membership (with the position that set it),
// read markers, and the position of the last member event about them.
struct UserView {
  std::map<std::string, Membership> rooms;
  std::map<std::string, std::int64_t> read;  // room -> message count at the marker
  std::int64_t last_change = 0;
};

// One long poll's wake-up: fired from any thread, awaited on the poll's executor.
class Waiter : public std::enable_shared_from_this<Waiter> {
 public:
  explicit Waiter(const boost::asio::any_io_executor& executor) : timer_(executor) {}
  void fire();
  bool fired() const { return fired_.load(); }
  // Returns when fired or at the deadline.
  boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);

 private:
  friend class SyncHub;
  boost::asio::steady_timer timer_;
  std::atomic<bool> fired_{false};
  std::vector<std::string> rooms_;  // where it is registered, for unwatch
  std::string user_;
};

struct HubOptions {
  std::size_t tail_per_room = 512;
  std::size_t tail_total = 20000;
};

class SyncHub {
 public:
  SyncHub(std::int64_t boot_mark, HubOptions options);

  // --- on the store's thread -------------------------------------------------------
  // A committed batch: extend tails, mark and caches, then wake whoever it concerns.
  void publish(const Changes& changes);
  // Cache fills, done on the store's thread so they cannot miss a publish.
  void install_view(const std::string& user_id, UserView view);
  void install_room(const std::string& room_id, RoomInfo info);

  // --- from any thread -------------------------------------------------------------
  std::int64_t mark() const;
  bool has_view(const std::string& user_id) const;
  // The user's current membership in a room, from memory (nullopt: none or no view).
  std::optional<Membership> cached_membership(const std::string& user_id, const std::string& room_id) const;

  // Registers a waiter for the user and every room they are joined to (the view must
  // be installed). While draining the waiter comes back fired.
  std::shared_ptr<Waiter> watch(const std::string& user_id, const boost::asio::any_io_executor& executor);
  void unwatch(const std::shared_ptr<Waiter>& waiter);

  // compute_window from memory, at the current mark; nullopt when memory cannot
  // answer and the caller must go to the store.
  std::optional<SyncWindow> window_from_memory(const std::string& user_id, std::int64_t after,
                                               std::uint64_t after_typing, std::size_t limit);

  // Typing: returns false when nothing changed. Wakes the room's polls on a change.
  bool set_typing(const std::string& room_id, const std::string& user_id, bool typing, std::int64_t now_ms,
                  std::int64_t timeout_ms);
  void expire_typing(std::int64_t now_ms);
  std::uint64_t typing_serial() const;
  std::uint64_t typing_changed_at(const std::string& room_id) const;
  std::vector<std::string> typing(const std::string& room_id) const;

  // SIGTERM: every held poll answers now, and new ones do not wait.
  void drain();
  bool draining() const { return draining_.load(); }

  std::size_t waiting() const;

 private:
  class MemorySource;
  void apply(const Event& e);
  void wake_room(const std::string& room_id);
  void wake_user(const std::string& user_id);
  static void wake_all(std::unordered_set<Waiter*>& waiters);

  mutable std::mutex mutex_;
  std::int64_t mark_;
  RoomTails tails_;
  TypingBoard typing_;
  std::unordered_map<std::string, UserView> views_;
  std::unordered_map<std::string, RoomInfo> rooms_;
  std::unordered_map<std::string, std::unordered_set<Waiter*>> by_room_;
  std::unordered_map<std::string, std::unordered_set<Waiter*>> by_user_;
  std::atomic<bool> draining_{false};
};

}  // namespace bartab::chat
