#include "services/chat/service/typing_board.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bartab::chat {
namespace {

using Users = std::vector<std::string>;

TEST(TypingBoard, StartsEmpty) {
  TypingBoard board;
  EXPECT_EQ(board.serial(), 0u);
  EXPECT_EQ(board.changed_at("room_a"), 0u);
  EXPECT_TRUE(board.typing("room_a").empty());
  EXPECT_TRUE(board.expire(1'000'000).empty());
  EXPECT_EQ(board.serial(), 0u);
}

TEST(TypingBoard, StartingIsAChangeThatBumpsTheSerial) {
  TypingBoard board;
  EXPECT_TRUE(board.set("room_a", "usr_b", true, 1000, 5000));
  EXPECT_EQ(board.serial(), 1u);
  EXPECT_EQ(board.changed_at("room_a"), 1u);
  EXPECT_EQ(board.typing("room_a"), Users{"usr_b"});

  EXPECT_TRUE(board.set("room_a", "usr_a", true, 1100, 5000));
  EXPECT_EQ(board.serial(), 2u);
  EXPECT_EQ(board.changed_at("room_a"), 2u);
  EXPECT_EQ(board.typing("room_a"), (Users{"usr_a", "usr_b"})) << "listed in user order";
}

TEST(TypingBoard, RefreshingIsNoChangeButExtendsTheTimeout) {
  TypingBoard board;
  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 5000));  // until 6000
  EXPECT_FALSE(board.set("room_a", "usr_a", true, 4000, 5000)) << "a refreshed timeout alone is no change";
  EXPECT_EQ(board.serial(), 1u);
  EXPECT_EQ(board.changed_at("room_a"), 1u);

  EXPECT_TRUE(board.expire(6000).empty()) << "the refresh moved the expiry to 9000";
  EXPECT_EQ(board.typing("room_a"), Users{"usr_a"});
  EXPECT_EQ(board.serial(), 1u);
  EXPECT_EQ(board.expire(9000), Users{"room_a"});
  EXPECT_TRUE(board.typing("room_a").empty());
}

TEST(TypingBoard, ARefreshMayAlsoShortenTheTimeout) {
  TypingBoard board;
  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 60000));
  EXPECT_FALSE(board.set("room_a", "usr_a", true, 2000, 1000));  // now until 3000
  EXPECT_EQ(board.expire(3000), Users{"room_a"});
}

TEST(TypingBoard, StoppingIsAChangeOnlyForSomeoneTyping) {
  TypingBoard board;
  EXPECT_FALSE(board.set("room_a", "usr_a", false, 1000, 5000)) << "nobody typed in this room";
  EXPECT_EQ(board.serial(), 0u);
  EXPECT_EQ(board.changed_at("room_a"), 0u);

  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 5000));
  EXPECT_FALSE(board.set("room_a", "usr_b", false, 1000, 5000)) << "usr_b was not typing";
  EXPECT_EQ(board.serial(), 1u);

  EXPECT_TRUE(board.set("room_a", "usr_a", false, 2000, 5000));
  EXPECT_EQ(board.serial(), 2u);
  EXPECT_EQ(board.changed_at("room_a"), 2u);
  EXPECT_TRUE(board.typing("room_a").empty());
  EXPECT_FALSE(board.set("room_a", "usr_a", false, 2000, 5000)) << "stopping twice changes nothing";
  EXPECT_EQ(board.serial(), 2u);
  EXPECT_EQ(board.changed_at("room_a"), 2u) << "the room keeps its last change once emptied";

  EXPECT_TRUE(board.expire(1'000'000).empty()) << "a stopped notice does not expire later";
  EXPECT_EQ(board.serial(), 2u);
}

TEST(TypingBoard, NoticesExpireAtTheirDeadlineNotBefore) {
  TypingBoard board;
  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 5000));  // until 6000
  ASSERT_TRUE(board.set("room_a", "usr_b", true, 2000, 5000));  // until 7000
  EXPECT_TRUE(board.expire(5999).empty());
  EXPECT_EQ(board.serial(), 2u) << "no change, no bump";
  EXPECT_EQ(board.typing("room_a"), (Users{"usr_a", "usr_b"}));

  EXPECT_EQ(board.expire(6000), Users{"room_a"}) << "expired at exactly now + timeout";
  EXPECT_EQ(board.typing("room_a"), Users{"usr_b"});
  EXPECT_EQ(board.serial(), 3u);
  EXPECT_EQ(board.changed_at("room_a"), 3u);

  EXPECT_TRUE(board.expire(6999).empty());
  EXPECT_EQ(board.expire(7000), Users{"room_a"});
  EXPECT_TRUE(board.typing("room_a").empty());
  EXPECT_EQ(board.serial(), 4u);
  EXPECT_TRUE(board.expire(100'000).empty());
  EXPECT_EQ(board.serial(), 4u);
}

TEST(TypingBoard, SeveralExpiriesInOneRoomAreOneChange) {
  TypingBoard board;
  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 100));
  ASSERT_TRUE(board.set("room_a", "usr_b", true, 1000, 200));
  ASSERT_TRUE(board.set("room_a", "usr_c", true, 1000, 10'000));
  EXPECT_EQ(board.expire(5000), Users{"room_a"});
  EXPECT_EQ(board.serial(), 4u) << "one bump for the room, not one per notice";
  EXPECT_EQ(board.typing("room_a"), Users{"usr_c"});
}

TEST(TypingBoard, RoomsAreIndependent) {
  TypingBoard board;
  ASSERT_TRUE(board.set("room_a", "usr_a", true, 1000, 1000));  // until 2000
  ASSERT_TRUE(board.set("room_b", "usr_a", true, 1000, 5000));  // until 6000, same user
  ASSERT_TRUE(board.set("room_c", "usr_c", true, 1000, 1500));  // until 2500
  EXPECT_EQ(board.changed_at("room_a"), 1u);
  EXPECT_EQ(board.changed_at("room_b"), 2u);
  EXPECT_EQ(board.changed_at("room_c"), 3u);

  EXPECT_TRUE(board.set("room_a", "usr_a", false, 1200, 0));
  EXPECT_TRUE(board.typing("room_a").empty());
  EXPECT_EQ(board.typing("room_b"), Users{"usr_a"}) << "stopping in one room leaves the others";
  EXPECT_EQ(board.changed_at("room_a"), 4u);
  EXPECT_EQ(board.changed_at("room_b"), 2u);

  EXPECT_EQ(board.expire(3000), Users{"room_c"});
  EXPECT_EQ(board.changed_at("room_c"), 5u);
  EXPECT_EQ(board.changed_at("room_b"), 2u);
  EXPECT_EQ(board.typing("room_b"), Users{"usr_a"});

  ASSERT_TRUE(board.set("room_d", "usr_d", true, 3000, 3000));  // until 6000
  auto both = board.expire(6000);
  EXPECT_EQ(both, (Users{"room_b", "room_d"}));
  EXPECT_EQ(board.serial(), 8u);
  EXPECT_NE(board.changed_at("room_b"), board.changed_at("room_d")) << "each change has its own serial";
  EXPECT_GT(board.changed_at("room_b"), 6u);
  EXPECT_GT(board.changed_at("room_d"), 6u);
  EXPECT_EQ(board.changed_at("room_nope"), 0u);
}

}  // namespace
}  // namespace bartab::chat
