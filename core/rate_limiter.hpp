// Sliding-window rate limiting by key (a client address, a username): at most `limit`
// counted events per `window`. Memory is bounded: idle keys are pruned as events come.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace bartab::core {

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, std::uint32_t limit, std::int64_t window_ms)
      : clock_(clock), limit_(limit), window_ms_(window_ms) {}

  // Seconds until the key may act again, or nullopt when it may act now.
  std::optional<std::int64_t> retry_after(const std::string& key);
  // Counts one event for the key.
  void hit(const std::string& key);
  void clear(const std::string& key);

 private:
  void prune(std::int64_t now);

  const Clock& clock_;
  std::uint32_t limit_;
  std::int64_t window_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<std::int64_t>> events_;
  std::uint64_t hits_since_prune_ = 0;
};

}  // namespace bartab::core
