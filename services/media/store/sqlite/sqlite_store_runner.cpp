#include "core/db/database.hpp"
#include "services/media/store/sqlite/sqlite_media_store.hpp"
#include "services/media/store/store_runner.hpp"

namespace bartab::media {
namespace {

class SqliteStoreRunner final : public StoreRunner {
 public:
  explicit SqliteStoreRunner(const std::string& path) : db_(path, sqlite_migrations()) {}

  boost::asio::awaitable<void> read(std::function<void(MediaStore&)> work) override {
    auto operation = core::db::run_with<SqliteMediaStore>(db_, work);
    co_await std::move(operation);
  }

  boost::asio::awaitable<void> write(std::function<void(MediaStore&)> work) override {
    std::function<void(core::db::Connection&)> task = [&work](core::db::Connection& c) {
      SqliteMediaStore store(c, /*in_transaction=*/true);  // inside the batch's transaction
      work(store);
    };
    auto operation = db_.run_batched(std::move(task));
    co_await std::move(operation);
  }

  boost::asio::awaitable<void> write_then(std::function<void(MediaStore&)> work,
                                          std::function<void(MediaStore&)> after_commit) override {
    auto task = [&work, &after_commit](core::db::Connection& c) {
      core::db::Transaction transaction(c);
      SqliteMediaStore store(c, /*in_transaction=*/true);
      work(store);
      transaction.commit();
      if (after_commit) after_commit(store);
    };
    auto operation = db_.run(task);
    co_await std::move(operation);
  }

  void run_blocking(const std::function<void(MediaStore&)>& work) override {
    core::db::run_blocking_with<SqliteMediaStore>(db_, work);
  }

  core::CheckResult check() override { return db_.check(); }

 private:
  core::db::Database db_;
};

}  // namespace

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStoreRunner>(path);
}

}  // namespace bartab::media
