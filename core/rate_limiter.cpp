#include "core/rate_limiter.hpp"

namespace bartab::core {

std::optional<std::int64_t> RateLimiter::retry_after(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = events_.find(key);
  if (it == events_.end()) return std::nullopt;
  auto now = clock_.now_ms();
  auto& q = it->second;
  while (!q.empty() && q.front() <= now - window_ms_) q.pop_front();
  if (q.size() < limit_) return std::nullopt;
  // The oldest event in the window leaves it first.
  auto wait_ms = q.front() + window_ms_ - now;
  return std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
}

void RateLimiter::hit(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto now = clock_.now_ms();
  auto& q = events_[key];
  q.push_back(now);
  while (q.size() > limit_) q.pop_front();
  if (++hits_since_prune_ >= 1024) prune(now);
}

void RateLimiter::clear(const std::string& key) {
  std::lock_guard lock(mutex_);
  events_.erase(key);
}

void RateLimiter::prune(std::int64_t now) {
  hits_since_prune_ = 0;
  for (auto it = events_.begin(); it != events_.end();) {
    if (it->second.empty() || it->second.back() <= now - window_ms_) {
      it = events_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace bartab::core
