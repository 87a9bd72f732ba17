#include "services/chat/service/room_tails.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace bartab::chat {
namespace {

EventPtr event(std::int64_t pos, const std::string& room_id, std::int64_t seq = 1) {
  auto e = std::make_shared<Event>();
  e->pos = pos;
  e->room_id = room_id;
  e->seq = seq;
  e->event_id = "evt_" + std::to_string(pos);
  e->sender = "usr_a";
  e->type = "message";
  e->content = R"({"body":"at )" + std::to_string(pos) + R"("})";
  return e;
}

std::vector<std::int64_t> positions(const std::optional<std::vector<EventPtr>>& events) {
  std::vector<std::int64_t> out;
  if (events) {
    for (const auto& e : *events) out.push_back(e->pos);
  }
  return out;
}

using Positions = std::vector<std::int64_t>;

constexpr std::size_t kAll = 1000;

TEST(RoomTails, AnswersWithinTheHeldRange) {
  RoomTails tails(10, 100, 1000);
  for (std::int64_t pos = 11; pos <= 20; ++pos) tails.append(event(pos, "room_a", pos - 10));
  EXPECT_EQ(tails.held(), 10u);

  auto all = tails.between("room_a", 10, 20, kAll);
  ASSERT_TRUE(all);
  EXPECT_EQ(positions(all), (Positions{11, 12, 13, 14, 15, 16, 17, 18, 19, 20}));
  EXPECT_EQ(positions(tails.between("room_a", 13, 17, kAll)), (Positions{14, 15, 16, 17}))
      << "after is exclusive, upto inclusive";
  EXPECT_EQ(positions(tails.between("room_a", 10, 1000, kAll)).size(), 10u) << "upto past the newest";

  auto none = tails.between("room_a", 20, 20, kAll);
  ASSERT_TRUE(none) << "nothing new is an answer, not a miss";
  EXPECT_TRUE(none->empty());
  auto inverted = tails.between("room_a", 15, 12, kAll);
  ASSERT_TRUE(inverted);
  EXPECT_TRUE(inverted->empty());
}

TEST(RoomTails, LimitTakesTheOldestFirst) {
  RoomTails tails(0, 100, 1000);
  for (std::int64_t pos = 1; pos <= 6; ++pos) tails.append(event(pos, "room_a", pos));
  EXPECT_EQ(positions(tails.between("room_a", 0, 6, 3)), (Positions{1, 2, 3}));
  EXPECT_EQ(positions(tails.between("room_a", 3, 6, 2)), (Positions{4, 5}));
  EXPECT_EQ(positions(tails.between("room_a", 0, 6, 1)), (Positions{1}));
  auto zero = tails.between("room_a", 0, 6, 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
}

TEST(RoomTails, RoomsAreSeparate) {
  RoomTails tails(0, 100, 1000);
  tails.append(event(1, "room_a"));
  tails.append(event(2, "room_b"));
  tails.append(event(3, "room_a", 2));
  tails.append(event(4, "room_b", 2));
  EXPECT_EQ(positions(tails.between("room_a", 0, 4, kAll)), (Positions{1, 3}));
  EXPECT_EQ(positions(tails.between("room_b", 0, 4, kAll)), (Positions{2, 4}));
  EXPECT_EQ(positions(tails.between("room_b", 2, 3, kAll)), Positions{});
}

TEST(RoomTails, NothingBelowTheBootMark) {
  RoomTails tails(100, 10, 100);
  tails.append(event(101, "room_a"));
  EXPECT_FALSE(tails.between("room_a", 99, 101, kAll)) << "events at or below 100 were never in memory";
  EXPECT_FALSE(tails.between("room_a", 0, 101, kAll));
  EXPECT_EQ(positions(tails.between("room_a", 100, 101, kAll)), (Positions{101}));
}

TEST(RoomTails, RoomsNeverSeenAnswerEmptyAboveTheBootMark) {
  RoomTails tails(100, 10, 100);
  auto quiet = tails.between("room_quiet", 100, 500, kAll);
  ASSERT_TRUE(quiet) << "no event of the room since boot: memory knows it has none";
  EXPECT_TRUE(quiet->empty());
  EXPECT_TRUE(tails.between("room_quiet", 250, 500, kAll));
  EXPECT_FALSE(tails.between("room_quiet", 99, 500, kAll)) << "but not what came before boot";
}

TEST(RoomTails, PerRoomTrimmingRaisesTheRoomsFloor) {
  RoomTails tails(10, 3, 100);
  for (std::int64_t pos = 11; pos <= 15; ++pos) tails.append(event(pos, "room_a", pos - 10));
  tails.append(event(16, "room_b"));
  EXPECT_EQ(tails.held(), 4u) << "three of room_a, one of room_b";

  EXPECT_EQ(positions(tails.between("room_a", 12, 15, kAll)), (Positions{13, 14, 15}));
  EXPECT_FALSE(tails.between("room_a", 11, 15, kAll)) << "12 was trimmed";
  EXPECT_FALSE(tails.between("room_a", 10, 15, kAll));
  EXPECT_EQ(positions(tails.between("room_a", 13, 15, kAll)), (Positions{14, 15}));
  EXPECT_EQ(positions(tails.between("room_b", 10, 16, kAll)), (Positions{16})) << "other rooms keep theirs";
}

TEST(RoomTails, GlobalTrimmingEmptiesTheLeastRecentlyActiveRoom) {
  RoomTails tails(10, 3, 4);
  tails.append(event(11, "room_a"));
  tails.append(event(12, "room_b"));
  tails.append(event(13, "room_b", 2));
  tails.append(event(14, "room_a", 2));
  EXPECT_EQ(tails.held(), 4u);
  // room_b was active last at 13, room_a at 14: room_b goes.
  tails.append(event(15, "room_c"));
  EXPECT_EQ(tails.held(), 3u);
  EXPECT_FALSE(tails.between("room_b", 10, 15, kAll));
  EXPECT_FALSE(tails.between("room_b", 12, 15, kAll));
  auto b = tails.between("room_b", 13, 15, kAll);
  ASSERT_TRUE(b) << "above its newest event memory still answers for the room";
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(positions(tails.between("room_a", 10, 15, kAll)), (Positions{11, 14}));
  EXPECT_EQ(positions(tails.between("room_c", 10, 15, kAll)), (Positions{15}));

  // room_b comes back: it is now the most recently active; its floor stays at 13.
  tails.append(event(16, "room_b", 3));
  EXPECT_EQ(positions(tails.between("room_b", 13, 16, kAll)), (Positions{16}));
  EXPECT_FALSE(tails.between("room_b", 12, 16, kAll));
  // 5 held again: room_a (newest 14) is now the least recently active.
  tails.append(event(17, "room_c", 2));
  EXPECT_EQ(tails.held(), 3u);
  EXPECT_FALSE(tails.between("room_a", 10, 17, kAll));
  EXPECT_TRUE(tails.between("room_a", 14, 17, kAll));
  EXPECT_EQ(positions(tails.between("room_c", 10, 17, kAll)), (Positions{15, 17}));
  EXPECT_EQ(positions(tails.between("room_b", 13, 17, kAll)), (Positions{16}));
}

TEST(RoomTails, ActivityIsTheNewestEventNotTheFirst) {
  RoomTails tails(0, 3, 4);
  tails.append(event(1, "room_a"));  // room_a seen first ...
  tails.append(event(2, "room_b"));
  tails.append(event(3, "room_b", 2));
  tails.append(event(4, "room_a", 2));  // ... but active last
  tails.append(event(5, "room_c"));
  EXPECT_TRUE(tails.between("room_a", 0, 5, kAll)) << "room_a was active more recently than room_b";
  EXPECT_FALSE(tails.between("room_b", 0, 5, kAll));
}

TEST(RoomTails, HeldNeverExceedsTheTotal) {
  RoomTails tails(0, 5, 12);
  for (std::int64_t pos = 1; pos <= 200; ++pos) {
    tails.append(event(pos, "room_" + std::to_string(pos % 7)));
    ASSERT_LE(tails.held(), 12u) << "after " << pos;
  }
  // Whatever a room still answers is complete above its floor: what it returns is every
  // event of the room in the range.
  for (int r = 0; r < 7; ++r) {
    auto room = "room_" + std::to_string(r);
    for (std::int64_t after = 150; after <= 200; ++after) {
      auto got = tails.between(room, after, 200, kAll);
      if (!got) continue;
      Positions expected;
      for (std::int64_t pos = after + 1; pos <= 200; ++pos) {
        if (pos % 7 == r) expected.push_back(pos);
      }
      EXPECT_EQ(positions(got), expected) << room << " after " << after;
    }
  }
  EXPECT_TRUE(tails.between("room_" + std::to_string(200 % 7), 199, 200, kAll)) << "the newest is held";
}

TEST(RoomTails, RedactErasesOneEventsContentAndRecordsTheRedaction) {
  RoomTails tails(0, 10, 100);
  tails.append(event(1, "room_a"));
  tails.append(event(2, "room_a", 2));
  tails.append(event(3, "room_b"));
  tails.append(event(4, "room_a", 3));
  auto before = tails.between("room_a", 0, 4, kAll);
  ASSERT_TRUE(before);

  tails.redact("room_a", "evt_2", "evt_9");
  auto after = tails.between("room_a", 0, 4, kAll);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 3u);
  const auto& redacted = *(*after)[1];
  EXPECT_EQ(redacted.event_id, "evt_2");
  EXPECT_EQ(redacted.content, "{}");
  EXPECT_EQ(redacted.redacted_by, std::optional<std::string>("evt_9"));
  EXPECT_EQ(redacted.pos, 2) << "it keeps its place";
  EXPECT_EQ(redacted.seq, 2);
  EXPECT_EQ(redacted.sender, "usr_a");
  EXPECT_EQ(redacted.type, "message");

  for (std::size_t i : {0u, 2u}) {
    EXPECT_EQ((*after)[i]->content, (*before)[i]->content);
    EXPECT_FALSE((*after)[i]->redacted_by);
  }
  EXPECT_EQ((*after)[0]->content, R"({"body":"at 1"})");
  EXPECT_EQ(tails.between("room_b", 0, 4, kAll)->front()->content, R"({"body":"at 3"})");
  // Events already handed out are immutable: the redacted copy replaced the held one.
  EXPECT_EQ((*before)[1]->content, R"({"body":"at 2"})");
  EXPECT_EQ(tails.held(), 4u);
}

TEST(RoomTails, RedactOfWhatIsNotHeldIsANoOp) {
  RoomTails tails(0, 10, 100);
  tails.append(event(1, "room_a"));
  tails.redact("room_a", "evt_99", "evt_9");
  tails.redact("room_zz", "evt_1", "evt_9");
  tails.redact("room_b", "evt_1", "evt_9") /* right id, wrong room */;
  auto got = tails.between("room_a", 0, 1, kAll);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front()->content, R"({"body":"at 1"})");
  EXPECT_FALSE(got->front()->redacted_by);
}

TEST(RoomTailsDeathTest, EventsMustArriveInStreamOrder) {
  // An assert: checked in debug and sanitizer builds, compiled out in release.
  EXPECT_DEBUG_DEATH(
      {
        RoomTails copy(0, 10, 100);
        copy.append(event(5, "room_a"));
        copy.append(event(4, "room_a", 2));
      },
      "stream order");
  EXPECT_DEBUG_DEATH(
      {
        RoomTails copy(0, 10, 100);
        copy.append(event(5, "room_a"));
        copy.append(event(5, "room_a", 2));
      },
      "stream order");
}

}  // namespace
}  // namespace bartab::chat
