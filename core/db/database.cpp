#include "core/db/database.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>

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
