#include "core/db/database.hpp"
#include "services/chat/store/sqlite/sqlite_chat_store.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {
namespace {

class SqliteStoreRunner final : public StoreRunner {
 public:
  explicit SqliteStoreRunner(const std::string& path) : db_(path, sqlite_migrations()) {
    db_.on_commit([this](bool committed) { hand_over(committed); });
  }

  boost::asio::awaitable<void> read(std::function<void(ChatStore&)> work) override {
    auto operation = core::db::run_with<SqliteChatStore>(db_, work);
    co_await std::move(operation);
  }

  boost::asio::awaitable<void> write(std::function<void(ChatStore&)> work) override {
    std::function<void(core::db::Connection&)> task = [this, &work](core::db::Connection& c) {
      Changes changes;
      SqliteChatStore store(c, /*in_transaction=*/true, &changes);  // inside the batch's transaction
      work(store);
      // Reached only when the work succeeded; a throwing work's savepoint is rolled
      // back and its changes never leave this frame.
      append(batch_changes_.events, changes.events);
      append(batch_changes_.receipts, changes.receipts);
    };
    auto operation = db_.run_batched(std::move(task));
    co_await std::move(operation);
  }

  void run_blocking(const std::function<void(ChatStore&)>& work) override {
    core::db::run_blocking_with<SqliteChatStore>(db_, work);
  }

  core::CheckResult check() override { return db_.check(); }

  void on_commit(std::function<void(Changes&)> listener) override { listener_ = std::move(listener); }

 private:
  template <class T>
  static void append(std::vector<T>& to, std::vector<T>& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  }

  // On the database thread, after the batch's COMMIT or its failure.
  void hand_over(bool committed) {
    Changes batch = std::move(batch_changes_);
    batch_changes_ = {};
    if (committed && listener_ && !batch.empty()) listener_(batch);
  }

  Changes batch_changes_;  // touched only on the database thread
  std::function<void(Changes&)> listener_;
  core::db::Database db_;
};

}  // namespace

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStoreRunner>(path);
}

}  // namespace bartab::chat
