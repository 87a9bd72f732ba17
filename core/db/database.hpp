// One SQLite database served by one dedicated thread that owns its only connection.
// Every read and write of the database runs there, one at a time: that is the single
// writer DESIGN.md asks for (no two connections ever write or checkpoint at once), and
// coroutines on the HTTP threads await the result without blocking.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
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

  // Group commit: `work(Connection&)` runs on the database thread inside a
  // transaction shared with every other batched work queued meanwhile, each in its own
  // savepoint (a failing work is rolled back alone and rethrows to its caller). The
  // awaiting coroutine resumes only after the shared COMMIT, so a completed call is
  // durable; if the COMMIT fails, every call of the batch fails. Results travel through
  // what `work` captures.
  boost::asio::awaitable<void> run_batched(std::function<void(Connection&)> work) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [this](auto handler, std::function<void(Connection&)> body) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          enqueue(std::move(body), [shared](std::exception_ptr error) {
            auto executor = boost::asio::get_associated_executor(*shared);
            boost::asio::post(executor, [shared, error]() mutable { (*shared)(error); });
          });
        },
        boost::asio::use_awaitable, std::move(work));
  }

  // Runs on the database thread after every batch's COMMIT (true) or failed COMMIT
  // (false), before any caller of the batch resumes: what the batch wrote can be
  // published to memory before anyone hears it is durable. Set before the first write.
  void on_commit(std::function<void(bool committed)> hook) { commit_hook_ = std::move(hook); }

  struct BatchStats {
    std::uint64_t batches = 0;
    std::uint64_t works = 0;
    std::uint64_t largest = 0;
  };
  BatchStats batch_stats() const;

  // Readiness: the database answers a trivial query.
  CheckResult check();
  const std::string& path() const { return path_; }

 private:
  struct Pending {
    std::function<void(Connection&)> work;
    std::function<void(std::exception_ptr)> done;
  };
  void enqueue(std::function<void(Connection&)> work, std::function<void(std::exception_ptr)> done);
  void flush();

  std::string path_;
  Connection connection_;
  // Touched only on the database thread.
  std::vector<Pending> pending_;
  bool flush_scheduled_ = false;
  std::function<void(bool)> commit_hook_;
  mutable std::mutex stats_mutex_;
  BatchStats stats_;
  boost::asio::io_context context_{1};
  std::thread thread_;
};

// For a service's store runner: runs `work` on the database thread with a `Store` (a
// store class constructed from the Connection) standing for its `Interface`.
template <class Store, class Interface>
boost::asio::awaitable<void> run_with(Database& db, const std::function<void(Interface&)>& work) {
  auto task = [&work](Connection& c) {
    Store store(c);
    work(store);
  };
  // Named outside the co_await: GCC 12 destroys some co_await temporaries twice.
  auto operation = db.run(task);
  co_await std::move(operation);
}

// The same, blocking the calling thread.
template <class Store, class Interface>
void run_blocking_with(Database& db, const std::function<void(Interface&)>& work) {
  db.run_blocking([&work](Connection& c) {
    Store store(c);
    work(store);
  });
}

}  // namespace bartab::core::db
