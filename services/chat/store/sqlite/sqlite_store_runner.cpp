#include "core/db/database.hpp"
#include "services/chat/store/sqlite/sqlite_chat_store.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {
namespace {

class SqliteStoreRunner final : public StoreRunner {
 public:
  explicit SqliteStoreRunner(const std::string& path) : db_(path, sqlite_migrations()) {}

  boost::asio::awaitable<void> read(std::function<void(ChatStore&)> work) override {
    // Named outside the co_await: GCC 12 destroys some co_await temporaries twice.
    auto task = [&work](core::db::Connection& c) {
      SqliteChatStore store(c);
      work(store);
    };
    auto operation = db_.run(task);
    co_await std::move(operation);
  }

  boost::asio::awaitable<void> write(std::function<void(ChatStore&)> work) override {
    std::function<void(core::db::Connection&)> task = [&work](core::db::Connection& c) {
      SqliteChatStore store(c, /*in_transaction=*/true);  // inside the batch's transaction
      work(store);
    };
    auto operation = db_.run_batched(std::move(task));
    co_await std::move(operation);
  }

  void run_blocking(const std::function<void(ChatStore&)>& work) override {
    db_.run_blocking([&work](core::db::Connection& c) {
      SqliteChatStore store(c);
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

}  // namespace bartab::chat
