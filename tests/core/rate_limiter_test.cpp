#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace bartab::core {
namespace {

TEST(RateLimiter, AllowsUpToTheLimitPerWindowThenSaysHowLongToWait) {
  ManualClock clock(1'000'000);
  RateLimiter limiter(clock, 3, 60'000);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.retry_after("a"));
    limiter.hit("a");
    clock.advance_ms(10'000);
  }
  auto wait = limiter.retry_after("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 30) << "the first hit leaves the window 60 s after it happened";
  EXPECT_FALSE(limiter.retry_after("b")) << "keys are independent";
  clock.advance_ms(30'000);
  EXPECT_FALSE(limiter.retry_after("a"));
}

TEST(RateLimiter, ClearForgetsAKey) {
  ManualClock clock;
  RateLimiter limiter(clock, 1, 1000);
  limiter.hit("k");
  EXPECT_TRUE(limiter.retry_after("k"));
  limiter.clear("k");
  EXPECT_FALSE(limiter.retry_after("k"));
}

TEST(RateLimiter, ManyKeysArePruned) {
  ManualClock clock;
  RateLimiter limiter(clock, 2, 1000);
  for (int i = 0; i < 5000; ++i) limiter.hit("key" + std::to_string(i));
  clock.advance_ms(2000);
  for (int i = 0; i < 2048; ++i) limiter.hit("fresh");
  EXPECT_FALSE(limiter.retry_after("key1"));
}

}  // namespace
}  // namespace bartab::core
