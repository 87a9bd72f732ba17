#include "services/chat/service/sync_hub.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace bartab::chat {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

const std::string kMe = "usr_me";
constexpr std::int64_t kBoot = 100;

Event event(std::int64_t pos, const std::string& room_id, std::int64_t seq, const std::string& type,
            const std::string& content, std::optional<std::string> target = std::nullopt) {
  Event e;
  e.pos = pos;
  e.room_id = room_id;
  e.seq = seq;
  e.event_id = "evt_" + std::to_string(pos);
  e.sender = "usr_other";
  e.type = type;
  e.content = content;
  e.target = std::move(target);
  return e;
}
Event message(std::int64_t pos, const std::string& room_id, std::int64_t seq = 10) {
  return event(pos, room_id, seq, "message", R"({"body":"hi"})");
}
Event member(std::int64_t pos, const std::string& room_id, const std::string& user_id,
             const std::string& membership, std::int64_t seq = 10) {
  return event(pos, room_id, seq, "member",
               R"({"user_id":")" + user_id + R"(","membership":")" + membership + R"("})", user_id);
}
Changes changes(std::vector<Event> events, std::vector<Receipt> receipts = {}) {
  return Changes{std::move(events), std::move(receipts)};
}
Membership joined(const std::string& room_id, std::int64_t since, const std::string& user_id = kMe) {
  return Membership{room_id, user_id, "join", "member", since, std::nullopt};
}
UserView view_of(std::vector<Membership> rooms) {
  UserView view;
  for (auto& m : rooms) {
    view.last_change = std::max(view.last_change, m.since_pos);
    view.rooms.emplace(m.room_id, m);
  }
  return view;
}
std::vector<std::int64_t> positions(const SyncWindow& w, const std::string& room_id) {
  std::vector<std::int64_t> out;
  if (auto it = w.rooms.find(room_id); it != w.rooms.end()) {
    for (const auto& e : it->second.events) out.push_back(e->pos);
  }
  return out;
}
using Positions = std::vector<std::int64_t>;
using Users = std::vector<std::string>;

class SyncHubTest : public ::testing::Test {
 protected:
  // The usual setting: the user joined room_a before boot, room_a's summary is cached.
  void install_me() {
    hub_.install_view(kMe, view_of({joined("room_a", 50)}));
    hub_.install_room("room_a", RoomInfo{"Room A", "topic A", 2, 5});
  }
  ~SyncHubTest() override {  // runs the timer cancels fire() posted
    io_.restart();
    io_.poll();
  }

  asio::io_context io_;
  SyncHub hub_{kBoot, HubOptions{8, 64}};
};

TEST_F(SyncHubTest, PublishMovesTheMarkAndFillsTheTails) {
  EXPECT_EQ(hub_.mark(), kBoot);
  install_me();
  hub_.publish(changes({message(101, "room_a"), message(102, "room_b"), message(103, "room_a")}));
  EXPECT_EQ(hub_.mark(), 103);
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->next, 103) << "windows end at the mark";
  EXPECT_EQ(positions(*w, "room_a"), (Positions{101, 103}));
  EXPECT_FALSE(w->rooms.contains("room_b"));
  EXPECT_EQ(w->rooms.at("room_a").summary.name, "Room A");

  auto partial = hub_.window_from_memory(kMe, 101, 0, 100);
  ASSERT_TRUE(partial);
  EXPECT_EQ(positions(*partial, "room_a"), (Positions{103}));

  hub_.publish(changes({}, {Receipt{"room_a", kMe, 3, 1}}));
  EXPECT_EQ(hub_.mark(), 103) << "receipts alone do not move the mark";
}

TEST_F(SyncHubTest, WindowFromMemoryNeedsTheViewAndTheRoomInfo) {
  hub_.publish(changes({message(101, "room_a")}));
  EXPECT_FALSE(hub_.has_view(kMe));
  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot, 0, 100)) << "no view installed";

  hub_.install_view(kMe, view_of({joined("room_a", 50)}));
  EXPECT_TRUE(hub_.has_view(kMe));
  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot, 0, 100)) << "room_a has events but no cached summary";

  hub_.install_room("room_a", RoomInfo{"Room A", "", 2, 5});
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(positions(*w, "room_a"), Positions{101});

  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot - 1, 0, 100)) << "memory holds nothing below the boot mark";
}

TEST_F(SyncHubTest, InstallsDoNotOverwriteWhatIsCached) {
  install_me();
  hub_.install_view(kMe, view_of({}));
  hub_.install_room("room_a", RoomInfo{"Other name", "", 0, 0});
  ASSERT_TRUE(hub_.cached_membership(kMe, "room_a"));
  hub_.publish(changes({message(101, "room_a")}));
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rooms.at("room_a").summary.name, "Room A");
}

TEST_F(SyncHubTest, AMemberEventAboutTheUserUpdatesTheirViewAndOlderWindowsFallBack) {
  install_me();
  hub_.publish(changes({message(101, "room_a")}));
  ASSERT_TRUE(hub_.window_from_memory(kMe, kBoot, 0, 100));

  hub_.publish(changes({member(102, "room_a", kMe, "leave")}));
  auto mine = hub_.cached_membership(kMe, "room_a");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->membership, "leave");
  EXPECT_EQ(mine->since_pos, 102);
  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot, 0, 100))
      << "memory cannot follow the user's membership through 102: the store must";
  EXPECT_FALSE(hub_.window_from_memory(kMe, 101, 0, 100));

  auto after = hub_.window_from_memory(kMe, 102, 0, 100);
  ASSERT_TRUE(after) << "a window starting at the change needs no history";
  EXPECT_TRUE(after->empty());

  // A new room the user is invited to appears in the view too.
  hub_.publish(changes({member(103, "room_b", kMe, "invite")}));
  ASSERT_TRUE(hub_.cached_membership(kMe, "room_b"));
  EXPECT_EQ(hub_.cached_membership(kMe, "room_b")->membership, "invite");
  EXPECT_EQ(hub_.cached_membership(kMe, "room_b")->room_id, "room_b");
  EXPECT_EQ(hub_.cached_membership(kMe, "room_b")->user_id, kMe);
  EXPECT_FALSE(hub_.window_from_memory(kMe, 102, 0, 100));
}

TEST_F(SyncHubTest, AViewsLastChangeBoundsTheWindowsMemoryAnswers) {
  // The view's own record of the last member event about the user decides, even when
  // its memberships look older (e.g. a membership row since removed from the view).
  auto view = view_of({joined("room_a", 50)});
  view.last_change = 101;
  hub_.install_view(kMe, view);
  hub_.install_room("room_a", RoomInfo{"Room A", "", 2, 5});
  hub_.publish(changes({message(101, "room_a"), message(102, "room_a")}));
  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot, 0, 100));
  auto w = hub_.window_from_memory(kMe, 101, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(positions(*w, "room_a"), Positions{102});
}

TEST_F(SyncHubTest, AMemberEventAboutSomeoneElseLeavesTheUsersViewAlone) {
  install_me();
  hub_.publish(changes({member(101, "room_a", "usr_b", "join")}));
  EXPECT_FALSE(hub_.cached_membership("usr_b", "room_a")) << "usr_b has no view: nothing is cached for them";
  EXPECT_FALSE(hub_.window_from_memory(kMe, kBoot, 0, 100))
      << "room_a's member count changed: summary reloads";
  hub_.install_room("room_a", RoomInfo{"Room A", "", 3, 5});
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w) << "the user's own view is still good";
  EXPECT_EQ(positions(*w, "room_a"), Positions{101});
  EXPECT_EQ(w->rooms.at("room_a").summary.member_count, 3);
}

TEST_F(SyncHubTest, MessagesAndReceiptsKeepUnreadCountsCurrent) {
  install_me();  // room_a: 5 messages, no marker
  hub_.publish(changes({message(101, "room_a"), message(102, "room_a")}));
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rooms.at("room_a").summary.messages, 7);
  EXPECT_EQ(w->rooms.at("room_a").unread, 7);

  hub_.publish(changes({message(103, "room_a")}, {Receipt{"room_a", kMe, 12, 6}}));
  w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rooms.at("room_a").unread, 2);

  hub_.publish(changes({event(104, "room_a", 13, "reaction", R"({"event_id":"evt_103","key":"+1"})")}));
  w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rooms.at("room_a").summary.messages, 8) << "only messages count";
}

TEST_F(SyncHubTest, StateEventsUpdateTheCachedSummary) {
  install_me();
  hub_.publish(changes({event(101, "room_a", 11, "state", R"({"key":"name","value":"Renamed"})"),
                        event(102, "room_a", 12, "state", R"({"key":"topic","value":"New topic"})")}));
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rooms.at("room_a").summary.name, "Renamed");
  EXPECT_EQ(w->rooms.at("room_a").summary.topic, "New topic");
}

TEST_F(SyncHubTest, RedactionsEraseTheHeldEvent) {
  install_me();
  hub_.publish(changes({message(101, "room_a"), message(102, "room_a")}));
  hub_.publish(changes({event(103, "room_a", 12, "redaction", R"({"event_id":"evt_101"})")}));
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  const auto& events = w->rooms.at("room_a").events;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]->content, "{}");
  EXPECT_EQ(events[0]->redacted_by, std::optional<std::string>("evt_103"));
  EXPECT_EQ(events[1]->content, R"({"body":"hi"})");
  EXPECT_FALSE(events[1]->redacted_by);
  EXPECT_EQ(events[2]->type, "redaction");
}

TEST_F(SyncHubTest, AWaiterWakesForItsJoinedRoomsAndForMemberEventsAboutItsUser) {
  hub_.install_view(kMe, view_of({joined("room_a", 50), Membership{"room_b", kMe, "invite", "member", 60,
                                                                   std::string("usr_other")}}));
  auto w = hub_.watch(kMe, io_.get_executor());
  EXPECT_EQ(hub_.waiting(), 1u);
  EXPECT_FALSE(w->fired());

  hub_.publish(changes({message(101, "room_c")}));
  EXPECT_FALSE(w->fired()) << "not the user's room";
  hub_.publish(changes({message(102, "room_b")}));
  EXPECT_FALSE(w->fired()) << "invited only: the room's events are not the user's";
  hub_.publish(changes({member(103, "room_c", "usr_x", "join")}));
  EXPECT_FALSE(w->fired()) << "a member event about someone else in another room";
  hub_.publish(changes({}, {Receipt{"room_a", kMe, 1, 1}}));
  EXPECT_FALSE(w->fired());

  hub_.publish(changes({message(104, "room_a")}));
  EXPECT_TRUE(w->fired());
  hub_.unwatch(w);
  EXPECT_EQ(hub_.waiting(), 0u);

  auto again = hub_.watch(kMe, io_.get_executor());
  hub_.publish(changes({member(105, "room_z", kMe, "invite")}));
  EXPECT_TRUE(again->fired()) << "a member event about the user, in a room they are not in";
  hub_.unwatch(again);
}

TEST_F(SyncHubTest, AWaiterWithoutAViewStillWakesForItsUser) {
  auto w = hub_.watch("usr_b", io_.get_executor());
  hub_.publish(changes({message(101, "room_a")}));
  EXPECT_FALSE(w->fired());
  hub_.publish(changes({member(102, "room_a", "usr_b", "join")}));
  EXPECT_TRUE(w->fired());
  hub_.unwatch(w);
}

TEST_F(SyncHubTest, UnwatchStopsWakeUps) {
  install_me();
  auto first = hub_.watch(kMe, io_.get_executor());
  auto second = hub_.watch(kMe, io_.get_executor());
  auto other = hub_.watch("usr_b", io_.get_executor());
  EXPECT_EQ(hub_.waiting(), 3u);
  hub_.unwatch(first);
  EXPECT_EQ(hub_.waiting(), 2u);
  hub_.unwatch(first);  // twice is harmless
  EXPECT_EQ(hub_.waiting(), 2u);

  hub_.publish(changes({message(101, "room_a"), member(102, "room_q", kMe, "invite")}));
  EXPECT_FALSE(first->fired()) << "unwatched: neither its room nor its user wakes it";
  EXPECT_TRUE(second->fired());
  EXPECT_FALSE(other->fired());
  hub_.unwatch(second);
  hub_.unwatch(other);
  EXPECT_EQ(hub_.waiting(), 0u);
}

TEST_F(SyncHubTest, DrainFiresEveryWaiterAndLaterWatchesComeBackFired) {
  install_me();
  auto mine = hub_.watch(kMe, io_.get_executor());
  auto theirs = hub_.watch("usr_b", io_.get_executor());
  EXPECT_FALSE(hub_.draining());
  hub_.drain();
  EXPECT_TRUE(hub_.draining());
  EXPECT_TRUE(mine->fired());
  EXPECT_TRUE(theirs->fired());

  auto late = hub_.watch(kMe, io_.get_executor());
  EXPECT_TRUE(late->fired()) << "a poll arriving while draining must not wait";
  EXPECT_EQ(hub_.waiting(), 2u) << "and is not registered";
  hub_.unwatch(late);
  hub_.unwatch(mine);
  hub_.unwatch(theirs);
  EXPECT_EQ(hub_.waiting(), 0u);
}

TEST_F(SyncHubTest, TypingChangesWakeTheRoomsWaiters) {
  install_me();
  auto w = hub_.watch(kMe, io_.get_executor());
  EXPECT_FALSE(hub_.set_typing("room_a", "usr_b", false, 1000, 5000)) << "nothing to stop";
  EXPECT_FALSE(w->fired());
  EXPECT_TRUE(hub_.set_typing("room_c", "usr_b", true, 1000, 5000));
  EXPECT_FALSE(w->fired()) << "another room";
  EXPECT_TRUE(hub_.set_typing("room_a", "usr_b", true, 1000, 5000));
  EXPECT_TRUE(w->fired());
  EXPECT_EQ(hub_.typing("room_a"), Users{"usr_b"});
  EXPECT_EQ(hub_.typing_serial(), 2u);
  EXPECT_EQ(hub_.typing_changed_at("room_a"), 2u);
  hub_.unwatch(w);

  auto refresh = hub_.watch(kMe, io_.get_executor());
  EXPECT_FALSE(hub_.set_typing("room_a", "usr_b", true, 2000, 5000));
  EXPECT_FALSE(refresh->fired()) << "a refresh is no change: nobody wakes";
  hub_.expire_typing(6999);
  EXPECT_FALSE(refresh->fired()) << "the refresh moved the expiry to 7000";
  hub_.expire_typing(7000);
  EXPECT_TRUE(refresh->fired()) << "an expiry is a change";
  EXPECT_TRUE(hub_.typing("room_a").empty());
  hub_.unwatch(refresh);
}

TEST_F(SyncHubTest, TypingShowsInWindowsAfterTheTokensSerial) {
  install_me();
  hub_.set_typing("room_a", "usr_b", true, 1000, 5000);
  auto w = hub_.window_from_memory(kMe, kBoot, 0, 100);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->typing, 1u);
  ASSERT_TRUE(w->rooms.contains("room_a"));
  EXPECT_EQ(w->rooms.at("room_a").typing, Users{"usr_b"});
  auto seen = hub_.window_from_memory(kMe, kBoot, w->typing, 100);
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->empty());
}

TEST_F(SyncHubTest, LeavingARoomEndsTheUsersTypingThere) {
  install_me();
  ASSERT_TRUE(hub_.set_typing("room_a", "usr_b", true, 1000, 60000));
  ASSERT_TRUE(hub_.set_typing("room_a", kMe, true, 1000, 60000));
  hub_.publish(changes({member(101, "room_a", "usr_b", "leave")}));
  EXPECT_EQ(hub_.typing("room_a"), Users{kMe});
  hub_.publish(changes({member(102, "room_a", kMe, "ban")}));
  EXPECT_TRUE(hub_.typing("room_a").empty());
}

TEST_F(SyncHubTest, AWatchRegisteredBeforeAJoinStillHearsTheJoin) {
  hub_.install_view(kMe, view_of({}));
  auto w = hub_.watch(kMe, io_.get_executor());
  hub_.publish(changes({member(101, "room_n", kMe, "join")}));
  EXPECT_TRUE(w->fired());
  hub_.unwatch(w);
  // A fresh watch covers the newly joined room.
  auto next = hub_.watch(kMe, io_.get_executor());
  hub_.publish(changes({message(102, "room_n")}));
  EXPECT_TRUE(next->fired());
  hub_.unwatch(next);
}

TEST_F(SyncHubTest, FireEndsAWaitEarly) {
  auto w = hub_.watch(kMe, io_.get_executor());
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await w->wait_until(std::chrono::steady_clock::now() + 10s);
        done = true;
      },
      asio::detached);
  io_.poll();
  EXPECT_FALSE(done) << "waiting on the timer";
  auto start = std::chrono::steady_clock::now();
  hub_.publish(changes({member(101, "room_a", kMe, "invite")}));
  io_.run_for(2s);
  EXPECT_TRUE(done);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  hub_.unwatch(w);
}

TEST_F(SyncHubTest, AWaitEndsAtItsDeadline) {
  auto w = hub_.watch(kMe, io_.get_executor());
  bool done = false;
  auto start = std::chrono::steady_clock::now();
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await w->wait_until(start + 20ms);
        done = true;
      },
      asio::detached);
  io_.run_for(2s);
  EXPECT_TRUE(done);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  EXPECT_FALSE(w->fired());
  hub_.unwatch(w);
}

TEST_F(SyncHubTest, AWaiterFiredBeforeItWaitsDoesNotWait) {
  auto w = hub_.watch(kMe, io_.get_executor());
  w->fire();
  w->fire();  // twice is a no-op
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await w->wait_until(std::chrono::steady_clock::now() + 10s);
        done = true;
      },
      asio::detached);
  auto start = std::chrono::steady_clock::now();
  io_.run_for(2s);
  EXPECT_TRUE(done);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  hub_.unwatch(w);
}

}  // namespace
}  // namespace bartab::chat
