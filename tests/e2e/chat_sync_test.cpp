// /v1/sync over HTTP against the real binary: the snapshot, long polls that wake,
// time out and cut at the limit without gaps, membership followed through the
// stream (invites, joins, kicks, leaves), typing, tokens across restarts and
// backups, concurrent senders and pollers, and SIGTERM answering held polls.
#include <gtest/gtest.h>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "e2e/chat_fixture.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

struct Poll {
  unsigned status = 0;
  json::object body;
};

class ChatSync : public ChatFixture {
 protected:
  static void SetUpTestSuite() { start(); }
  static void TearDownTestSuite() { stop(); }

  static Poll sync(const Account& who, const std::string& query) {
    auto reply = call(who, "GET", "/v1/sync" + query);
    Poll poll{reply.status};
    if (reply.status == 200) poll.body = json::parse(reply.body).as_object();
    EXPECT_TRUE(reply.status == 200 || reply.body.find("\"error\"") != std::string::npos) << reply.body;
    return poll;
  }
  static std::string next_of(const Poll& p) { return std::string(p.body.at("next").as_string()); }
  static std::string token_now(const Account& who) { return next_of(sync(who, "?limit=1")); }

  // The room's events in one answer (empty when the room is absent).
  static json::array events_in(const Poll& p, const std::string& room) {
    const auto* entry = p.body.at("rooms").as_object().if_contains(room);
    return entry ? entry->at("events").as_array() : json::array{};
  }
  static std::vector<std::string> bodies(const json::array& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.at("type") != "message") continue;
      out.emplace_back(e.at("content").at("body").as_string());
    }
    return out;
  }
  static std::string join_room(const Account& who, const std::string& room) {
    EXPECT_EQ(call(who, "POST", "/v1/rooms/" + room + "/join").status, 200u);
    return room;
  }
};

TEST_F(ChatSync, SnapshotHoldsJoinedRoomsLatestEventsAndInvites) {
  auto room = create(*alice_, "public");
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(send(*alice_, room, "snap" + std::to_string(i), "m" + std::to_string(i)).status, 200u);
  auto secret = create(*alice_, "private", json::array{bob_->user_id});

  auto snap = sync(*alice_, "?limit=3");
  ASSERT_EQ(snap.status, 200u);
  auto entry = snap.body.at("rooms").at(room).as_object();
  EXPECT_EQ(entry.at("membership"), "join");
  EXPECT_EQ(bodies(entry.at("events").as_array()), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(entry.at("limited"), true);
  EXPECT_EQ(entry.at("summary").at("name"), "Room");
  EXPECT_EQ(entry.at("summary").at("member_count"), 1);
  // `prev` continues the history right below the snapshot.
  auto older =
      call(*alice_, "GET",
           "/v1/rooms/" + room + "/events?limit=2&from=" + std::string(entry.at("prev").as_string()));
  ASSERT_EQ(older.status, 200u) << older.body;
  EXPECT_EQ(bodies(json::parse(older.body).at("events").as_array()), (std::vector<std::string>{"m1", "m0"}));

  auto invited = sync(*bob_, "");
  ASSERT_EQ(invited.status, 200u);
  EXPECT_FALSE(invited.body.at("rooms").as_object().contains(secret)) << "an invite is not a joined room";
  EXPECT_EQ(invited.body.at("invites").at(secret).at("inviter").as_string(), alice_->user_id);
  EXPECT_EQ(invited.body.at("invites").at(secret).at("name"), "Room");
}

TEST_F(ChatSync, APollWaitsForTheNextEventAndWakesOnIt) {
  auto room = join_room(*bob_, create(*alice_, "public"));
  auto since = token_now(*bob_);
  std::thread sender([&] {
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(send(*alice_, room, "wake", "wake up").status, 200u);
  });
  auto woken = sync(*bob_, "?timeout=4000&since=" + since);
  sender.join();
  ASSERT_EQ(woken.status, 200u);
  EXPECT_EQ(bodies(events_in(woken, room)), (std::vector<std::string>{"wake up"}));
  EXPECT_NE(next_of(woken), since);
  auto entry = woken.body.at("rooms").at(room);
  EXPECT_EQ(entry.at("limited"), false);
  EXPECT_EQ(entry.at("unread"), 1);
}

TEST_F(ChatSync, ATimeoutAnswersEmptyWithTheSameToken) {
  join_room(*bob_, create(*alice_, "public"));
  auto since = token_now(*bob_);
  auto quiet = sync(*bob_, "?timeout=150&since=" + since);
  ASSERT_EQ(quiet.status, 200u);
  EXPECT_EQ(next_of(quiet), since);
  EXPECT_TRUE(quiet.body.at("rooms").as_object().empty());
  EXPECT_TRUE(quiet.body.at("invites").as_object().empty());
  EXPECT_TRUE(quiet.body.at("left").as_array().empty());
  auto at_once = sync(*bob_, "?timeout=0&since=" + since);
  EXPECT_EQ(next_of(at_once), since);
}

TEST_F(ChatSync, EventsInRoomsTheUserIsNotInStayInvisible) {
  auto since = token_now(*carol_);
  auto elsewhere = create(*alice_, "public");
  ASSERT_EQ(send(*alice_, elsewhere, "x", "not for carol").status, 200u);
  auto poll = sync(*carol_, "?timeout=0&since=" + since);
  EXPECT_FALSE(poll.body.at("rooms").as_object().contains(elsewhere));
}

TEST_F(ChatSync, TheSameTokenGivesTheSameAnswer) {
  auto room = join_room(*bob_, create(*alice_, "public"));
  auto since = token_now(*bob_);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(send(*alice_, room, "same" + std::to_string(i), "s" + std::to_string(i)).status, 200u);
  auto first = sync(*bob_, "?timeout=0&since=" + since);
  auto again = sync(*bob_, "?timeout=0&since=" + since);
  EXPECT_EQ(json::serialize(first.body), json::serialize(again.body))
      << "a lost answer is recovered by retrying";
  EXPECT_EQ(bodies(events_in(again, room)), (std::vector<std::string>{"s0", "s1", "s2"}));
}

TEST_F(ChatSync, TheLimitCutsTheAnswerAndNextContinuesWithoutGaps) {
  auto busy = join_room(*bob_, create(*alice_, "public"));
  auto calm = join_room(*bob_, create(*alice_, "public"));
  auto since = token_now(*bob_);
  std::vector<std::string> expected_busy, expected_calm;
  for (int i = 0; i < 25; ++i) {
    expected_busy.push_back("b" + std::to_string(i));
    ASSERT_EQ(send(*alice_, busy, "cut" + std::to_string(i), expected_busy.back()).status, 200u);
    if (i % 5 != 0) continue;
    expected_calm.push_back("c" + std::to_string(i));
    ASSERT_EQ(send(*alice_, calm, "calm" + std::to_string(i), expected_calm.back()).status, 200u);
  }
  std::vector<std::string> got_busy, got_calm;
  std::vector<std::int64_t> seqs;
  for (int round = 0; round < 10; ++round) {
    auto page = sync(*bob_, "?timeout=0&limit=10&since=" + since);
    ASSERT_EQ(page.status, 200u);
    auto events = events_in(page, busy);
    EXPECT_LE(events.size(), 10u);
    for (const auto& e : events) seqs.push_back(e.at("seq").as_int64());
    for (auto& b : bodies(events)) got_busy.push_back(b);
    for (auto& b : bodies(events_in(page, calm))) got_calm.push_back(b);
    if (next_of(page) == since) break;
    since = next_of(page);
  }
  EXPECT_EQ(got_busy, expected_busy);
  EXPECT_EQ(got_calm, expected_calm);
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << "no gap, no repeat";
}

TEST_F(ChatSync, TokensTheServerDidNotIssueAndBadParametersAre400) {
  auto real = token_now(*bob_);
  auto altered = real;
  altered[1] = altered[1] == '9' ? '8' : '9';
  for (const auto& bad : {std::string("garbage"), std::string("s1_0_abc.AAAAAAAAAAAAAAAAAAAAAA"), altered,
                          real + "x", std::string("h") + real}) {
    auto poll = sync(*bob_, "?timeout=0&since=" + bad);
    EXPECT_EQ(poll.status, 400u) << bad;
  }
  EXPECT_EQ(sync(*bob_, "?limit=0").status, 400u);
  EXPECT_EQ(sync(*bob_, "?limit=501").status, 400u);
  EXPECT_EQ(sync(*bob_, "?limit=ten").status, 400u);
  EXPECT_EQ(sync(*bob_, "?timeout=-1&since=" + real).status, 400u);
  EXPECT_EQ(http(server_->port, "GET", "/v1/sync").status, 401u);
}

TEST_F(ChatSync, AKickedMemberGetsTheKickAndNothingAfter) {
  auto room = join_room(*carol_, create(*alice_, "public"));
  auto since = token_now(*carol_);
  ASSERT_EQ(send(*alice_, room, "before", "before the kick").status, 200u);
  ASSERT_EQ(
      call(*alice_, "POST", "/v1/rooms/" + room + "/kick", json::object{{"user_id", carol_->user_id}}).status,
      200u);
  ASSERT_EQ(send(*alice_, room, "after", "after the kick").status, 200u);

  auto poll = sync(*carol_, "?timeout=0&since=" + since);
  auto events = events_in(poll, room);
  EXPECT_EQ(bodies(events), (std::vector<std::string>{"before the kick"}));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().at("type"), "member");
  EXPECT_EQ(events.back().at("content").at("membership"), "leave");
  EXPECT_EQ(poll.body.at("rooms").at(room).at("membership"), "leave");
  EXPECT_EQ(poll.body.at("left").as_array(), json::array{json::string(room)});

  ASSERT_EQ(send(*alice_, room, "later", "much later").status, 200u);
  auto after = sync(*carol_, "?timeout=100&since=" + next_of(poll));
  EXPECT_FALSE(after.body.at("rooms").as_object().contains(room)) << "nothing of the room after the kick";
}

TEST_F(ChatSync, InviteJoinAndLeaveFlowThroughTheStream) {
  auto room = create(*alice_, "private");
  ASSERT_EQ(send(*alice_, room, "old", "said before dave came").status, 200u);
  auto since = token_now(*dave_);
  ASSERT_EQ(call(*alice_, "POST", "/v1/rooms/" + room + "/invite", json::object{{"user_id", dave_->user_id}})
                .status,
            200u);
  auto invited = sync(*dave_, "?timeout=2000&since=" + since);
  EXPECT_EQ(invited.body.at("invites").at(room).at("inviter").as_string(), alice_->user_id);
  EXPECT_FALSE(invited.body.at("rooms").as_object().contains(room)) << "no events before joining";

  join_room(*dave_, room);
  auto joined = sync(*dave_, "?timeout=2000&since=" + next_of(invited));
  auto entry = joined.body.at("rooms").at(room);
  EXPECT_EQ(entry.at("membership"), "join");
  EXPECT_EQ(entry.at("events").as_array().front().at("type"), "member") << "starts at the join event";
  EXPECT_EQ(entry.at("limited"), true) << "older history is one back-pagination away";
  auto older =
      call(*dave_, "GET", "/v1/rooms/" + room + "/events?from=" + std::string(entry.at("prev").as_string()));
  EXPECT_EQ(bodies(json::parse(older.body).at("events").as_array()),
            (std::vector<std::string>{"said before dave came"}));

  ASSERT_EQ(call(*dave_, "POST", "/v1/rooms/" + room + "/leave").status, 200u);
  auto left = sync(*dave_, "?timeout=2000&since=" + next_of(joined));
  EXPECT_EQ(left.body.at("left").as_array(), json::array{json::string(room)});
}

TEST_F(ChatSync, TypingWakesAPollAndExpires) {
  auto room = join_room(*bob_, create(*alice_, "public"));
  auto since = token_now(*bob_);
  ASSERT_EQ(call(*alice_, "PUT", "/v1/rooms/" + room + "/typing",
                 json::object{{"typing", true}, {"timeout_ms", 400}})
                .status,
            200u);
  auto typing = sync(*bob_, "?timeout=3000&since=" + since);
  ASSERT_EQ(typing.status, 200u);
  EXPECT_EQ(typing.body.at("rooms").at(room).at("typing"), json::array{json::string(alice_->user_id)});
  EXPECT_TRUE(typing.body.at("rooms").at(room).at("events").as_array().empty());
  // The notice expires on its own and the change wakes the next poll.
  auto expired = sync(*bob_, "?timeout=4000&since=" + next_of(typing));
  ASSERT_EQ(expired.status, 200u);
  EXPECT_EQ(expired.body.at("rooms").at(room).at("typing"), json::array{});

  auto path = "/v1/rooms/" + room + "/typing";
  EXPECT_EQ(call(*carol_, "PUT", path, json::object{{"typing", true}}).status, 403u) << "not a member";
  EXPECT_EQ(call(*carol_, "PUT", "/v1/rooms/room_nope/typing", json::object{{"typing", true}}).status, 404u);
  EXPECT_EQ(call(*bob_, "PUT", path, json::object{{"typing", "yes"}}).status, 400u);
  EXPECT_EQ(call(*bob_, "PUT", path, json::object{{"typing", true}, {"timeout_ms", -5}}).status, 400u);
}

TEST_F(ChatSync, ConcurrentSendersAndPollersSeeEveryEventOnceInOrder) {
  auto room = create(*alice_, "public");
  for (auto* who : {bob_, carol_, dave_}) join_room(*who, room);
  constexpr int kPerSender = 40;
  std::vector<Account*> senders{alice_, bob_, carol_, dave_};
  std::vector<Account*> pollers{bob_, carol_, dave_};
  std::vector<std::string> start_tokens;
  for (auto* p : pollers) start_tokens.push_back(token_now(*p));

  std::atomic<bool> done{false};
  std::vector<std::vector<std::int64_t>> seen(pollers.size());
  std::vector<std::size_t> messages_seen(pollers.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < pollers.size(); ++i) {
    threads.emplace_back([&, i] {
      auto since = start_tokens[i];
      auto& messages = messages_seen[i];
      while (messages < senders.size() * kPerSender) {
        auto poll = sync(*pollers[i], "?timeout=2000&since=" + since);
        if (poll.status != 200) return;
        for (const auto& e : events_in(poll, room)) {
          seen[i].push_back(e.at("seq").as_int64());
          if (e.at("type") == "message") ++messages;
        }
        since = next_of(poll);
        if (done && poll.body.at("rooms").as_object().empty()) return;
      }
    });
  }
  std::vector<std::thread> sending;
  for (std::size_t s = 0; s < senders.size(); ++s) {
    sending.emplace_back([&, s] {
      for (int i = 0; i < kPerSender; ++i)
        EXPECT_EQ(
            send(*senders[s], room, "c" + std::to_string(i), std::to_string(s) + ":" + std::to_string(i))
                .status,
            200u);
    });
  }
  for (auto& t : sending) t.join();
  done = true;
  for (auto& t : threads) t.join();

  for (std::size_t i = 0; i < pollers.size(); ++i) {
    EXPECT_EQ(messages_seen[i], senders.size() * kPerSender) << "poller " << i << " missed messages";
    std::set<std::int64_t> unique(seen[i].begin(), seen[i].end());
    EXPECT_EQ(unique.size(), seen[i].size()) << "poller " << i << " saw an event twice";
    for (std::size_t k = 1; k < seen[i].size(); ++k)
      EXPECT_EQ(seen[i][k], seen[i][k - 1] + 1) << "poller " << i;
  }
}

// --- process-level: restarts, backups, SIGTERM -----------------------------------

Reply as(std::uint16_t port, const std::string& token, const std::string& method, const std::string& target,
         const json::value& body = nullptr) {
  Headers headers{{"Authorization", "Bearer " + token}};
  if (body.is_null()) return http(port, method, target, headers);
  headers.emplace_back("Content-Type", "application/json");
  return http(port, method, target, headers, json::serialize(body));
}

TEST(ChatSyncProcess, TokensSurviveARestartAndOnesAheadOfARestoredBackupAre400) {
  TempDir live, backup;
  std::string token, room, before_backup;
  {
    UpOnDirectory server(live.path());
    auto reply = http(server.port(), "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                      R"({"username":"erin","password":"correct horse"})");
    token = std::string(json::parse(reply.body).at("access_token").as_string());
    room = std::string(
        json::parse(as(server.port(), token, "POST", "/v1/rooms", json::object{{"name", "R"}}).body)
            .at("room_id")
            .as_string());
    before_backup =
        std::string(json::parse(as(server.port(), token, "GET", "/v1/sync").body).at("next").as_string());
  }
  std::filesystem::copy(
      live.path(), backup.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  std::string after_backup;
  {
    UpOnDirectory server(live.path());
    auto sent = as(server.port(), token, "PUT", "/v1/rooms/" + room + "/send/t1",
                   json::object{{"type", "message"}, {"content", {{"body", "after the restart"}}}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    auto poll = as(server.port(), token, "GET", "/v1/sync?timeout=0&since=" + before_backup);
    ASSERT_EQ(poll.status, 200u) << "a token outlives the process: " << poll.body;
    auto events = json::parse(poll.body).at("rooms").at(room).at("events").as_array();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].at("content").at("body"), "after the restart");
    after_backup = std::string(json::parse(poll.body).at("next").as_string());
  }
  UpOnDirectory restored(backup.path());
  auto ahead = as(restored.port(), token, "GET", "/v1/sync?timeout=0&since=" + after_backup);
  EXPECT_EQ(ahead.status, 400u) << "a token ahead of the stream: " << ahead.body;
  EXPECT_EQ(as(restored.port(), token, "GET", "/v1/sync?timeout=0&since=" + before_backup).status, 200u);
}

TEST(ChatSyncProcess, SigtermAnswersHeldPollsAndExitsCleanly) {
  TempDir dir;
  UpOnDirectory server(dir.path());
  auto reply = http(server.port(), "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                    R"({"username":"frank","password":"correct horse"})");
  auto token = std::string(json::parse(reply.body).at("access_token").as_string());
  as(server.port(), token, "POST", "/v1/rooms", json::object{{"name", "R"}});
  auto since =
      std::string(json::parse(as(server.port(), token, "GET", "/v1/sync").body).at("next").as_string());

  std::vector<Reply> answers(3);
  std::vector<std::thread> polls;
  for (auto& answer : answers) {
    polls.emplace_back([&, port = server.port()] {
      TestClient client(port, 20s);
      answer = client.request("GET", "/v1/sync?timeout=60000&since=" + since,
                              {{"Authorization", "Bearer " + token}});
    });
  }
  // Wait until the polls are held (they show in the in-flight gauge), then stop.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto metrics = http(server.port(), "GET", "/metrics").body;
    if (metrics.find("bartab_http_requests_in_flight 4") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  server.process().send_signal(SIGTERM);
  for (auto& t : polls) t.join();
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(json::parse(answer.body).at("next").as_string(), since);
  }
  auto status = server.process().wait_exit(10s);
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
}

}  // namespace
}  // namespace bartab::testing
