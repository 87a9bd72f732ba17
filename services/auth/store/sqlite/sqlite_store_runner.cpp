#include "core/db/database.hpp"
#include "services/auth/store/sqlite/sqlite_auth_store.hpp"
#include "services/auth/store/store_runner.hpp"

namespace bartab::auth {
namespace {

class SqliteStoreRunner final : public StoreRunner {
 public:
  explicit SqliteStoreRunner(const std::string& path) : db_(path, sqlite_migrations()) {}

  boost::asio::awaitable<void> run(std::function<void(AuthStore&)> work) override {
    auto operation = core::db::run_with<SqliteAuthStore>(db_, work);
    co_await std::move(operation);
  }

  void run_blocking(const std::function<void(AuthStore&)>& work) override {
    core::db::run_blocking_with<SqliteAuthStore>(db_, work);
  }

  core::CheckResult check() override { return db_.check(); }

 private:
  core::db::Database db_;
};

}  // namespace

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStoreRunner>(path);
}

}  // namespace bartab::auth
