#include "services/chat/service/sync_token.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/crypto/crypto.hpp"

namespace bartab::chat {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

class SyncTokensTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { core::crypto::init(); }

  // A token of any body, carrying a valid MAC under `key`: what the server would issue
  // if it ever produced that body. Lets a test reach the shape checks behind the MAC.
  static std::string signed_body(const std::string& body, const std::string& key = kKey) {
    auto full = core::crypto::hmac_sha256(key, body);
    return body + "." + core::crypto::base64url_encode(full.data(), 16);
  }

  SyncTokens tokens_{kKey, "epochA"};
};

TEST_F(SyncTokensTest, IssuedTokensRoundTrip) {
  for (SyncPosition p :
       {SyncPosition{0, 0}, SyncPosition{1, 0}, SyncPosition{42, 7}, SyncPosition{123456789, 987654321},
        SyncPosition{std::numeric_limits<std::int64_t>::max(), 9999999999999999999ull}}) {
    auto token = tokens_.issue(p);
    auto back = tokens_.parse(token);
    ASSERT_TRUE(back) << token;
    EXPECT_EQ(back->pos, p.pos) << token;
    EXPECT_EQ(back->typing, p.typing) << token;
  }
}

TEST_F(SyncTokensTest, TokensAreDeterministicAndDistinct) {
  EXPECT_EQ(tokens_.issue({5, 1}), tokens_.issue({5, 1}));
  EXPECT_NE(tokens_.issue({5, 1}), tokens_.issue({5, 2}));
  EXPECT_NE(tokens_.issue({5, 1}), tokens_.issue({6, 1}));
}

TEST_F(SyncTokensTest, AWellFormedTokenUnderTheSameKeyParses) {
  // The shape the server issues, signed by hand: proves signed_body() matches issue()
  // so the shape tests below really get past the MAC.
  auto token = signed_body("s17_3_epochA");
  EXPECT_EQ(token, tokens_.issue({17, 3}));
  auto back = tokens_.parse(token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pos, 17);
  EXPECT_EQ(back->typing, 3u);
}

TEST_F(SyncTokensTest, ATokenFromAnotherKeyIsRefused) {
  SyncTokens other("another key, another server......", "epochA");
  auto token = other.issue({17, 3});
  EXPECT_FALSE(tokens_.parse(token));
  EXPECT_TRUE(other.parse(token));
  EXPECT_FALSE(tokens_.parse(signed_body("s17_3_epochA", "another key")));
}

TEST_F(SyncTokensTest, AnyAlteredCharacterIsRefused) {
  auto token = tokens_.issue({1234, 56});
  // s1234_56_epochA.MAC: every character, whether in the position, the typing serial,
  // the epoch, a separator or the MAC.
  ASSERT_EQ(token.substr(0, 16), "s1234_56_epochA.");
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {'0', '1', '9', 'A', 'z', '_', '-', '.'}) {
      if (token[i] == replacement) continue;
      auto altered = token;
      altered[i] = replacement;
      EXPECT_FALSE(tokens_.parse(altered)) << "character " << i << " changed: " << altered;
    }
  }
  // Dropped or added characters too.
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto shorter = token;
    shorter.erase(i, 1);
    EXPECT_FALSE(tokens_.parse(shorter)) << "character " << i << " dropped: " << shorter;
  }
  EXPECT_FALSE(tokens_.parse(token + "A"));
  EXPECT_FALSE(tokens_.parse("x" + token));
}

TEST_F(SyncTokensTest, GarbageIsRefused) {
  for (const char* garbage : {"", "s", ".", "s.", "s1_2_epochA", "s1_2_epochA.", "1_2_epochA.AAAA",
                              "hello world", "s1_2_epochA.!!!!!!!!!!!!!!!!!!!!!!"}) {
    EXPECT_FALSE(tokens_.parse(garbage)) << "'" << garbage << "'";
  }
  EXPECT_FALSE(tokens_.parse(std::string(4096, 's')));
}

TEST_F(SyncTokensTest, BadShapesAreRefusedEvenUnderAValidMac) {
  for (const char* body : {
           "s_0_epochA",                      // empty position
           "s1__epochA",                      // empty typing serial
           "s1_epochA",                       // one separator only: no epoch field
           "s1",                              // no separators
           "s01_0_epochA",                    // leading zero in the position
           "s1_00_epochA",                    // leading zero in the typing serial
           "s00_0_epochA",                    //
           "s1_-1_epochA",                    // negative typing serial
           "s+1_0_epochA",                    // explicit sign
           "s1x_0_epochA",                    // non-digits
           "s1_0x_epochA",                    //
           "s 1_0_epochA",                    //
           "s1.5_0_epochA",                   //
           "s9223372036854775808_0_epochA",   // one past INT64_MAX
           "s12345678901234567890_0_epochA",  // 20 digits
           "s1_18446744073709551616_epochA",  // one past UINT64_MAX
           "s1_123456789012345678901_epochA",
           "S1_0_epochA",  // not the 's' prefix
       }) {
    auto token = signed_body(body);
    EXPECT_FALSE(tokens_.parse(token)) << body;
  }
  // Longer than any token the server issues.
  auto overlong = signed_body("s1_0_" + std::string(200, 'e'));
  EXPECT_FALSE(tokens_.parse(overlong));
}

TEST_F(SyncTokensTest, ANegativePositionIsRefusedEvenUnderAValidMac) {
  // Positions are never negative and "-0" is not the canonical "0": both are bad
  // shapes, even under a valid MAC.
  EXPECT_FALSE(tokens_.parse(signed_body("s-1_0_epochA")));
  EXPECT_FALSE(tokens_.parse(signed_body("s-0_0_epochA")));
  EXPECT_FALSE(tokens_.parse(tokens_.issue({-5, 0})));
}

TEST_F(SyncTokensTest, ATokenFromAnotherRunKeepsItsPositionButNotItsTypingSerial) {
  SyncTokens earlier_run(kKey, "epochOld");
  auto token = earlier_run.issue({9876, 41});
  auto back = tokens_.parse(token);
  ASSERT_TRUE(back) << "same key: still a token of this server";
  EXPECT_EQ(back->pos, 9876);
  EXPECT_EQ(back->typing, 0u) << "typing serials restart with every run";

  auto same_run = earlier_run.parse(token);
  ASSERT_TRUE(same_run);
  EXPECT_EQ(same_run->typing, 41u);
}

TEST_F(SyncTokensTest, AnEpochThatIsAPrefixOfAnotherIsStillAnotherEpoch) {
  SyncTokens longer(kKey, "epochAB");
  auto back = tokens_.parse(longer.issue({3, 8}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->typing, 0u);
  auto back2 = longer.parse(tokens_.issue({3, 8}));
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->typing, 0u);
}

}  // namespace
}  // namespace bartab::chat
