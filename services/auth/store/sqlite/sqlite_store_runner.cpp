#include "core/db/database.hpp"
#include "services/auth/store/sqlite/sqlite_auth_store.hpp"
#include "services/auth/store/store_runner.hpp"

namespace bartab::auth {
namespace {

class SqliteStoreRunner final : public StoreRunner {
 public:
  explicit SqliteStoreRunner(const std::string& path) : db_(path, sqlite_migrations()) {}

  boost::asio::awaitable<void> run(std::function<void(AuthStore&)> work) override {
    // Built outside the co_await expression: GCC 12 destroys some temporaries of a
    // co_await full-expression twice.
    auto task = [&work](core::db::Connection& c) {
      SqliteAuthStore store(c);
      work(store);
    };
    auto operation = db_.run(task);
    co_await std::move(operation);
  }

  void run_blocking(const std::function<void(AuthStore&)>& work) override {
    db_.run_blocking([&work](core::db::Connection& c) {
      SqliteAuthStore store(c);
      work(store);
    });
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
