// A mutex for coroutines on one thread: `co_await mutex.lock()` suspends (instead of
// blocking the thread) until the holder's guard goes away, and waiters get the lock in
// arrival order. It serialises requests on a keep-alive connection and token refreshes.
// Not thread-safe: every user runs on the same single-threaded executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>
#include <utility>

namespace bartab::sdk {

class AsyncMutex {
 public:
  // Holds the lock until destroyed (or moved from).
  class Guard {
   public:
    explicit Guard(AsyncMutex* mutex) : mutex_(mutex) {}
    Guard(Guard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (mutex_ != nullptr) mutex_->unlock();
    }

   private:
    AsyncMutex* mutex_;
  };

  explicit AsyncMutex(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  boost::asio::awaitable<Guard> lock() {
    if (!locked_) {
      locked_ = true;
      co_return Guard(this);
    }
    // Wait for unlock() to hand the lock over by cancelling this timer.
    auto timer =
        std::make_shared<boost::asio::steady_timer>(executor_, boost::asio::steady_timer::time_point::max());
    waiters_.push_back(timer);
    auto wait = timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_await std::move(wait);
    co_return Guard(this);
  }

 private:
  void unlock() {
    if (waiters_.empty()) {
      locked_ = false;
      return;
    }
    // The lock passes straight to the first waiter: locked_ stays true.
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->cancel();
  }

  boost::asio::any_io_executor executor_;
  bool locked_ = false;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace bartab::sdk
