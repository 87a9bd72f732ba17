// Blocking work (password hashing, fsync, image decoding) off the HTTP threads: the
// work runs on a pool, and the awaiting coroutine resumes on its own executor with the
// result or the exception the work threw.
//
// Not `co_await asio::post(pool, use_awaitable)`: that resumes the coroutine on its own
// executor again, so the work would still run on the caller's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace bartab::core {

template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work>> run_on(boost::asio::thread_pool& pool, Work work) {
  using Result = std::invoke_result_t<Work>;
  // Named before the co_await: GCC 12 destroys some co_await temporaries twice.
  auto operation = boost::asio::co_spawn(
      pool,
      [work = std::move(work)]() mutable -> boost::asio::awaitable<Result> {
        if constexpr (std::is_void_v<Result>) {
          work();
          co_return;
        } else {
          co_return work();
        }
      },
      boost::asio::use_awaitable);
  co_return co_await std::move(operation);
}

}  // namespace bartab::core
