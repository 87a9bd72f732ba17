#include "core/db/database.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>

#include <algorithm>

namespace bartab::core::db {

Database::Database(const std::string& path, const std::vector<Migration>& migrations)
    : path_(path), connection_(path) {
  migrate(connection_, migrations);
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(context_);
    context_.run();
  });
}

Database::~Database() {
  context_.stop();
  if (thread_.joinable()) thread_.join();
}

void Database::enqueue(std::function<void(Connection&)> work, std::function<void(std::exception_ptr)> done) {
  boost::asio::post(context_, [this, work = std::move(work), done = std::move(done)]() mutable {
    pending_.push_back({std::move(work), std::move(done)});
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    // Posted behind every enqueue already waiting, so they all join this batch.
    boost::asio::post(context_, [this] { flush(); });
  });
}

void Database::flush() {
  flush_scheduled_ = false;
  auto batch = std::move(pending_);
  pending_.clear();
  std::vector<std::exception_ptr> errors(batch.size());
  std::exception_ptr commit_error;
  try {
    Transaction tx(connection_);
    // Prepared once and reused: re-parsing these per work was a measurable share of
    // a small send.
    auto step = [this](const char* sql) { connection_.cached(sql)->run(); };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      step("SAVEPOINT work");
      try {
        batch[i].work(connection_);
        step("RELEASE work");
      } catch (...) {
        errors[i] = std::current_exception();
        step("ROLLBACK TO work");
        step("RELEASE work");
      }
    }
    tx.commit();
  } catch (...) {
    commit_error = std::current_exception();
  }
  if (commit_hook_) commit_hook_(!commit_error);
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.batches;
    stats_.works += batch.size();
    stats_.largest = std::max<std::uint64_t>(stats_.largest, batch.size());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(commit_error ? commit_error : errors[i]);
}

Database::BatchStats Database::batch_stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

CheckResult Database::check() {
  // Shared: if the database thread is stuck the wait below gives up, and the promise
  // must outlive this call for when the thread gets to it.
  auto promise = std::make_shared<std::promise<CheckResult>>();
  auto future = promise->get_future();
  boost::asio::post(context_, [this, promise] {
    try {
      auto q = connection_.cached("SELECT 1");
      q->step();
      promise->set_value({});
    } catch (const std::exception& e) {
      promise->set_value({false, e.what()});
    }
  });
  // A database thread stuck for a second is as good as down for readiness.
  if (future.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
    return {false, "the database did not answer within a second"};
  }
  return future.get();
}

}  // namespace bartab::core::db
