// One SQLite database served by one dedicated thread that owns its only connection.
// Every read and write of the database runs there, one at a time: that is the single
// writer DESIGN.md asks for (no two connections ever write or checkpoint at once), and
// coroutines on the HTTP threads await the result without blocking.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/db/sqlite.hpp"
#include "core/ops/health.hpp"

namespace bartab::core::db {

class Database {
 public:
  // Opens the file and applies the migrations before returning (failing fast).
  Database(const std::string& path, const std::vector<Migration>& migrations);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `work(Connection&)` on the database thread; the awaiting coroutine resumes on
  // its own executor with the result or the exception `work` threw.
  template <class Work>
  boost::asio::awaitable<std::invoke_result_t<Work, Connection&>> run(Work work) {
    using Result = std::invoke_result_t<Work, Connection&>;
    return boost::asio::co_spawn(
        context_,
        [this, work = std::move(work)]() mutable -> boost::asio::awaitable<Result> {
          if constexpr (std::is_void_v<Result>) {
            work(connection_);
            co_return;
          } else {
            co_return work(connection_);
          }
        },
        boost::asio::use_awaitable);
  }

  // The same, blocking the calling thread (command-line tools, start-up, tests).
  template <class Work>
  std::invoke_result_t<Work, Connection&> run_blocking(Work work) {
    using Result = std::invoke_result_t<Work, Connection&>;
    std::packaged_task<Result()> task([this, &work] { return work(connection_); });
    auto result = task.get_future();
    boost::asio::post(context_, [&task] { task(); });
    return result.get();
  }

  // Readiness: the database answers a trivial query.
  CheckResult check();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  Connection connection_;
  boost::asio::io_context context_{1};
  std::thread thread_;
};

}  // namespace bartab::core::db
