// Runs chat store work on the store's thread. Writes go through `write`, which group
// commits: concurrent writes share one transaction and one fsync, and each resumes
// its caller only after the commit.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/ops/health.hpp"
#include "services/chat/store/chat_store.hpp"

namespace bartab::chat {

class StoreRunner {
 public:
  virtual ~StoreRunner() = default;
  // Reads (and writes that need no durability guarantee), one at a time.
  virtual boost::asio::awaitable<void> read(std::function<void(ChatStore&)> work) = 0;
  // Durable writes, group committed; `work` runs inside the shared transaction.
  virtual boost::asio::awaitable<void> write(std::function<void(ChatStore&)> work) = 0;
  virtual void run_blocking(const std::function<void(ChatStore&)>& work) = 0;
  // Called on the store's thread after each group commit with what its writes
  // appended, before any writer resumes. Set once, before the first write.
  virtual void on_commit(std::function<void(Changes&)> listener) = 0;
  virtual core::CheckResult check() = 0;
};

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path);

}  // namespace bartab::chat
