// The media store through StoreRunner, per engine: records round-trip, each user's
// usage follows inserts and removals (never below zero), references per blob, the
// binary meta table, write() (group committed) and write_then() transactions (rolled
// back whole when the work throws) with after_commit running only after a real COMMIT,
// and durability across reopening.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#include "core/db/sqlite.hpp"
#include "services/media/store/store_runner.hpp"
#include "support/temp_dir.hpp"

namespace bartab::media {
namespace {

struct Engine {
  const char* name;
  std::function<std::unique_ptr<StoreRunner>(const std::string& scratch)> open;
  // How many media rows a separate reader (not the runner's connection) sees right
  // now: what is committed.
  std::function<std::int64_t(const std::string& scratch)> committed_media;
  // Sets a user's usage from outside the store, as if it had drifted below the sum of
  // their records.
  std::function<void(const std::string& scratch, const std::string& user_id, std::int64_t bytes)> set_usage;
  // Makes every later COMMIT of a transaction that inserted media fail (the work
  // itself succeeding); null for an engine that cannot.
  std::function<void(const std::string& scratch)> fail_commits;
};

std::string sqlite_path(const std::string& scratch) {
  return scratch + "/media.db";
}

std::int64_t sqlite_committed_media(const std::string& scratch) {
  core::db::Connection c(sqlite_path(scratch));
  auto q = c.cached("SELECT count(*) FROM media");
  if (!q->step()) return -1;
  return q->int64(0);
}

void sqlite_set_usage(const std::string& scratch, const std::string& user_id, std::int64_t bytes) {
  core::db::Connection c(sqlite_path(scratch));
  auto q = c.cached("UPDATE usage SET bytes = ? WHERE user_id = ?");
  q->bind_all(bytes, user_id);
  q->run();
  ASSERT_EQ(c.changes(), 1);
}

// A deferred foreign key that every media insert violates: SQLite checks it only at
// COMMIT, which then fails.
void sqlite_fail_commits(const std::string& scratch) {
  core::db::Connection c(sqlite_path(scratch));
  c.exec(
      "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE test_child (ref INTEGER REFERENCES test_parent(id) DEFERRABLE INITIALLY DEFERRED);"
      "CREATE TRIGGER test_fail_commits AFTER INSERT ON media BEGIN INSERT INTO test_child (ref) VALUES (1); "
      "END;");
}

// Test names and logs show the engine by name, not as a byte dump.
void PrintTo(const Engine& engine, std::ostream* out) {
  *out << engine.name;
}

const Engine kEngines[] = {
    {"sqlite", [](const std::string& scratch) { return open_sqlite_store(sqlite_path(scratch)); },
     sqlite_committed_media, sqlite_set_usage, sqlite_fail_commits},
};

MediaRecord record(const std::string& media_id, const std::string& sha_seed, std::uint64_t size,
                   const std::string& uploader = "usr_a") {
  MediaRecord r;
  r.media_id = media_id;
  r.sha256 = std::string(63, '0') + sha_seed;
  r.size = size;
  r.content_type = "application/octet-stream";
  r.name = "file.bin";
  r.uploader = uploader;
  r.created_ms = 1'700'000'000'123;
  return r;
}

class MediaStoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { runner_.reset(); }

  void open() { runner_ = GetParam().open(scratch()); }
  void reopen() {
    runner_.reset();
    open();
  }
  std::string scratch() const { return scratch_.path().string(); }
  void with(const std::function<void(MediaStore&)>& work) { runner_->run_blocking(work); }

  // Runs a StoreRunner operation to its end on a fresh io_context; rethrows.
  void run(boost::asio::awaitable<void> operation) {
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, std::move(operation), boost::asio::use_future);
    io.run();
    done.get();
  }

  std::optional<MediaRecord> find(const std::string& media_id) {
    std::optional<MediaRecord> found;
    with([&](MediaStore& s) { found = s.find(media_id); });
    return found;
  }
  std::uint64_t usage(const std::string& user_id) {
    std::uint64_t bytes = 0;
    with([&](MediaStore& s) { bytes = s.usage(user_id); });
    return bytes;
  }

  testing::TempDir scratch_;
  std::unique_ptr<StoreRunner> runner_;
};

TEST_P(MediaStoreTest, InsertedRecordsAreFoundWithEveryField) {
  MediaRecord r = record("med_1", "a", 1234);
  r.content_type = "image/png";
  r.name = "holiday.png";
  r.is_public = true;
  r.width = 640;
  r.height = 480;
  with([&](MediaStore& s) { s.insert(r); });

  auto found = find("med_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->media_id, "med_1");
  EXPECT_EQ(found->sha256, r.sha256);
  EXPECT_EQ(found->size, 1234u);
  EXPECT_EQ(found->content_type, "image/png");
  EXPECT_EQ(found->name, "holiday.png");
  EXPECT_EQ(found->uploader, "usr_a");
  EXPECT_TRUE(found->is_public);
  EXPECT_EQ(found->width, std::optional<std::uint32_t>(640));
  EXPECT_EQ(found->height, std::optional<std::uint32_t>(480));
  EXPECT_EQ(found->created_ms, 1'700'000'000'123);
}

TEST_P(MediaStoreTest, RecordsWithoutDimensionsArePrivateByDefault) {
  MediaRecord r = record("med_1", "b", 5);
  r.name = "";
  with([&](MediaStore& s) { s.insert(r); });
  auto found = find("med_1");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->is_public);
  EXPECT_FALSE(found->width);
  EXPECT_FALSE(found->height);
  EXPECT_EQ(found->name, "");
}

TEST_P(MediaStoreTest, LargeDimensionsAndSizesRoundTrip) {
  MediaRecord r = record("med_big", "c", std::uint64_t{1} << 40);
  r.width = 4'000'000'000u;  // above INT32_MAX
  r.height = 0;
  with([&](MediaStore& s) { s.insert(r); });
  auto found = find("med_big");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size, std::uint64_t{1} << 40);
  EXPECT_EQ(found->width, std::optional<std::uint32_t>(4'000'000'000u));
  EXPECT_EQ(found->height, std::optional<std::uint32_t>(0));
}

TEST_P(MediaStoreTest, UnknownIdsAreNotFound) {
  with([&](MediaStore& s) { s.insert(record("med_1", "a", 1)); });
  EXPECT_FALSE(find("med_2"));
  EXPECT_FALSE(find(""));
  EXPECT_FALSE(find("MED_1"));
}

TEST_P(MediaStoreTest, ADuplicateIdIsRefusedAndNotCounted) {
  with([&](MediaStore& s) { s.insert(record("med_1", "a", 100)); });
  with([&](MediaStore& s) { EXPECT_ANY_THROW(s.insert(record("med_1", "b", 50))); });
  EXPECT_EQ(usage("usr_a"), 100u);
  EXPECT_EQ(find("med_1")->sha256, record("med_1", "a", 100).sha256);
}

TEST_P(MediaStoreTest, UsageAddsOnInsertPerUploader) {
  EXPECT_EQ(usage("usr_a"), 0u);
  with([&](MediaStore& s) {
    s.insert(record("med_1", "a", 100));
    s.insert(record("med_2", "a", 250));  // the same blob counts again
    s.insert(record("med_3", "b", 7, "usr_b"));
    s.insert(record("med_4", "c", 0));
  });
  EXPECT_EQ(usage("usr_a"), 350u);
  EXPECT_EQ(usage("usr_b"), 7u);
  EXPECT_EQ(usage("usr_nobody"), 0u);
}

TEST_P(MediaStoreTest, RemoveSubtractsTheRecordsSize) {
  with([&](MediaStore& s) {
    s.insert(record("med_1", "a", 100));
    s.insert(record("med_2", "b", 40));
    s.insert(record("med_3", "c", 9, "usr_b"));
  });
  with([&](MediaStore& s) { EXPECT_TRUE(s.remove("med_1")); });
  EXPECT_FALSE(find("med_1"));
  EXPECT_TRUE(find("med_2"));
  EXPECT_EQ(usage("usr_a"), 40u);
  EXPECT_EQ(usage("usr_b"), 9u);
  with([&](MediaStore& s) { EXPECT_TRUE(s.remove("med_2")); });
  EXPECT_EQ(usage("usr_a"), 0u);
}

TEST_P(MediaStoreTest, RemoveOfAnUnknownIdReturnsFalse) {
  with([&](MediaStore& s) { s.insert(record("med_1", "a", 100)); });
  with([&](MediaStore& s) {
    EXPECT_FALSE(s.remove("med_unknown"));
    EXPECT_TRUE(s.remove("med_1"));
    EXPECT_FALSE(s.remove("med_1"));  // a second time
  });
  EXPECT_EQ(usage("usr_a"), 0u);
}

TEST_P(MediaStoreTest, UsageNeverGoesNegative) {
  with([&](MediaStore& s) {
    s.insert(record("med_1", "a", 100));
    s.insert(record("med_2", "b", 100));
  });
  GetParam().set_usage(scratch(), "usr_a", 30);  // drifted below the records' 200 bytes
  ASSERT_EQ(usage("usr_a"), 30u);
  with([&](MediaStore& s) { EXPECT_TRUE(s.remove("med_1")); });
  EXPECT_EQ(usage("usr_a"), 0u);
  EXPECT_FALSE(find("med_1"));
  with([&](MediaStore& s) { EXPECT_TRUE(s.remove("med_2")); });
  EXPECT_EQ(usage("usr_a"), 0u);
  with([&](MediaStore& s) { s.insert(record("med_3", "c", 5)); });
  EXPECT_EQ(usage("usr_a"), 5u);
}

TEST_P(MediaStoreTest, ReferencesCountRowsPerBlob) {
  with([&](MediaStore& s) {
    EXPECT_EQ(s.references(record("x", "a", 0).sha256), 0u);
    s.insert(record("med_1", "a", 10));
    s.insert(record("med_2", "a", 10, "usr_b"));
    s.insert(record("med_3", "a", 10));
    s.insert(record("med_4", "b", 10));
    EXPECT_EQ(s.references(record("x", "a", 0).sha256), 3u);
    EXPECT_EQ(s.references(record("x", "b", 0).sha256), 1u);
    EXPECT_EQ(s.references(record("x", "c", 0).sha256), 0u);
    s.remove("med_2");
    EXPECT_EQ(s.references(record("x", "a", 0).sha256), 2u);
    s.remove("med_1");
    s.remove("med_3");
    EXPECT_EQ(s.references(record("x", "a", 0).sha256), 0u);
  });
}

TEST_P(MediaStoreTest, MetaIsAbsentUntilPut) {
  with([&](MediaStore& s) {
    EXPECT_FALSE(s.meta("link_key"));
    s.put_meta("link_key", "secret");
    EXPECT_EQ(s.meta("link_key"), std::optional<std::string>("secret"));
    EXPECT_FALSE(s.meta("other_key"));
  });
}

TEST_P(MediaStoreTest, MetaKeepsBinaryBytes) {
  std::string key_bytes;
  for (int i = 0; i < 256; ++i) key_bytes += static_cast<char>(i);
  key_bytes += std::string("\0\0end\0", 6);
  with([&](MediaStore& s) {
    s.put_meta("link_key", key_bytes);
    s.put_meta("empty", "");
  });
  with([&](MediaStore& s) {
    auto value = s.meta("link_key");
    ASSERT_TRUE(value);
    EXPECT_EQ(value->size(), key_bytes.size());
    EXPECT_EQ(*value, key_bytes);
    EXPECT_EQ(s.meta("empty"), std::optional<std::string>(""));
  });
}

TEST_P(MediaStoreTest, PutMetaOverwrites) {
  with([&](MediaStore& s) {
    s.put_meta("link_key", std::string("first\0value", 11));
    s.put_meta("link_key", "second");
    s.put_meta("other", "kept");
  });
  with([&](MediaStore& s) {
    EXPECT_EQ(s.meta("link_key"), std::optional<std::string>("second"));
    EXPECT_EQ(s.meta("other"), std::optional<std::string>("kept"));
  });
}

TEST_P(MediaStoreTest, InTransactionRollsBackWhenTheWorkThrows) {
  with([&](MediaStore& s) {
    EXPECT_THROW(s.in_transaction([&] {
      s.insert(record("med_1", "a", 100));
      s.put_meta("k", "v");
      throw std::runtime_error("work failed");
    }),
                 std::runtime_error);
  });
  EXPECT_FALSE(find("med_1"));
  EXPECT_EQ(usage("usr_a"), 0u);
  with([&](MediaStore& s) { EXPECT_FALSE(s.meta("k")); });
}

TEST_P(MediaStoreTest, ReadAndWriteRunTheirWork) {
  run(runner_->write([](MediaStore& s) { s.insert(record("med_1", "a", 42)); }));
  std::optional<MediaRecord> found;
  std::uint64_t used = 0;
  run(runner_->read([&](MediaStore& s) {
    found = s.find("med_1");
    used = s.usage("usr_a");
  }));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size, 42u);
  EXPECT_EQ(used, 42u);
  EXPECT_EQ(GetParam().committed_media(scratch()), 1);
}

TEST_P(MediaStoreTest, WriteRollsBackEverythingWhenTheWorkThrows) {
  with([&](MediaStore& s) { s.insert(record("med_0", "z", 10)); });
  EXPECT_THROW(run(runner_->write([](MediaStore& s) {
                 s.insert(record("med_1", "a", 100));
                 s.insert(record("med_2", "b", 100));
                 s.remove("med_0");
                 s.put_meta("link_key", "half-written");
                 throw std::runtime_error("the work failed half way");
               })),
               std::runtime_error);
  EXPECT_FALSE(find("med_1"));
  EXPECT_FALSE(find("med_2"));
  EXPECT_TRUE(find("med_0"));
  EXPECT_EQ(usage("usr_a"), 10u);
  with([&](MediaStore& s) { EXPECT_FALSE(s.meta("link_key")); });
  EXPECT_EQ(GetParam().committed_media(scratch()), 1);
  // The runner is still usable.
  run(runner_->write([](MediaStore& s) { s.insert(record("med_3", "c", 1)); }));
  EXPECT_TRUE(find("med_3"));
}

TEST_P(MediaStoreTest, AfterCommitRunsOnceTheCommitIsVisible) {
  bool work_ran = false;
  int after_commit_calls = 0;
  std::int64_t seen_from_outside = -1;
  std::uint64_t references_seen = 0;
  run(runner_->write_then(
      [&](MediaStore& s) {
        s.insert(record("med_1", "a", 10));
        work_ran = true;
        EXPECT_EQ(after_commit_calls, 0);
      },
      [&](MediaStore& s) {
        ++after_commit_calls;
        EXPECT_TRUE(work_ran);
        seen_from_outside = GetParam().committed_media(scratch());
        references_seen = s.references(record("x", "a", 0).sha256);
      }));
  EXPECT_EQ(after_commit_calls, 1);
  EXPECT_EQ(seen_from_outside, 1);  // committed before after_commit ran
  EXPECT_EQ(references_seen, 1u);
}

TEST_P(MediaStoreTest, AfterCommitDoesNotRunWhenTheWorkThrows) {
  bool after_commit_ran = false;
  EXPECT_THROW(run(runner_->write_then(
                   [](MediaStore& s) {
                     s.insert(record("med_1", "a", 10));
                     throw std::runtime_error("no");
                   },
                   [&](MediaStore&) { after_commit_ran = true; })),
               std::runtime_error);
  EXPECT_FALSE(after_commit_ran);
  EXPECT_FALSE(find("med_1"));
}

TEST_P(MediaStoreTest, AfterCommitDoesNotRunWhenTheCommitFails) {
  if (!GetParam().fail_commits) GTEST_SKIP() << GetParam().name << " cannot make a COMMIT fail";
  GetParam().fail_commits(scratch());
  bool work_ran = false;
  bool after_commit_ran = false;
  EXPECT_ANY_THROW(run(runner_->write_then(
      [&](MediaStore& s) {
        s.insert(record("med_1", "a", 10));
        work_ran = true;
      },
      [&](MediaStore&) { after_commit_ran = true; })));
  EXPECT_TRUE(work_ran);
  EXPECT_FALSE(after_commit_ran);
  EXPECT_FALSE(find("med_1"));
  EXPECT_EQ(usage("usr_a"), 0u);
  // Writes that insert nothing still commit.
  run(runner_->write([](MediaStore& s) { s.put_meta("k", "v"); }));
  with([&](MediaStore& s) { EXPECT_EQ(s.meta("k"), std::optional<std::string>("v")); });
}

TEST_P(MediaStoreTest, DataSurvivesReopening) {
  MediaRecord r = record("med_1", "a", 77);
  r.width = 3;
  r.height = 2;
  r.is_public = true;
  run(runner_->write([&](MediaStore& s) {
    s.insert(r);
    s.insert(record("med_2", "b", 23));
    s.put_meta("link_key", std::string("k\0ey", 4));
  }));
  reopen();
  auto found = find("med_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size, 77u);
  EXPECT_EQ(found->width, std::optional<std::uint32_t>(3));
  EXPECT_TRUE(found->is_public);
  EXPECT_EQ(usage("usr_a"), 100u);
  with([&](MediaStore& s) {
    EXPECT_EQ(s.meta("link_key"), std::optional<std::string>(std::string("k\0ey", 4)));
    EXPECT_EQ(s.references(r.sha256), 1u);
  });
}

TEST_P(MediaStoreTest, CheckReportsAHealthyDatabase) {
  auto result = runner_->check();
  EXPECT_TRUE(result.ok) << result.detail;
}

INSTANTIATE_TEST_SUITE_P(Engines, MediaStoreTest, ::testing::ValuesIn(kEngines),
                         [](const auto& engine) { return std::string(engine.param.name); });

}  // namespace
}  // namespace bartab::media
