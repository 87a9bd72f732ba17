// The command bot's rules: dice specs, rolls with injected randomness, and the
// answers to each command (and silence for everything else).
#include "examples/dice.hpp"

#include <gtest/gtest.h>

namespace bartab::examples {
namespace {

// Rolls 1, 2, 3, ... wrapping at the die's sides: repeatable.
std::function<int(int)> counting() {
  auto next = std::make_shared<int>(0);
  return [next](int sides) { return (*next)++ % sides + 1; };
}

TEST(Dice, ParsesCountAndSidesWithinBounds) {
  auto two_d6 = parse_dice("2d6");
  ASSERT_TRUE(two_d6);
  EXPECT_EQ(two_d6->count, 2);
  EXPECT_EQ(two_d6->sides, 6);
  ASSERT_TRUE(parse_dice("d20"));
  EXPECT_EQ(parse_dice("d20")->count, 1);
  EXPECT_TRUE(parse_dice("100D1000"));
  for (const char* bad : {"", "d", "2d", "0d6", "101d6", "2d1", "2d1001", "-1d6", "2d6x", "2x6", "two d6",
                          "99999d6", "2d99999", " 2d6"}) {
    EXPECT_FALSE(parse_dice(bad)) << bad;
  }
}

TEST(Dice, RollsAndDescribesWithTheTotal) {
  DiceSpec spec{3, 6};
  auto dice = roll(spec, counting());
  EXPECT_EQ(dice, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(describe_roll(spec, dice), "3d6: 1 + 2 + 3 = 6");
  EXPECT_EQ(describe_roll({1, 20}, {17}), "1d20: 17");
}

TEST(Dice, AnswersCommandsAndIgnoresEverythingElse) {
  EXPECT_NE(answer_command("!help", counting())->find("!roll NdM"), std::string::npos);
  EXPECT_EQ(*answer_command("  !roll 2d6 \n", counting()), "2d6: 1 + 2 = 3");
  EXPECT_EQ(answer_command("!roll", counting())->rfind("usage:", 0), 0u);
  EXPECT_EQ(answer_command("!roll 0d6", counting())->rfind("usage:", 0), 0u);
  for (const char* other : {"hello", "!rolling 2d6", "roll 2d6", "!helpme", ""}) {
    EXPECT_FALSE(answer_command(other, counting())) << other;
  }
}

}  // namespace
}  // namespace bartab::examples
