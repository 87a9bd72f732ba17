// Runs store work where the store lives (its database thread) and hands the result
// back to the awaiting coroutine. The service sees only AuthStore, whichever engine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/ops/health.hpp"
#include "services/auth/store/auth_store.hpp"

namespace bartab::auth {

class StoreRunner {
 public:
  virtual ~StoreRunner() = default;
  virtual boost::asio::awaitable<void> run(std::function<void(AuthStore&)> work) = 0;
  virtual void run_blocking(const std::function<void(AuthStore&)>& work) = 0;
  virtual core::CheckResult check() = 0;
};

// SQLite: one database file, one thread, one connection.
std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path);

}  // namespace bartab::auth
