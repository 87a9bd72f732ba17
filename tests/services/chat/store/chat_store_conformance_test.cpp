// One suite every ChatStore implementation must pass, through StoreRunner only.
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <thread>
#include "support/temp_dir.hpp"

#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {
namespace {

struct Engine {
  const char* name;
  std::function<std::unique_ptr<StoreRunner>(const std::string& scratch)> open;
  // How many events a separate reader (not the runner's connection) sees right now:
  // what is committed. Lets the suite check that on_commit comes after the commit.
  std::function<std::int64_t(const std::string& scratch)> committed_events;
  // Makes every later commit that appends an event fail at COMMIT itself (each work
  // having succeeded), from outside the runner; null for an engine that cannot.
  std::function<void(const std::string& scratch)> fail_commits;
};

std::int64_t sqlite_committed_events(const std::string& scratch) {
  auto path = scratch + "/chat.db";
  sqlite3* db = nullptr;
  std::int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      count = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return count;
}

// A deferred foreign key that every event insert violates: SQLite checks it only at
// COMMIT, which then fails and the batch is rolled back.
void sqlite_fail_commits(const std::string& scratch) {
  auto path = scratch + "/chat.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 1000);
  char* error = nullptr;
  int rc = sqlite3_exec(db,
                        "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);"
                        "CREATE TABLE test_child (ref INTEGER REFERENCES test_parent(id) "
                        "  DEFERRABLE INITIALLY DEFERRED);"
                        "CREATE TRIGGER test_fail_commits AFTER INSERT ON events "
                        "  BEGIN INSERT INTO test_child (ref) VALUES (1); END;",
                        nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// Test names and logs show the engine by name, not as a byte dump.
void PrintTo(const Engine& engine, std::ostream* out) {
  *out << engine.name;
}

const Engine kEngines[] = {
    {"sqlite", [](const std::string& scratch) { return open_sqlite_store(scratch + "/chat.db"); },
     sqlite_committed_events, sqlite_fail_commits},
};

class ChatStoreConformance : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { runner_ = GetParam().open(scratch_.path().string()); }
  void TearDown() override { runner_.reset(); }
  void with(const std::function<void(ChatStore&)>& work) { runner_->run_blocking(work); }

  static Room room(const std::string& id, const std::string& visibility = "private") {
    return Room{id, "Room " + id, "", visibility, "usr_a", 1, 0};
  }
  static NewEvent message(const std::string& room_id, const std::string& id) {
    return NewEvent{room_id, id, "usr_a", "message", R"({"body":"hi"})", 5, std::nullopt, std::nullopt};
  }
  static NewEvent other(const std::string& room_id, const std::string& id, const std::string& type) {
    return NewEvent{room_id, id,           "usr_a",     type, R"({"event_id":"evt_x","key":"+1"})",
                    5,       std::nullopt, std::nullopt};
  }
  // A member event written by `sender` about `user_id` (its target).
  static NewEvent member(const std::string& room_id, const std::string& id, const std::string& sender,
                         const std::string& user_id, const std::string& membership) {
    return NewEvent{room_id,
                    id,
                    sender,
                    "member",
                    R"({"user_id":")" + user_id + R"(","membership":")" + membership + R"("})",
                    5,
                    std::nullopt,
                    std::nullopt,
                    user_id};
  }
  static std::vector<std::string> ids(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.event_id);
    return out;
  }

  // Runs every work through StoreRunner::write, all queued at once so they may share a
  // batch; `resumed(i)` runs in work i's coroutine once its write is over. Returns,
  // per work, whether its write threw.
  std::vector<bool> write_all(const std::vector<std::function<void(ChatStore&)>>& works,
                              const std::function<void(std::size_t)>& resumed = {}) {
    boost::asio::io_context io;
    std::vector<bool> threw(works.size(), false);
    for (std::size_t i = 0; i < works.size(); ++i) {
      boost::asio::co_spawn(
          io,
          [&, i]() -> boost::asio::awaitable<void> {
            try {
              auto op = runner_->write(works[i]);
              co_await std::move(op);
            } catch (const std::exception&) {
              threw[i] = true;
            }
            if (resumed) resumed(i);
          },
          boost::asio::detached);
    }
    io.run();
    return threw;
  }

  testing::TempDir scratch_;
  std::unique_ptr<StoreRunner> runner_;
};

TEST_P(ChatStoreConformance, RoomsAndTheDirectory) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a", "public"));
    s.insert_room(room("room_b"));
    EXPECT_EQ(s.room("room_a")->name, "Room room_a");
    EXPECT_FALSE(s.room("room_z"));
    auto listed = s.public_rooms(10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].room_id, "room_a");
  });
}

TEST_P(ChatStoreConformance, MembershipsAreUpsertedAndCounted) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.put_membership({"room_a", "usr_a", "join", "owner", 1, std::nullopt});
    s.put_membership({"room_a", "usr_b", "invite", "member", 2, std::string("usr_a")});
    EXPECT_EQ(s.joined_count("room_a"), 1);
    s.put_membership({"room_a", "usr_b", "join", "member", 3, std::nullopt});
    EXPECT_EQ(s.joined_count("room_a"), 2);
    auto b = s.membership("room_a", "usr_b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->membership, "join");
    EXPECT_EQ(b->since_pos, 3);
    EXPECT_EQ(s.members("room_a").size(), 2u);
    EXPECT_EQ(s.rooms_of("usr_b").size(), 1u);
    EXPECT_FALSE(s.membership("room_a", "usr_c"));
  });
}

TEST_P(ChatStoreConformance, AppendsAreGaplessPerRoomAndIncreasingOverall) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    std::int64_t last_pos = 0;
    s.in_transaction([&] {
      for (int i = 0; i < 10; ++i) {
        auto e = s.append(message(i % 2 ? "room_a" : "room_b", "evt_" + std::to_string(i)));
        EXPECT_GT(e.pos, last_pos);
        last_pos = e.pos;
        EXPECT_EQ(e.seq, i / 2 + 1);
      }
    });
    EXPECT_EQ(s.max_pos(), last_pos);
    EXPECT_EQ(s.room("room_a")->last_seq, 5);
    EXPECT_THROW(s.append(message("room_a", "evt_x")), std::logic_error) << "outside a transaction";
    EXPECT_THROW(s.in_transaction([&] { s.append(message("room_nope", "evt_y")); }), std::logic_error);
  });
}

TEST_P(ChatStoreConformance, HistoryWalksBothWays) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.in_transaction([&] {
      for (int i = 1; i <= 7; ++i) s.append(message("room_a", "evt_" + std::to_string(i)));
    });
    auto forward = s.events_after("room_a", 2, 3);
    ASSERT_EQ(forward.size(), 3u);
    EXPECT_EQ(forward.front().seq, 3);
    EXPECT_EQ(forward.back().seq, 5);
    auto back = s.events_before("room_a", 6, 10);
    ASSERT_EQ(back.size(), 5u);
    EXPECT_EQ(back.front().seq, 5);
    EXPECT_EQ(back.back().seq, 1);
    auto one = s.event("evt_4");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->seq, 4);
    EXPECT_EQ(one->content, R"({"body":"hi"})");
    EXPECT_FALSE(s.event("evt_99"));
  });
}

TEST_P(ChatStoreConformance, TxnsRememberTheFirstAnswer) {
  with([](ChatStore& s) {
    EXPECT_FALSE(s.txn("ses_1", "room_a", "t1"));
    s.put_txn("ses_1", "room_a", "t1", {"evt_1", 1}, 10);
    EXPECT_EQ(s.txn("ses_1", "room_a", "t1")->event_id, "evt_1");
    EXPECT_FALSE(s.txn("ses_2", "room_a", "t1")) << "scoped to the session";
    EXPECT_FALSE(s.txn("ses_1", "room_b", "t1")) << "and to the room";
    EXPECT_THROW(s.put_txn("ses_1", "room_a", "t1", {"evt_2", 2}, 11), std::exception);
  });
}

TEST_P(ChatStoreConformance, MetaValuesPersist) {
  with([](ChatStore& s) { s.put_meta("sync_key", std::string("\x00\x01k", 3)); });
  runner_.reset();
  runner_ = GetParam().open(scratch_.path().string());
  with([](ChatStore& s) { EXPECT_EQ(s.meta("sync_key"), std::string("\x00\x01k", 3)); });
}

TEST_P(ChatStoreConformance, ConcurrentGroupCommittedAppendsStayGaplessAndExactlyOnce) {
  with([](ChatStore& s) { s.insert_room(room("room_a")); });
  boost::asio::io_context io;
  constexpr int kSends = 400;
  std::mutex mutex;
  std::map<std::int64_t, std::string> by_seq;
  for (int i = 0; i < kSends; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          Event appended;
          auto op = runner_->write(
              [&](ChatStore& s) { appended = s.append(message("room_a", "evt_" + std::to_string(i))); });
          co_await std::move(op);
          std::lock_guard lock(mutex);
          by_seq.emplace(appended.seq, appended.event_id);
        },
        boost::asio::detached);
  }
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  ASSERT_EQ(by_seq.size(), static_cast<std::size_t>(kSends));
  EXPECT_EQ(by_seq.begin()->first, 1);
  EXPECT_EQ(by_seq.rbegin()->first, kSends) << "seq 1..N without gaps";
  with([&](ChatStore& s) {
    auto all = s.events_after("room_a", 0, kSends + 10);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kSends));
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].pos, all[i - 1].pos);
  });
}

TEST_P(ChatStoreConformance, EventsBetweenAnswersByStreamPosition) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    std::vector<Event> a;
    s.in_transaction([&] {
      for (int i = 1; i <= 6; ++i) {
        a.push_back(s.append(message("room_a", "evt_a" + std::to_string(i))));
        s.append(message("room_b", "evt_b" + std::to_string(i)));
      }
    });
    auto all = s.events_between("room_a", 0, s.max_pos(), 100);
    EXPECT_EQ(ids(all),
              (std::vector<std::string>{"evt_a1", "evt_a2", "evt_a3", "evt_a4", "evt_a5", "evt_a6"}))
        << "only the room's events, ascending";
    // (after, upto]: exclusive below, inclusive above, by pos not seq.
    auto middle = s.events_between("room_a", a[1].pos, a[4].pos, 100);
    EXPECT_EQ(ids(middle), (std::vector<std::string>{"evt_a3", "evt_a4", "evt_a5"}));
    EXPECT_EQ(middle.front().pos, a[2].pos);
    EXPECT_EQ(middle.front().seq, 3);
    EXPECT_EQ(ids(s.events_between("room_a", a[1].pos, a[4].pos, 2)),
              (std::vector<std::string>{"evt_a3", "evt_a4"}))
        << "the limit keeps the oldest";
    EXPECT_EQ(ids(s.events_between("room_a", a[1].pos, a[4].pos - 1, 100)),
              (std::vector<std::string>{"evt_a3", "evt_a4"}));
    EXPECT_TRUE(s.events_between("room_a", a[5].pos, a[5].pos + 100, 100).empty());
    EXPECT_TRUE(s.events_between("room_a", a[3].pos, a[2].pos, 100).empty());
    EXPECT_TRUE(s.events_between("room_nope", 0, 1000, 100).empty());
    EXPECT_EQ(all[2].content, R"({"body":"hi"})");
    EXPECT_EQ(all[2].sender, "usr_a");
  });
}

TEST_P(ChatStoreConformance, LatestEventsAreTheNewestUpToAPositionInAscendingOrder) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    std::vector<Event> a;
    s.in_transaction([&] {
      for (int i = 1; i <= 7; ++i) {
        a.push_back(s.append(message("room_a", "evt_a" + std::to_string(i))));
        s.append(message("room_b", "evt_b" + std::to_string(i)));
      }
    });
    EXPECT_EQ(ids(s.latest_events("room_a", s.max_pos(), 3)),
              (std::vector<std::string>{"evt_a5", "evt_a6", "evt_a7"}));
    EXPECT_EQ(ids(s.latest_events("room_a", a[4].pos, 3)),
              (std::vector<std::string>{"evt_a3", "evt_a4", "evt_a5"}))
        << "nothing above upto_pos";
    EXPECT_EQ(ids(s.latest_events("room_a", a[4].pos - 1, 3)),
              (std::vector<std::string>{"evt_a2", "evt_a3", "evt_a4"}));
    EXPECT_EQ(s.latest_events("room_a", s.max_pos(), 100).size(), 7u);
    EXPECT_EQ(ids(s.latest_events("room_a", a[1].pos, 100)), (std::vector<std::string>{"evt_a1", "evt_a2"}));
    EXPECT_TRUE(s.latest_events("room_a", a[0].pos - 1, 100).empty());
    EXPECT_TRUE(s.latest_events("room_nope", s.max_pos(), 100).empty());
  });
}

TEST_P(ChatStoreConformance, MemberEventsOfFollowTheirTarget) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    std::vector<Event> e;
    s.in_transaction([&] {
      e.push_back(s.append(member("room_a", "evt_1", "usr_a", "usr_a", "join")));
      e.push_back(s.append(member("room_a", "evt_2", "usr_a", "usr_b", "invite")));  // by usr_a, about usr_b
      e.push_back(s.append(message("room_a", "evt_3")));
      e.push_back(s.append(member("room_a", "evt_4", "usr_b", "usr_b", "join")));
      e.push_back(s.append(member("room_b", "evt_5", "usr_b", "usr_b", "join")));
      e.push_back(s.append(member("room_a", "evt_6", "usr_a", "usr_c", "invite")));  // sent by usr_a
      e.push_back(s.append(member("room_a", "evt_7", "usr_a", "usr_b", "leave")));   // kick
    });
    EXPECT_EQ(e[1].target, std::optional<std::string>("usr_b")) << "append returns the target";
    EXPECT_FALSE(e[2].target);

    auto b = s.member_events_of("usr_b", 0, s.max_pos());
    EXPECT_EQ(ids(b), (std::vector<std::string>{"evt_2", "evt_4", "evt_5", "evt_7"}))
        << "every member event about usr_b, whoever sent it, in every room, ascending";
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[0].target, std::optional<std::string>("usr_b"));
    EXPECT_EQ(b[0].sender, "usr_a");
    EXPECT_EQ(b[3].room_id, "room_a");

    EXPECT_EQ(ids(s.member_events_of("usr_b", e[1].pos, e[4].pos)),
              (std::vector<std::string>{"evt_4", "evt_5"}))
        << "(after, upto]";
    EXPECT_EQ(ids(s.member_events_of("usr_a", 0, s.max_pos())), (std::vector<std::string>{"evt_1"}))
        << "events usr_a sent about others are not about usr_a";
    EXPECT_EQ(ids(s.member_events_of("usr_c", 0, s.max_pos())), (std::vector<std::string>{"evt_6"}));
    EXPECT_TRUE(s.member_events_of("usr_z", 0, s.max_pos()).empty());
    auto again = s.event("evt_7");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->target, std::optional<std::string>("usr_b")) << "the target is stored";
  });
}

TEST_P(ChatStoreConformance, MembershipAtReadsTheLogAsOfAPosition) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    std::vector<Event> e;
    s.in_transaction([&] {
      e.push_back(s.append(message("room_a", "evt_0")));
      e.push_back(s.append(member("room_a", "evt_1", "usr_a", "usr_b", "invite")));
      e.push_back(s.append(message("room_a", "evt_2")));
      e.push_back(s.append(member("room_a", "evt_3", "usr_b", "usr_b", "join")));
      e.push_back(s.append(member("room_b", "evt_4", "usr_b", "usr_b", "join")));
      e.push_back(s.append(member("room_a", "evt_5", "usr_a", "usr_b", "ban")));
    });
    EXPECT_FALSE(s.membership_at("room_a", "usr_b", e[0].pos)) << "no member event about usr_b yet";
    EXPECT_FALSE(s.membership_at("room_a", "usr_b", 0));
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[1].pos), "invite") << "as of the event itself";
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[2].pos), "invite");
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[3].pos), "join");
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[4].pos), "join") << "room_b's join is another room's";
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[5].pos), "ban");
    EXPECT_EQ(s.membership_at("room_a", "usr_b", e[5].pos + 1000), "ban");
    EXPECT_FALSE(s.membership_at("room_b", "usr_b", e[3].pos));
    EXPECT_EQ(s.membership_at("room_b", "usr_b", e[4].pos), "join");
    EXPECT_FALSE(s.membership_at("room_a", "usr_a", s.max_pos())) << "usr_a sent them, none is about usr_a";
  });
}

TEST_P(ChatStoreConformance, RedactErasesOnlyTheContentOfThatEvent) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    std::vector<Event> e;
    s.in_transaction([&] {
      for (int i = 1; i <= 3; ++i) e.push_back(s.append(message("room_a", "evt_" + std::to_string(i))));
    });
    s.redact("evt_2", "evt_r");
    auto redacted = s.event("evt_2");
    ASSERT_TRUE(redacted);
    EXPECT_EQ(redacted->content, "{}");
    EXPECT_EQ(redacted->redacted_by, std::optional<std::string>("evt_r"));
    EXPECT_EQ(redacted->pos, e[1].pos) << "it keeps its place";
    EXPECT_EQ(redacted->seq, 2);
    EXPECT_EQ(redacted->sender, "usr_a");
    EXPECT_EQ(redacted->type, "message");
    for (const auto& id : {"evt_1", "evt_3"}) {
      auto kept = s.event(id);
      ASSERT_TRUE(kept);
      EXPECT_EQ(kept->content, R"({"body":"hi"})") << id;
      EXPECT_FALSE(kept->redacted_by) << id;
    }
    auto walked = s.events_between("room_a", 0, s.max_pos(), 10);
    ASSERT_EQ(walked.size(), 3u);
    EXPECT_EQ(walked[1].content, "{}");
    EXPECT_EQ(walked[1].redacted_by, std::optional<std::string>("evt_r"));
    EXPECT_EQ(s.room("room_a")->last_seq, 3) << "a redaction appends nothing by itself";
    s.redact("evt_nope", "evt_r");  // no such event: nothing happens
    EXPECT_EQ(s.event("evt_3")->content, R"({"body":"hi"})");
  });
}

TEST_P(ChatStoreConformance, ReceiptsAreUpsertedPerRoomAndUser) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    EXPECT_FALSE(s.receipt("room_a", "usr_b"));
    s.put_receipt({"room_a", "usr_b", 4, 3});
    auto r = s.receipt("room_a", "usr_b");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->room_id, "room_a");
    EXPECT_EQ(r->user_id, "usr_b");
    EXPECT_EQ(r->seq, 4);
    EXPECT_EQ(r->messages, 3);
    s.put_receipt({"room_a", "usr_b", 9, 7});
    EXPECT_EQ(s.receipt("room_a", "usr_b")->seq, 9);
    EXPECT_EQ(s.receipt("room_a", "usr_b")->messages, 7);
    EXPECT_FALSE(s.receipt("room_a", "usr_c")) << "per user";
    EXPECT_FALSE(s.receipt("room_b", "usr_b")) << "per room";
  });
}

TEST_P(ChatStoreConformance, AppendKeepsARunningCountOfMessages) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    EXPECT_EQ(s.room("room_a")->messages, 0);
    s.in_transaction([&] {
      s.append(member("room_a", "evt_1", "usr_a", "usr_a", "join"));
      s.append(message("room_a", "evt_2"));
      s.append(other("room_a", "evt_3", "reaction"));
      s.append(other("room_a", "evt_4", "edit"));
      s.append(other("room_a", "evt_5", "x.bot"));
      s.append(message("room_a", "evt_6"));
      s.append(message("room_b", "evt_7"));
    });
    EXPECT_EQ(s.room("room_a")->messages, 2) << "`message` events only";
    EXPECT_EQ(s.room("room_a")->last_seq, 6);
    EXPECT_EQ(s.room("room_b")->messages, 1);
    EXPECT_THROW(s.in_transaction([&] {
      s.append(message("room_a", "evt_8"));
      throw std::runtime_error("rolled back");
    }),
                 std::runtime_error);
    EXPECT_EQ(s.room("room_a")->messages, 2) << "a rolled-back append does not count";
    EXPECT_FALSE(s.event("evt_8"));
    s.insert_room(Room{"room_c", "Room C", "", "private", "usr_a", 1, 0, 40});
    s.in_transaction([&] { s.append(message("room_c", "evt_9")); });
    EXPECT_EQ(s.room("room_c")->messages, 41) << "counting on from the stored count";
  });
}

TEST_P(ChatStoreConformance, MessagesAfterCountsMessagesAboveASeq) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    s.in_transaction([&] {
      s.append(member("room_a", "evt_1", "usr_a", "usr_a", "join"));  // seq 1
      s.append(message("room_a", "evt_2"));                           // 2
      s.append(other("room_a", "evt_3", "reaction"));                 // 3
      s.append(message("room_a", "evt_4"));                           // 4
      s.append(message("room_b", "evt_5"));
      s.append(message("room_a", "evt_6"));  // 5
    });
    EXPECT_EQ(s.messages_after("room_a", 0), 3);
    EXPECT_EQ(s.messages_after("room_a", 1), 3);
    EXPECT_EQ(s.messages_after("room_a", 2), 2) << "above, not from";
    EXPECT_EQ(s.messages_after("room_a", 3), 2);
    EXPECT_EQ(s.messages_after("room_a", 4), 1);
    EXPECT_EQ(s.messages_after("room_a", 5), 0);
    EXPECT_EQ(s.messages_after("room_b", 0), 1);
    EXPECT_EQ(s.messages_after("room_nope", 0), 0);
  });
}

TEST_P(ChatStoreConformance, UnreadCountIsTheRoomsMessagesMinusTheMarkers) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
    s.in_transaction([&] {
      for (int i = 1; i <= 5; ++i) s.append(message("room_a", "evt_" + std::to_string(i)));
      s.append(other("room_a", "evt_6", "reaction"));
      s.append(message("room_b", "evt_7"));
    });
    EXPECT_EQ(s.unread_count("room_a", "usr_b"), 5) << "no marker: every message";
    s.put_receipt({"room_a", "usr_b", 2, 2});
    EXPECT_EQ(s.unread_count("room_a", "usr_b"), 3);
    EXPECT_EQ(s.unread_count("room_a", "usr_c"), 5) << "markers are per user";
    EXPECT_EQ(s.unread_count("room_b", "usr_b"), 1) << "and per room";
    s.put_receipt({"room_a", "usr_b", 6, 5});
    EXPECT_EQ(s.unread_count("room_a", "usr_b"), 0);
    s.in_transaction([&] { s.append(message("room_a", "evt_8")); });
    EXPECT_EQ(s.unread_count("room_a", "usr_b"), 1) << "a new message counts at once";
    EXPECT_EQ(s.unread_count("room_nope", "usr_b"), 0);
  });
}

TEST_P(ChatStoreConformance, OnCommitHearsEachWritesAppendsAndReceiptsAfterTheCommit) {
  with([](ChatStore& s) {
    s.insert_room(room("room_a"));
    s.insert_room(room("room_b"));
  });
  std::mutex mutex;
  std::vector<Changes> batches;
  std::vector<std::int64_t> committed_at_report;
  const auto committed = GetParam().committed_events;
  const auto scratch = scratch_.path().string();
  runner_->on_commit([&](Changes& changes) {
    auto visible = committed ? committed(scratch) : -1;
    std::lock_guard lock(mutex);
    batches.push_back(changes);
    committed_at_report.push_back(visible);
  });

  constexpr int kWrites = 12;
  std::vector<std::function<void(ChatStore&)>> works;
  std::vector<Event> appended(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    works.push_back([&, i](ChatStore& s) {
      auto room_id = i % 3 ? "room_a" : "room_b";
      appended[i] = s.append(message(room_id, "evt_" + std::to_string(i)));
      if (i % 4 == 0) s.put_receipt({room_id, "usr_" + std::to_string(i), appended[i].seq, 1});
    });
  }
  std::vector<bool> heard_before_resuming(kWrites, false);
  auto threw = write_all(works, [&](std::size_t i) {
    std::lock_guard lock(mutex);
    for (const auto& batch : batches) {
      for (const auto& e : batch.events)
        heard_before_resuming[i] = heard_before_resuming[i] || e.event_id == appended[i].event_id;
    }
  });
  EXPECT_EQ(threw, std::vector<bool>(kWrites, false));
  EXPECT_EQ(heard_before_resuming, std::vector<bool>(kWrites, true))
      << "the listener hears of a write before the writer resumes";

  std::lock_guard lock(mutex);
  std::vector<Event> reported;
  std::vector<Receipt> receipts;
  std::int64_t reported_so_far = 0;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    EXPECT_FALSE(batches[b].empty()) << "no empty reports";
    reported_so_far += static_cast<std::int64_t>(batches[b].events.size());
    if (committed) {
      EXPECT_EQ(committed_at_report[b], reported_so_far) << "batch " << b << " was committed when reported";
    }
    reported.insert(reported.end(), batches[b].events.begin(), batches[b].events.end());
    receipts.insert(receipts.end(), batches[b].receipts.begin(), batches[b].receipts.end());
  }
  ASSERT_EQ(reported.size(), static_cast<std::size_t>(kWrites)) << "each append exactly once";
  for (std::size_t i = 1; i < reported.size(); ++i)
    EXPECT_GT(reported[i].pos, reported[i - 1].pos) << "in stream order";
  std::sort(reported.begin(), reported.end(),
            [](const Event& x, const Event& y) { return x.event_id < y.event_id; });
  std::sort(appended.begin(), appended.end(),
            [](const Event& x, const Event& y) { return x.event_id < y.event_id; });
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_EQ(reported[i].event_id, appended[i].event_id);
    EXPECT_EQ(reported[i].pos, appended[i].pos) << "as appended: pos and seq assigned";
    EXPECT_EQ(reported[i].seq, appended[i].seq);
    EXPECT_EQ(reported[i].room_id, appended[i].room_id);
    EXPECT_EQ(reported[i].content, appended[i].content);
  }
  ASSERT_EQ(receipts.size(), 3u);
  std::sort(receipts.begin(), receipts.end(),
            [](const Receipt& x, const Receipt& y) { return x.user_id < y.user_id; });
  EXPECT_EQ(receipts[0].user_id, "usr_0");
  EXPECT_EQ(receipts[0].room_id, "room_b");
  EXPECT_EQ(receipts[0].messages, 1);
  EXPECT_EQ(receipts[1].user_id, "usr_4");
  EXPECT_EQ(receipts[1].room_id, "room_a");
  EXPECT_EQ(receipts[2].user_id, "usr_8");
}

TEST_P(ChatStoreConformance, OnCommitNeverHearsOfAWorkThatThrew) {
  with([](ChatStore& s) { s.insert_room(room("room_a")); });
  std::mutex mutex;
  std::vector<Changes> batches;
  runner_->on_commit([&](Changes& changes) {
    std::lock_guard lock(mutex);
    batches.push_back(changes);
  });
  auto failing = [](const std::string& id) {
    return [id](ChatStore& s) {
      s.append(message("room_a", id));
      s.put_receipt({"room_a", "usr_failing", 1, 1});
      throw std::runtime_error("the work fails after appending");
    };
  };
  auto ok = [](const std::string& id) { return [id](ChatStore& s) { s.append(message("room_a", id)); }; };

  auto threw = write_all({ok("evt_ok1"), failing("evt_bad1"), ok("evt_ok2"), failing("evt_bad2")});
  EXPECT_EQ(threw, (std::vector<bool>{false, true, false, true}));
  {
    std::lock_guard lock(mutex);
    std::vector<std::string> heard;
    for (const auto& batch : batches) {
      for (const auto& e : batch.events) heard.push_back(e.event_id);
      EXPECT_TRUE(batch.receipts.empty()) << "the failing works' receipts were rolled back";
    }
    EXPECT_EQ(heard, (std::vector<std::string>{"evt_ok1", "evt_ok2"}));
  }
  with([](ChatStore& s) {
    EXPECT_FALSE(s.event("evt_bad1"));
    EXPECT_FALSE(s.event("evt_bad2"));
    EXPECT_FALSE(s.receipt("room_a", "usr_failing"));
    EXPECT_EQ(s.room("room_a")->messages, 2);
    EXPECT_EQ(s.room("room_a")->last_seq, 2) << "seq stays gapless";
  });

  // A batch of nothing but a failure reports nothing at all.
  std::size_t before = 0;
  {
    std::lock_guard lock(mutex);
    before = batches.size();
  }
  EXPECT_EQ(write_all({failing("evt_bad3")}), std::vector<bool>{true});
  std::lock_guard lock(mutex);
  EXPECT_EQ(batches.size(), before);
}

TEST_P(ChatStoreConformance, OnCommitNeverHearsOfABatchWhoseCommitFailed) {
  if (!GetParam().fail_commits) GTEST_SKIP() << "the engine cannot make a commit fail";
  with([](ChatStore& s) { s.insert_room(room("room_a")); });
  std::mutex mutex;
  std::vector<Changes> batches;
  runner_->on_commit([&](Changes& changes) {
    std::lock_guard lock(mutex);
    batches.push_back(changes);
  });
  auto append_and_read = [](const std::string& id, const std::string& user) {
    return [id, user](ChatStore& s) {
      auto e = s.append(message("room_a", id));
      s.put_receipt({"room_a", user, e.seq, 1});
    };
  };
  EXPECT_EQ(write_all({append_and_read("evt_1", "usr_1")}), std::vector<bool>{false});
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(batches.size(), 1u) << "the listener works";
  }

  GetParam().fail_commits(scratch_.path().string());
  EXPECT_EQ(write_all({append_and_read("evt_2", "usr_2"), append_and_read("evt_3", "usr_3")}),
            (std::vector<bool>{true, true}))
      << "a failed commit fails every write of the batch";
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(batches.size(), 1u) << "nothing of the failed batch is reported";
  }
  with([](ChatStore& s) {
    EXPECT_FALSE(s.event("evt_2"));
    EXPECT_FALSE(s.event("evt_3"));
    EXPECT_FALSE(s.receipt("room_a", "usr_2"));
    EXPECT_EQ(s.room("room_a")->messages, 1);
  });

  // The runner goes on: a write that appends no event still commits and is heard.
  EXPECT_EQ(write_all({[](ChatStore& s) {
              s.put_receipt({"room_a", "usr_4", 1, 1});
            }}),
            std::vector<bool>{false});
  std::lock_guard lock(mutex);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_TRUE(batches[1].events.empty());
  ASSERT_EQ(batches[1].receipts.size(), 1u);
  EXPECT_EQ(batches[1].receipts[0].user_id, "usr_4");
}

INSTANTIATE_TEST_SUITE_P(Engines, ChatStoreConformance, ::testing::ValuesIn(kEngines),
                         [](const auto& engine) { return std::string(engine.param.name); });

}  // namespace
}  // namespace bartab::chat
