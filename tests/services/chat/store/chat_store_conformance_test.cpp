// One suite every ChatStore implementation must pass, through StoreRunner only.
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <thread>
#include "support/temp_dir.hpp"

#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {
namespace {

struct Engine {
  const char* name;
  std::function<std::unique_ptr<StoreRunner>(const std::string& scratch)> open;
};

const Engine kEngines[] = {
    {"sqlite", [](const std::string& scratch) { return open_sqlite_store(scratch + "/chat.db"); }},
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

INSTANTIATE_TEST_SUITE_P(Engines, ChatStoreConformance, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bartab::chat
