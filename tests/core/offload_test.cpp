// core::run_on: the work runs on the pool's thread, and the caller resumes on its own
// thread with the result or the exception.
#include "core/offload.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <stdexcept>
#include <thread>

namespace bartab::core {
namespace {

namespace asio = boost::asio;

template <class T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  auto result = asio::co_spawn(io, std::move(task), asio::use_future);
  io.run();
  return result.get();
}

TEST(RunOn, TheWorkRunsOnThePoolAndTheCallerResumesOnItsOwnThread) {
  asio::io_context io;
  asio::thread_pool pool(1);
  auto caller = std::this_thread::get_id();
  std::thread::id worker, resumed;
  auto task = [&]() -> asio::awaitable<int> {
    auto working = run_on(pool, [&] {
      worker = std::this_thread::get_id();
      return 42;
    });
    int answer = co_await std::move(working);
    resumed = std::this_thread::get_id();
    co_return answer;
  };
  EXPECT_EQ(run(io, task()), 42);
  EXPECT_NE(worker, caller) << "blocking work must leave the caller's thread";
  EXPECT_EQ(resumed, caller);
  pool.join();
}

TEST(RunOn, TheWorksExceptionReachesTheCallerOnItsOwnThread) {
  asio::io_context io;
  asio::thread_pool pool(1);
  auto caller = std::this_thread::get_id();
  std::thread::id caught_on;
  auto task = [&]() -> asio::awaitable<void> {
    auto failing = run_on(pool, [] { throw std::runtime_error("disk full"); });
    try {
      co_await std::move(failing);
    } catch (const std::runtime_error& e) {
      caught_on = std::this_thread::get_id();
      EXPECT_STREQ(e.what(), "disk full");
    }
  };
  run(io, task());
  EXPECT_EQ(caught_on, caller);
  pool.join();
}

}  // namespace
}  // namespace bartab::core
