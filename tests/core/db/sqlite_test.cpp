#include "core/db/database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <thread>

namespace bartab::core::db {
namespace {

std::string temp_db(const std::string& name) {
  auto path =
      std::filesystem::temp_directory_path() / ("bartab-db-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove(path);
  return path.string();
}

const std::vector<Migration> kMigrations = {
    {1, "0001_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);"},
    {2, "0002_u.sql", "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0;"},
};

TEST(Sqlite, MigrationsApplyOnceInOrder) {
  auto path = temp_db("migrate");
  {
    Connection c(path);
    migrate(c, {kMigrations[0]});
    migrate(c, kMigrations);
    migrate(c, kMigrations);  // idempotent
    auto q = c.cached("SELECT COUNT(*), MAX(version) FROM schema_migrations");
    ASSERT_TRUE(q->step());
    EXPECT_EQ(q->int64(0), 2);
    EXPECT_EQ(q->int64(1), 2);
  }
  Connection c(path);
  EXPECT_THROW(migrate(c, {kMigrations[0]}), SqliteError) << "a database newer than the binary is refused";
  std::filesystem::remove(path);
}

TEST(Sqlite, FailedMigrationLeavesNothingBehind) {
  auto path = temp_db("failed");
  Connection c(path);
  std::vector<Migration> broken = {kMigrations[0], {2, "0002_bad.sql", "CREATE TABLE x (a); SYNTAX ERROR;"}};
  EXPECT_THROW(migrate(c, broken), SqliteError);
  auto q = c.cached("SELECT COUNT(*) FROM sqlite_master WHERE name = 'x'");
  ASSERT_TRUE(q->step());
  EXPECT_EQ(q->int64(0), 0) << "the failed migration rolled back whole";
  std::filesystem::remove(path);
}

TEST(Sqlite, TransactionsRollBackUnlessCommitted) {
  auto path = temp_db("tx");
  Connection c(path);
  migrate(c, kMigrations);
  {
    Transaction tx(c);
    c.cached("INSERT INTO t (v) VALUES (?)")->bind(1, "a").run();
  }
  {
    Transaction tx(c);
    c.cached("INSERT INTO t (v) VALUES (?)")->bind(1, "b").run();
    tx.commit();
  }
  auto q = c.cached("SELECT group_concat(v) FROM t");
  ASSERT_TRUE(q->step());
  EXPECT_EQ(q->text(0), "b");
  std::filesystem::remove(path);
}

TEST(Sqlite, ConstraintViolationsAreRecognisable) {
  auto path = temp_db("constraint");
  Connection c(path);
  migrate(c, kMigrations);
  c.cached("INSERT INTO t (v) VALUES ('x')")->run();
  try {
    c.cached("INSERT INTO t (v) VALUES ('x')")->run();
    FAIL();
  } catch (const SqliteError& e) {
    EXPECT_TRUE(e.is_constraint());
  }
  std::filesystem::remove(path);
}

TEST(Database, RunsWorkOnItsThreadAndPropagatesExceptions) {
  auto path = temp_db("database");
  Database db(path, kMigrations);
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<std::int64_t> {
        auto caller = std::this_thread::get_id();
        auto on = co_await db.run([](Connection&) { return std::this_thread::get_id(); });
        EXPECT_NE(on, caller);
        co_await db.run([](Connection& c) { c.cached("INSERT INTO t (v) VALUES ('a')")->run(); });
        bool threw = false;
        try {
          co_await db.run([](Connection& c) { c.cached("INSERT INTO t (v) VALUES ('a')")->run(); });
        } catch (const SqliteError&) {
          threw = true;
        }
        EXPECT_TRUE(threw);
        co_return co_await db.run([](Connection& c) {
          auto q = c.cached("SELECT COUNT(*) FROM t");
          q->step();
          return q->int64(0);
        });
      },
      boost::asio::use_future);
  io.run();
  EXPECT_EQ(future.get(), 1);
  EXPECT_TRUE(db.check().ok);
  std::filesystem::remove(path);
}

TEST(Database, BatchedWorkSharesCommitsAndFailsAlone) {
  auto path = temp_db("batched");
  Database db(path, kMigrations);
  boost::asio::io_context io;
  constexpr int kWorks = 300;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kWorks; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          // The 7th inserts a duplicate: it alone must fail.
          std::string value = i == 7 ? "v0" : "v" + std::to_string(i);
          auto op = db.run_batched(
              [value](Connection& c) { c.cached("INSERT INTO t (v) VALUES (?)")->bind(1, value).run(); });
          try {
            co_await std::move(op);
            ++ok;
          } catch (const SqliteError&) {
            ++failed;
          }
        },
        boost::asio::detached);
  }
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(ok, kWorks - 1);
  EXPECT_EQ(failed, 1);
  auto stats = db.batch_stats();
  EXPECT_EQ(stats.works, static_cast<std::uint64_t>(kWorks));
  EXPECT_LT(stats.batches, stats.works) << "concurrent works shared commits";
  EXPECT_GT(stats.largest, 1u);
  auto count = db.run_blocking([](Connection& c) {
    auto q = c.cached("SELECT COUNT(*) FROM t");
    q->step();
    return q->int64(0);
  });
  EXPECT_EQ(count, kWorks - 1);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bartab::core::db
