// Transaction ids: derived ones are stable per (event, n); random ones are unique and
// valid on the wire (visible ASCII, at most 128 characters).
#include "bartab/sdk/txn_id.hpp"

#include <gtest/gtest.h>
#include <set>

namespace bartab::sdk {
namespace {

TEST(SdkTxnId, ReplyIdsDependOnlyOnTheEventAndTheReplyNumber) {
  EXPECT_EQ(reply_txn_id("evt_abc", 0), "re.evt_abc.0");
  EXPECT_EQ(reply_txn_id("evt_abc", 1), "re.evt_abc.1");
  EXPECT_EQ(reply_txn_id("evt_abc", 0), reply_txn_id("evt_abc", 0));
  EXPECT_NE(reply_txn_id("evt_abc", 0), reply_txn_id("evt_abd", 0));
}

TEST(SdkTxnId, RandomIdsAre32HexDigitsAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_txn_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace bartab::sdk
