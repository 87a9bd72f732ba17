#include "services/chat/service/sync_window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace bartab::chat {
namespace {

const std::string kMe = "usr_me";

// An in-memory log and everything compute_window asks of it, derived from the events
// alone (memberships are the last member event about each user, as in the store).
class FakeSource final : public SyncSource {
 public:
  // --- building the log ------------------------------------------------------------
  std::int64_t append(const std::string& room_id, const std::string& sender, const std::string& type,
                      const std::string& content, std::optional<std::string> target = std::nullopt) {
    Event e;
    e.pos = ++pos_;
    e.room_id = room_id;
    e.seq = ++seqs_[room_id];
    e.event_id = "evt_" + std::to_string(e.pos);
    e.sender = sender;
    e.type = type;
    e.content = content;
    e.target = std::move(target);
    log_.push_back(std::make_shared<const Event>(std::move(e)));
    return pos_;
  }
  std::int64_t member(const std::string& room_id, const std::string& sender, const std::string& user_id,
                      const std::string& membership) {
    return append(room_id, sender, "member",
                  R"({"user_id":")" + user_id + R"(","membership":")" + membership + R"("})", user_id);
  }
  std::int64_t create(const std::string& room_id, const std::string& creator) {
    return member(room_id, creator, creator, "join");
  }
  std::int64_t join(const std::string& room_id, const std::string& user_id) {
    return member(room_id, user_id, user_id, "join");
  }
  std::int64_t leave(const std::string& room_id, const std::string& user_id) {
    return member(room_id, user_id, user_id, "leave");
  }
  std::int64_t kick(const std::string& room_id, const std::string& by, const std::string& user_id) {
    return member(room_id, by, user_id, "leave");
  }
  std::int64_t ban(const std::string& room_id, const std::string& by, const std::string& user_id) {
    return member(room_id, by, user_id, "ban");
  }
  std::int64_t invite(const std::string& room_id, const std::string& by, const std::string& user_id) {
    return member(room_id, by, user_id, "invite");
  }
  std::int64_t msg(const std::string& room_id, const std::string& sender = "usr_other") {
    return append(room_id, sender, "message", R"({"body":"hi"})");
  }
  void set_read(const std::string& room_id, const std::string& user_id, std::int64_t messages) {
    read_[{room_id, user_id}] = messages;
  }
  void set_name(const std::string& room_id, const std::string& name) { names_[room_id] = name; }
  void set_typing(const std::string& room_id, std::vector<std::string> users) {
    typing_[room_id] = {++typing_serial_, std::move(users)};
  }

  std::int64_t last_pos() const { return pos_; }
  const std::vector<EventPtr>& log() const { return log_; }

  // --- SyncSource ------------------------------------------------------------------
  std::vector<Membership> memberships(const std::string& user_id) override {
    std::map<std::string, Membership> current;
    for (const auto& e : log_) {
      if (e->type != "member" || e->target != user_id) continue;
      Membership m{e->room_id, user_id, membership_in(*e), "member", e->pos, std::nullopt};
      if (m.membership == "invite") m.inviter = e->sender;
      current[e->room_id] = m;
    }
    std::vector<Membership> out;
    for (auto& [room_id, m] : current) out.push_back(m);
    return out;
  }
  std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after,
                                      std::int64_t upto) override {
    std::vector<Event> out;
    for (const auto& e : log_) {
      if (e->type == "member" && e->target == user_id && e->pos > after && e->pos <= upto) out.push_back(*e);
    }
    return out;
  }
  std::optional<std::string> membership_at(const std::string& room_id, const std::string& user_id,
                                           std::int64_t pos) override {
    std::optional<std::string> found;
    for (const auto& e : log_) {
      if (e->pos > pos) break;
      if (e->type == "member" && e->room_id == room_id && e->target == user_id) found = membership_in(*e);
    }
    return found;
  }
  std::vector<EventPtr> events_between(const std::string& room_id, std::int64_t after, std::int64_t upto,
                                       std::size_t limit) override {
    std::vector<EventPtr> out;
    for (const auto& e : log_) {
      if (out.size() >= limit) break;
      if (e->room_id == room_id && e->pos > after && e->pos <= upto) out.push_back(e);
    }
    return out;
  }
  RoomInfo room_info(const std::string& room_id) override {
    RoomInfo info;
    auto name = names_.find(room_id);
    info.name = name == names_.end() ? "Room " + room_id : name->second;
    info.topic = "about " + room_id;
    std::map<std::string, std::string> members;
    for (const auto& e : log_) {
      if (e->room_id != room_id) continue;
      if (e->type == "message") ++info.messages;
      if (e->type == "member") members[*e->target] = membership_in(*e);
    }
    for (const auto& [user, m] : members) info.member_count += m == "join" ? 1 : 0;
    return info;
  }
  std::int64_t read_marker(const std::string& room_id, const std::string& user_id) override {
    auto it = read_.find({room_id, user_id});
    return it == read_.end() ? 0 : it->second;
  }
  std::uint64_t typing_serial() override { return typing_serial_; }
  std::uint64_t typing_changed_at(const std::string& room_id) override {
    auto it = typing_.find(room_id);
    return it == typing_.end() ? 0 : it->second.first;
  }
  std::vector<std::string> typing(const std::string& room_id) override {
    auto it = typing_.find(room_id);
    return it == typing_.end() ? std::vector<std::string>{} : it->second.second;
  }

  static std::string membership_in(const Event& e) {
    for (const char* m : {"join", "invite", "leave", "ban"}) {
      if (e.content.find(std::string("\"membership\":\"") + m + "\"") != std::string::npos) return m;
    }
    return "?";
  }

 private:
  std::int64_t pos_ = 0;
  std::map<std::string, std::int64_t> seqs_;
  std::vector<EventPtr> log_;
  std::map<std::pair<std::string, std::string>, std::int64_t> read_;
  std::map<std::string, std::string> names_;
  std::map<std::string, std::pair<std::uint64_t, std::vector<std::string>>> typing_;
  std::uint64_t typing_serial_ = 0;
};

std::vector<std::int64_t> positions(const std::vector<EventPtr>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e->pos);
  return out;
}
std::vector<std::int64_t> positions(const SyncWindow& w, const std::string& room_id) {
  auto it = w.rooms.find(room_id);
  return it == w.rooms.end() ? std::vector<std::int64_t>{} : positions(it->second.events);
}
std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto p = from; p <= to; ++p) out.push_back(p);
  return out;
}

using Positions = std::vector<std::int64_t>;
using Users = std::vector<std::string>;

TEST(ComputeWindow, AJoinedUserSeesTheRoomsEventsAfterTheTokenUpToTheMark) {
  FakeSource log;
  auto created = log.create("room_a", kMe);
  log.set_name("room_a", "Lobby");
  log.join("room_a", "usr_other");
  log.msg("room_a");
  auto after = log.msg("room_a");
  auto first = log.msg("room_a");
  log.msg("room_a", kMe);
  auto mark = log.msg("room_a");
  log.msg("room_a");  // past the mark: not yet published
  log.create("room_x", "usr_other");
  log.msg("room_x");

  auto w = compute_window(log, kMe, after, 0, mark, 100);
  EXPECT_EQ(w.next, mark);
  ASSERT_EQ(w.rooms.size(), 1u) << "room_x is not the user's";
  const auto& room = w.rooms.at("room_a");
  EXPECT_EQ(positions(room.events), range(first, mark));
  EXPECT_EQ(room.membership, "join");
  EXPECT_FALSE(room.limited);
  EXPECT_FALSE(room.prev_seq);
  EXPECT_EQ(room.summary.name, "Lobby");
  EXPECT_EQ(room.summary.member_count, 2);
  EXPECT_TRUE(w.invites.empty());
  EXPECT_TRUE(w.left.empty());

  auto from_start = compute_window(log, kMe, 0, 0, mark, 100);
  EXPECT_EQ(positions(from_start, "room_a"), range(created, mark));
  EXPECT_FALSE(from_start.rooms.at("room_a").limited) << "the user was there from seq 1";
}

TEST(ComputeWindow, NothingNewIsAnEmptyWindowAtTheMark) {
  FakeSource log;
  log.create("room_a", kMe);
  auto mark = log.msg("room_a");
  auto w = compute_window(log, kMe, mark, 0, mark, 100);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.next, mark);

  FakeSource nothing;
  auto none = compute_window(nothing, kMe, 0, 0, 0, 100);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.next, 0);
}

TEST(ComputeWindow, OtherRoomsEventsDoNotCutTheWindow) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_x", "usr_other");
  for (int i = 0; i < 20; ++i) log.msg("room_x");
  auto mine = log.msg("room_a");
  auto w = compute_window(log, kMe, 2, 0, log.last_pos(), 3);
  EXPECT_EQ(w.next, log.last_pos()) << "room_x is invisible to the user and must not shorten the answer";
  EXPECT_EQ(positions(w, "room_a"), Positions{mine});
}

TEST(ComputeWindow, MoreThanLimitEventsCutTheWindowAtTheBusiestRoomsLimitThEvent) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_b", kMe);
  std::int64_t after = log.last_pos();
  Positions a, b;
  for (int i = 0; i < 12; ++i) {
    a.push_back(log.msg("room_a"));
    if (i % 2 == 0) b.push_back(log.msg("room_b"));
  }
  // a: 12 events, b: 6 events interleaved; limit 5.
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 5);
  EXPECT_EQ(w.next, a[4]) << "stops at the 5th event of room_a";
  EXPECT_EQ(positions(w, "room_a"), Positions(a.begin(), a.begin() + 5));
  Positions b_upto_next;
  for (auto p : b)
    if (p <= a[4]) b_upto_next.push_back(p);
  EXPECT_EQ(positions(w, "room_b"), b_upto_next) << "other rooms end at next too";
  EXPECT_EQ(b_upto_next.size(), 2u);

  auto second = compute_window(log, kMe, w.next, 0, log.last_pos(), 5);
  EXPECT_EQ(second.next, a[9]);
  EXPECT_EQ(positions(second, "room_a"), Positions(a.begin() + 5, a.begin() + 10));
  auto third = compute_window(log, kMe, second.next, 0, log.last_pos(), 5);
  EXPECT_EQ(third.next, log.last_pos());
  EXPECT_EQ(positions(third, "room_a"), Positions(a.begin() + 10, a.end()));
}

TEST(ComputeWindow, TheBusiestRoomIsTheOneWhoseLimitThEventComesFirst) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_b", kMe);
  std::int64_t after = log.last_pos();
  for (int i = 0; i < 3; ++i) log.msg("room_b");  // room_b's first 3 come early
  for (int i = 0; i < 10; ++i) log.msg("room_a");
  auto b4 = log.msg("room_b");
  for (int i = 0; i < 3; ++i) log.msg("room_b");
  // Both rooms have more than 4 events; room_a's 4th (pos after+7) precedes room_b's 4th.
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 4);
  EXPECT_EQ(w.next, after + 7);
  EXPECT_EQ(positions(w, "room_b"), range(after + 1, after + 3));
  EXPECT_EQ(positions(w, "room_a"), range(after + 4, after + 7));
  EXPECT_GT(b4, w.next);
}

TEST(ComputeWindow, ExactlyLimitEventsIsNoCut) {
  FakeSource log;
  log.create("room_a", kMe);
  auto after = log.last_pos();
  for (int i = 0; i < 5; ++i) log.msg("room_a");
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 5);
  EXPECT_EQ(w.next, log.last_pos());
  EXPECT_EQ(positions(w, "room_a").size(), 5u);
}

// What the user may see of the log: events of a room while joined, from the join event
// to the leave (kick, ban) event inclusive.
std::map<std::string, Positions> visible_to(const FakeSource& log, const std::string& user_id) {
  std::map<std::string, std::string> membership;
  std::map<std::string, Positions> out;
  for (const auto& e : log.log()) {
    auto before = membership[e->room_id];
    auto after = before;
    if (e->type == "member" && e->target == user_id) after = FakeSource::membership_in(*e);
    membership[e->room_id] = after;
    if (before == "join" || after == "join") out[e->room_id].push_back(e->pos);
  }
  return out;
}

// Follows `next` from `after` until caught up, collecting every room's events.
std::map<std::string, Positions> follow(FakeSource& log, const std::string& user_id, std::int64_t after,
                                        std::size_t limit, int* windows = nullptr) {
  std::map<std::string, Positions> got;
  auto mark = log.last_pos();
  for (int n = 0;; ++n) {
    if (n > 10000) {
      ADD_FAILURE() << "no progress";
      break;
    }
    auto w = compute_window(log, user_id, after, 0, mark, limit);
    if (after < mark) {
      EXPECT_GT(w.next, after) << "next moves forward";
    }
    EXPECT_LE(w.next, mark);
    for (const auto& [room_id, update] : w.rooms) {
      EXPECT_LE(update.events.size(), limit);
      for (const auto& e : update.events) {
        EXPECT_GT(e->pos, after);
        EXPECT_LE(e->pos, w.next);
        EXPECT_EQ(e->room_id, room_id);
        got[room_id].push_back(e->pos);
      }
    }
    if (windows) ++*windows;
    if (w.next == mark) break;
    after = w.next;
  }
  std::erase_if(got, [](const auto& room) { return room.second.empty(); });
  return got;
}

TEST(ComputeWindow, FollowingNextYieldsEveryEventExactlyOnceWithoutGaps) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_b", kMe);
  log.create("room_c", kMe);
  log.create("room_x", "usr_other");
  std::mt19937 random(7);
  const char* rooms[] = {"room_a", "room_a", "room_a", "room_b", "room_c", "room_x"};
  for (int i = 0; i < 150; ++i) log.msg(rooms[random() % 6]);
  auto expected = visible_to(log, kMe);
  ASSERT_EQ(expected.size(), 3u);
  for (std::size_t limit : {1u, 2u, 3u, 5u, 8u, 40u, 1000u}) {
    int windows = 0;
    EXPECT_EQ(follow(log, kMe, 0, limit, &windows), expected) << "limit " << limit;
    if (limit == 1000u) {
      EXPECT_EQ(windows, 1);
    }
    if (limit == 1u) {
      EXPECT_GT(windows, 100);
    }
  }
}

TEST(ComputeWindow, FollowingNextThroughMembershipChangesYieldsExactlyWhatTheUserMaySee) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    FakeSource log;
    std::mt19937 random(seed);
    std::vector<std::string> rooms{"room_a", "room_b", "room_c", "room_d"};
    std::map<std::string, std::string> mine;
    for (const auto& r : rooms) log.create(r, "usr_owner");
    for (int i = 0; i < 160; ++i) {
      const auto& r = rooms[random() % rooms.size()];
      if (random() % 5 != 0) {
        log.msg(r, random() % 3 == 0 ? kMe : "usr_other");
        continue;
      }
      auto& m = mine[r];
      auto pick = random() % 2;
      if (m.empty() || m == "leave") {
        m = pick ? "join" : "invite";
        pick ? log.join(r, kMe) : log.invite(r, "usr_owner", kMe);
      } else if (m == "invite") {
        m = pick ? "join" : "leave";
        pick ? log.join(r, kMe) : log.leave(r, kMe);
      } else if (m == "join") {
        m = pick ? "leave" : "ban";
        pick ? (random() % 2 ? log.leave(r, kMe) : log.kick(r, "usr_owner", kMe))
             : log.ban(r, "usr_owner", kMe);
      } else {  // ban
        m = "leave";
        log.member(r, "usr_owner", kMe, "leave");  // unban
      }
    }
    auto expected = visible_to(log, kMe);
    for (std::size_t limit : {1u, 2u, 4u, 7u, 1000u}) {
      EXPECT_EQ(follow(log, kMe, 0, limit), expected) << "seed " << seed << " limit " << limit;
    }
  }
}

TEST(ComputeWindow, LeavingEndsTheRoomAtTheLeaveEventInclusive) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.join("room_a", kMe);
  auto after = log.msg("room_a");
  auto m1 = log.msg("room_a");
  auto left = log.leave("room_a", kMe);
  log.msg("room_a");
  log.msg("room_a");
  log.set_typing("room_a", {"usr_other"});

  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  ASSERT_TRUE(w.rooms.contains("room_a"));
  const auto& room = w.rooms.at("room_a");
  EXPECT_EQ(positions(room.events), (Positions{m1, left}));
  EXPECT_EQ(room.membership, "leave");
  EXPECT_TRUE(room.typing.empty()) << "no typing for a room the user left";
  EXPECT_EQ(room.unread, 0);
  EXPECT_EQ(w.left, Users{"room_a"});
  EXPECT_EQ(w.next, log.last_pos());

  // The next window has nothing of the room, however much it talks.
  log.msg("room_a");
  log.set_typing("room_a", {"usr_other", "usr_owner"});
  auto later = compute_window(log, kMe, w.next, 0, log.last_pos(), 100);
  EXPECT_TRUE(later.empty());
}

TEST(ComputeWindow, AKickedUserSeesTheKickAndNothingAfter) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.join("room_a", kMe);
  auto after = log.last_pos();
  auto m1 = log.msg("room_a");
  auto kicked = log.kick("room_a", "usr_owner", kMe);
  log.msg("room_a", "usr_owner");
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_EQ(positions(w, "room_a"), (Positions{m1, kicked}));
  EXPECT_EQ(w.rooms.at("room_a").membership, "leave");
  EXPECT_EQ(w.rooms.at("room_a").events.back()->sender, "usr_owner");
  EXPECT_EQ(w.left, Users{"room_a"});
}

TEST(ComputeWindow, ABannedUserSeesTheBanAndNothingAfter) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.join("room_a", kMe);
  auto after = log.last_pos();
  auto banned = log.ban("room_a", "usr_owner", kMe);
  log.msg("room_a", "usr_owner");
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_EQ(positions(w, "room_a"), Positions{banned});
  EXPECT_EQ(w.rooms.at("room_a").membership, "ban");
  EXPECT_EQ(w.left, Users{"room_a"});
}

TEST(ComputeWindow, ALeaveBeyondTheCutIsReportedInTheWindowThatReachesIt) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.join("room_a", kMe);
  auto after = log.last_pos();
  Positions messages;
  for (int i = 0; i < 6; ++i) messages.push_back(log.msg("room_a"));
  auto left = log.leave("room_a", kMe);
  log.msg("room_a");

  auto first = compute_window(log, kMe, after, 0, log.last_pos(), 3);
  EXPECT_EQ(first.next, messages[2]);
  EXPECT_EQ(first.rooms.at("room_a").membership, "join") << "still joined as of next";
  EXPECT_TRUE(first.left.empty());
  auto second = compute_window(log, kMe, first.next, 0, log.last_pos(), 3);
  EXPECT_EQ(second.next, messages[5]);
  EXPECT_TRUE(second.left.empty());
  auto third = compute_window(log, kMe, second.next, 0, log.last_pos(), 3);
  EXPECT_EQ(third.next, log.last_pos());
  EXPECT_EQ(positions(third, "room_a"), Positions{left});
  EXPECT_EQ(third.left, Users{"room_a"});
}

TEST(ComputeWindow, JoiningInsideTheWindowStartsAtTheJoinWithOlderHistoryBehindPrev) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  for (int i = 0; i < 4; ++i) log.msg("room_a");
  log.create("room_b", kMe);
  auto after = log.last_pos();
  log.msg("room_a");  // before the join: not the user's
  auto joined = log.join("room_a", kMe);
  auto m1 = log.msg("room_a");
  auto m2 = log.msg("room_a");

  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  ASSERT_TRUE(w.rooms.contains("room_a"));
  const auto& room = w.rooms.at("room_a");
  EXPECT_EQ(positions(room.events), (Positions{joined, m1, m2}));
  EXPECT_EQ(room.membership, "join");
  EXPECT_TRUE(room.limited);
  EXPECT_EQ(room.prev_seq, std::optional<std::int64_t>(7)) << "the join is room_a's 7th event";
  EXPECT_EQ(room.events.front()->seq, 7);
  EXPECT_TRUE(w.left.empty());
  EXPECT_TRUE(w.invites.empty());

  // Once joined, the next windows are plain.
  log.msg("room_a");
  auto next = compute_window(log, kMe, w.next, 0, log.last_pos(), 100);
  EXPECT_FALSE(next.rooms.at("room_a").limited);
  EXPECT_FALSE(next.rooms.at("room_a").prev_seq);
}

TEST(ComputeWindow, JoiningARoomWithNoOlderHistoryIsNotLimited) {
  FakeSource log;
  log.msg("room_z");  // another room's event, so positions and seqs differ
  auto created = log.create("room_a", kMe);
  log.msg("room_a");
  auto w = compute_window(log, kMe, 1, 0, log.last_pos(), 100);
  EXPECT_EQ(positions(w, "room_a"), (Positions{created, created + 1}));
  EXPECT_FALSE(w.rooms.at("room_a").limited);
  EXPECT_FALSE(w.rooms.at("room_a").prev_seq);
}

TEST(ComputeWindow, InvitesCarryTheInviterAndTheRoomName) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.set_name("room_a", "Secret plans");
  log.msg("room_a");
  log.create("room_b", kMe);
  auto after = log.last_pos();
  log.invite("room_a", "usr_owner", kMe);
  log.msg("room_a");

  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  ASSERT_EQ(w.invites.size(), 1u);
  EXPECT_EQ(w.invites.at("room_a").inviter, "usr_owner");
  EXPECT_EQ(w.invites.at("room_a").name, "Secret plans");
  EXPECT_FALSE(w.rooms.contains("room_a")) << "an invited user sees none of the room's events";
  EXPECT_TRUE(w.left.empty());
  EXPECT_FALSE(w.empty());

  auto later = compute_window(log, kMe, w.next, 0, log.last_pos(), 100);
  EXPECT_TRUE(later.invites.empty()) << "an invite is reported once, in the window it arrived in";
}

TEST(ComputeWindow, TheLatestInviterIsReported) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.invite("room_a", "usr_owner", kMe);
  log.member("room_a", "usr_owner", kMe, "leave");  // withdrawn
  log.invite("room_a", "usr_admin", kMe);
  auto w = compute_window(log, kMe, 1, 0, log.last_pos(), 100);
  ASSERT_TRUE(w.invites.contains("room_a"));
  EXPECT_EQ(w.invites.at("room_a").inviter, "usr_admin");
  EXPECT_TRUE(w.left.empty());
}

TEST(ComputeWindow, AnInviteDeclinedInsideTheWindowIsLeft) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  auto after = log.last_pos();
  log.invite("room_a", "usr_owner", kMe);
  log.msg("room_a");
  log.leave("room_a", kMe);  // decline
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_TRUE(w.invites.empty());
  EXPECT_EQ(w.left, Users{"room_a"});
  EXPECT_FALSE(w.rooms.contains("room_a")) << "nothing of the room was visible";
}

TEST(ComputeWindow, AnInviteDeclinedInALaterWindowIsLeftThen) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  auto after = log.last_pos();
  log.invite("room_a", "usr_owner", kMe);
  auto first = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  ASSERT_TRUE(first.invites.contains("room_a"));
  log.leave("room_a", kMe);
  auto second = compute_window(log, kMe, first.next, 0, log.last_pos(), 100);
  EXPECT_TRUE(second.invites.empty());
  EXPECT_EQ(second.left, Users{"room_a"});
}

TEST(ComputeWindow, AnInviteAcceptedInsideTheWindowIsAJoinedRoom) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  auto after = log.last_pos();
  log.invite("room_a", "usr_owner", kMe);
  auto joined = log.join("room_a", kMe);
  auto m = log.msg("room_a");
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_TRUE(w.invites.empty());
  EXPECT_TRUE(w.left.empty());
  EXPECT_EQ(positions(w, "room_a"), (Positions{joined, m}));
  EXPECT_EQ(w.rooms.at("room_a").membership, "join");
  EXPECT_TRUE(w.rooms.at("room_a").limited);
  EXPECT_EQ(w.rooms.at("room_a").prev_seq, std::optional<std::int64_t>(3));
}

TEST(ComputeWindow, ABanOfSomeoneNeverPresentIsNotLeft) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  auto after = log.last_pos();
  log.ban("room_a", "usr_owner", kMe);
  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_TRUE(w.empty()) << "the user never was in the room: nothing to leave";
}

TEST(ComputeWindow, LeavingAndRejoiningInOneWindowHidesOnlyTheTimeAway) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.join("room_a", kMe);
  auto after = log.last_pos();
  auto before_leave = log.msg("room_a");
  auto left = log.leave("room_a", kMe);
  log.msg("room_a");
  log.msg("room_a");
  auto rejoined = log.join("room_a", kMe);
  auto m = log.msg("room_a");

  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_EQ(positions(w, "room_a"), (Positions{before_leave, left, rejoined, m}));
  EXPECT_EQ(w.rooms.at("room_a").membership, "join");
  EXPECT_TRUE(w.left.empty()) << "back in the room by the end of the window";
}

TEST(ComputeWindow, JoiningLeavingAndJoiningAgainInOneWindow) {
  FakeSource log;
  log.create("room_a", "usr_owner");
  log.msg("room_a");
  auto after = log.last_pos();
  log.msg("room_a");
  auto j1 = log.join("room_a", kMe);
  auto m1 = log.msg("room_a");
  auto l1 = log.kick("room_a", "usr_owner", kMe);
  log.msg("room_a");
  auto j2 = log.join("room_a", kMe);
  auto m2 = log.msg("room_a");

  auto w = compute_window(log, kMe, after, 0, log.last_pos(), 100);
  EXPECT_EQ(positions(w, "room_a"), (Positions{j1, m1, l1, j2, m2}));
  const auto& room = w.rooms.at("room_a");
  EXPECT_EQ(room.membership, "join");
  EXPECT_TRUE(room.limited);
  EXPECT_EQ(room.prev_seq, std::optional<std::int64_t>(4)) << "from the first join on";
  EXPECT_TRUE(w.left.empty());
}

TEST(ComputeWindow, UnreadIsTheRoomsMessagesMinusTheReadMarker) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_b", kMe);
  for (int i = 0; i < 7; ++i) log.msg("room_a");
  log.append("room_a", "usr_other", "reaction", R"({"event_id":"evt_3","key":"+1"})");
  log.msg("room_b");
  log.set_read("room_a", kMe, 3);
  log.set_read("room_b", kMe, 5);  // a marker beyond the count never goes negative
  auto w = compute_window(log, kMe, 2, 0, log.last_pos(), 100);
  EXPECT_EQ(w.rooms.at("room_a").unread, 4);
  EXPECT_EQ(w.rooms.at("room_a").summary.messages, 7) << "only `message` events count";
  EXPECT_EQ(w.rooms.at("room_b").unread, 0);
  log.set_read("room_b", kMe, 0);
  EXPECT_EQ(compute_window(log, kMe, 2, 0, log.last_pos(), 100).rooms.at("room_b").unread, 1);
}

TEST(ComputeWindow, TypingChangesAfterTheTokenShowForJoinedRoomsOnly) {
  FakeSource log;
  log.create("room_a", kMe);
  log.create("room_b", kMe);
  log.create("room_c", kMe);
  log.create("room_i", "usr_owner");
  log.invite("room_i", "usr_owner", kMe);
  log.create("room_l", kMe);
  log.leave("room_l", kMe);
  log.create("room_x", "usr_other");
  auto mark = log.last_pos();

  log.set_typing("room_b", {"usr_old"});  // serial 1: the client has seen it
  auto seen = log.typing_serial();
  log.set_typing("room_a", {"usr_1", "usr_2"});  // 2
  log.set_typing("room_i", {"usr_owner"});       // 3: invited only
  log.set_typing("room_l", {"usr_owner"});       // 4: left before the window
  log.set_typing("room_x", {"usr_other"});       // 5: not the user's

  auto w = compute_window(log, kMe, mark, seen, mark, 100);
  EXPECT_EQ(w.typing, 5u);
  EXPECT_EQ(w.next, mark);
  ASSERT_EQ(w.rooms.size(), 1u);
  const auto& room = w.rooms.at("room_a");
  EXPECT_EQ(room.typing, (Users{"usr_1", "usr_2"}));
  EXPECT_TRUE(room.events.empty());
  EXPECT_EQ(room.membership, "join");
  EXPECT_TRUE(w.invites.empty());
  EXPECT_TRUE(w.left.empty());

  auto caught_up = compute_window(log, kMe, mark, w.typing, mark, 100);
  EXPECT_TRUE(caught_up.empty());
  EXPECT_EQ(caught_up.typing, 5u);

  auto from_zero = compute_window(log, kMe, mark, 0, mark, 100);
  EXPECT_EQ(from_zero.rooms.size(), 2u) << "a token of another run (typing 0) sees every room's list";
  EXPECT_EQ(from_zero.rooms.at("room_b").typing, Users{"usr_old"});
}

TEST(ComputeWindow, RoomsWithEventsCarryTheirCurrentTypingList) {
  FakeSource log;
  log.create("room_a", kMe);
  log.set_typing("room_a", {"usr_other"});
  auto seen = log.typing_serial();
  auto after = log.last_pos();
  log.msg("room_a");
  auto w = compute_window(log, kMe, after, seen, log.last_pos(), 100);
  EXPECT_EQ(w.rooms.at("room_a").typing, Users{"usr_other"});
}

}  // namespace
}  // namespace bartab::chat
