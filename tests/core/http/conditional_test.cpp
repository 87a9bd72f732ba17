// Tests of the Range, If-Range and If-None-Match rules in core/http/conditional.
#include "core/http/conditional.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

namespace bartab::core::http {
namespace {

using Kind = RangeDecision::Kind;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Expects a 206 for exactly [offset, offset + length).
void expect_partial(const RangeDecision& d, std::uint64_t offset, std::uint64_t length) {
  ASSERT_EQ(d.kind, Kind::partial);
  EXPECT_EQ(d.range.offset, offset);
  EXPECT_EQ(d.range.length, length);
}

TEST(RangeTest, NoHeaderIsFull) {
  EXPECT_EQ(decide_range("", 100).kind, Kind::full);
}

TEST(RangeTest, ClosedRange) {
  expect_partial(decide_range("bytes=0-99", 1234), 0, 100);
  expect_partial(decide_range("bytes=10-19", 1234), 10, 10);
  expect_partial(decide_range("bytes=5-5", 10), 5, 1);
}

TEST(RangeTest, OpenRange) {
  expect_partial(decide_range("bytes=0-", 10), 0, 10);
  expect_partial(decide_range("bytes=9-", 10), 9, 1);
}

TEST(RangeTest, SuffixRange) {
  expect_partial(decide_range("bytes=-1", 10), 9, 1);
  expect_partial(decide_range("bytes=-10", 10), 0, 10);
}

TEST(RangeTest, SuffixLargerThanSizeIsWholeRepresentation) {
  expect_partial(decide_range("bytes=-500", 10), 0, 10);
}

TEST(RangeTest, LastBytePastEndIsClamped) {
  expect_partial(decide_range("bytes=5-1000", 10), 5, 5);
  expect_partial(decide_range("bytes=0-10", 10), 0, 10);
}

TEST(RangeTest, LastByteExactly) {
  expect_partial(decide_range("bytes=9-9", 10), 9, 1);
  expect_partial(decide_range("bytes=0-9", 10), 0, 10);
}

TEST(RangeTest, FirstByteAtOrPastEndIsUnsatisfiable) {
  EXPECT_EQ(decide_range("bytes=10-", 10).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=10-20", 10).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=1000-", 10).kind, Kind::unsatisfiable);
}

TEST(RangeTest, SuffixOfZeroIsUnsatisfiable) {
  EXPECT_EQ(decide_range("bytes=-0", 10).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=-000", 10).kind, Kind::unsatisfiable);
}

TEST(RangeTest, EmptyRepresentationIsUnsatisfiable) {
  EXPECT_EQ(decide_range("bytes=0-", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=0-0", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=-5", 0).kind, Kind::unsatisfiable);
}

TEST(RangeTest, EmptyRepresentationWithGarbageIsFull) {
  EXPECT_EQ(decide_range("bytes=x", 0).kind, Kind::full);
  EXPECT_EQ(decide_range("", 0).kind, Kind::full);
}

TEST(RangeTest, SizeOne) {
  expect_partial(decide_range("bytes=0-0", 1), 0, 1);
  expect_partial(decide_range("bytes=0-", 1), 0, 1);
  expect_partial(decide_range("bytes=-1", 1), 0, 1);
  expect_partial(decide_range("bytes=-2", 1), 0, 1);
  expect_partial(decide_range("bytes=0-5", 1), 0, 1);
  EXPECT_EQ(decide_range("bytes=1-", 1).kind, Kind::unsatisfiable);
}

TEST(RangeTest, LastBeforeFirstIsInvalidSoFull) {
  EXPECT_EQ(decide_range("bytes=5-2", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=50-20", 10).kind, Kind::full);
}

TEST(RangeTest, LeadingZeros) {
  expect_partial(decide_range("bytes=0005-0007", 10), 5, 3);
  EXPECT_EQ(decide_range("bytes=0010-009", 100).kind, Kind::full);  // 9 < 10 despite longer text
}

TEST(RangeTest, WhitespaceAllowedAroundListElements) {
  expect_partial(decide_range("bytes= 0-1", 10), 0, 2);
  expect_partial(decide_range("  bytes=0-1  ", 10), 0, 2);
  expect_partial(decide_range("bytes=\t0-1\t", 10), 0, 2);
  expect_partial(decide_range("bytes=0-1 ,", 10), 0, 2);  // empty list elements are ignored
  expect_partial(decide_range("bytes=, ,0-1", 10), 0, 2);
}

TEST(RangeTest, WhitespaceInsideARangeIsInvalid) {
  EXPECT_EQ(decide_range("bytes=0 -1", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=0- 1", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes =0-1", 10).kind, Kind::full);
}

TEST(RangeTest, UnitIsCaseInsensitive) {
  expect_partial(decide_range("Bytes=0-1", 10), 0, 2);
  expect_partial(decide_range("BYTES=0-1", 10), 0, 2);
}

TEST(RangeTest, OtherUnitsAreIgnored) {
  EXPECT_EQ(decide_range("items=0-1", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytesx=0-1", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("=0-1", 10).kind, Kind::full);
}

TEST(RangeTest, SeveralRangesAreIgnored) {
  EXPECT_EQ(decide_range("bytes=0-1,3-4", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=0-1, -2", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=0-1,0-1", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=50-60,70-80", 10).kind, Kind::full);
}

TEST(RangeTest, GarbageIsFull) {
  for (const char* header : {"bytes", "bytes=", "bytes=-", "bytes=--1", "bytes=1--2", "bytes=a-b",
                             "bytes=1-2-3", "bytes=0x10-", "bytes=+1-2", "bytes=1-+2", "bytes=1", "garbage",
                             "bytes=0-1;", "bytes=\xff-1", "bytes=,", "bytes=0.5-1"}) {
    EXPECT_EQ(decide_range(header, 10).kind, Kind::full) << header;
  }
}

TEST(RangeTest, HugeFirstByteIsUnsatisfiableWithoutOverflow) {
  EXPECT_EQ(decide_range("bytes=99999999999999999999999-", 10).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=18446744073709551616-", kMax).kind, Kind::unsatisfiable);
  EXPECT_EQ(decide_range("bytes=18446744073709551615-", kMax).kind, Kind::unsatisfiable);
}

TEST(RangeTest, HugeLastByteIsClamped) {
  expect_partial(decide_range("bytes=3-99999999999999999999999", 10), 3, 7);
  expect_partial(decide_range("bytes=0-18446744073709551615", 10), 0, 10);
}

TEST(RangeTest, HugeSuffixIsWholeRepresentation) {
  expect_partial(decide_range("bytes=-99999999999999999999999", 10), 0, 10);
}

TEST(RangeTest, HugeNumbersAreComparedExactly) {
  EXPECT_EQ(decide_range("bytes=99999999999999999999999-99999999999999999999998", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=99999999999999999999998-99999999999999999999999", 10).kind,
            Kind::unsatisfiable);
}

TEST(RangeTest, LargestRepresentation) {
  expect_partial(decide_range("bytes=-1", kMax), kMax - 1, 1);
  expect_partial(decide_range("bytes=0-", kMax), 0, kMax);
  expect_partial(decide_range("bytes=18446744073709551614-", kMax), kMax - 1, 1);
}

TEST(IfRangeTest, MatchingStrongTagHonoursRange) {
  expect_partial(decide_range("bytes=0-1", "\"abc\"", "\"abc\"", 10), 0, 2);
  expect_partial(decide_range("bytes=0-1", " \"abc\" ", "\"abc\"", 10), 0, 2);
}

TEST(IfRangeTest, EmptyIfRangeHonoursRange) {
  expect_partial(decide_range("bytes=0-1", "", "\"abc\"", 10), 0, 2);
}

TEST(IfRangeTest, OtherTagIsFull) {
  EXPECT_EQ(decide_range("bytes=0-1", "\"old\"", "\"abc\"", 10).kind, Kind::full);
}

TEST(IfRangeTest, WeakTagsNeverValidate) {
  EXPECT_EQ(decide_range("bytes=0-1", "W/\"abc\"", "\"abc\"", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=0-1", "W/\"abc\"", "W/\"abc\"", 10).kind, Kind::full);
}

TEST(IfRangeTest, DateIsFull) {
  EXPECT_EQ(decide_range("bytes=0-1", "Wed, 21 Oct 2015 07:28:00 GMT", "\"abc\"", 10).kind, Kind::full);
}

TEST(IfRangeTest, MismatchOverridesUnsatisfiable) {
  EXPECT_EQ(decide_range("bytes=50-", "\"old\"", "\"abc\"", 10).kind, Kind::full);
  EXPECT_EQ(decide_range("bytes=50-", "\"abc\"", "\"abc\"", 10).kind, Kind::unsatisfiable);
}

TEST(IfRangeTest, NoEtagIsFull) {
  EXPECT_EQ(decide_range("bytes=0-1", "\"abc\"", "", 10).kind, Kind::full);
}

TEST(RangeTest, ContentRangeValues) {
  EXPECT_EQ(content_range({0, 100}, 1234), "bytes 0-99/1234");
  EXPECT_EQ(content_range({9, 1}, 10), "bytes 9-9/10");
  EXPECT_EQ(content_range({0, kMax}, kMax), "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(unsatisfied_range(1234), "bytes */1234");
  EXPECT_EQ(unsatisfied_range(0), "bytes */0");
}

// A header from random pieces of range syntax, likely to be nearly valid.
std::string random_range_header(std::mt19937_64& rng) {
  static const char* kPieces[] = {"bytes",
                                  "=",
                                  "-",
                                  ",",
                                  " ",
                                  "0",
                                  "1",
                                  "9",
                                  "10",
                                  "00",
                                  "18446744073709551615",
                                  "18446744073709551616",
                                  "99999999999999999999999",
                                  "BYTES",
                                  "x",
                                  "\t",
                                  ";",
                                  "\"",
                                  "5",
                                  "255"};
  constexpr std::size_t kCount = sizeof(kPieces) / sizeof(kPieces[0]);
  std::string header = rng() % 4 == 0 ? "" : "bytes=";
  auto pieces = rng() % 8;
  for (std::uint64_t i = 0; i < pieces; ++i) header += kPieces[rng() % kCount];
  return header;
}

std::uint64_t random_size(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 4;
    case 1:
      return rng() % 300;
    case 2:
      return kMax - rng() % 4;
    default:
      return rng();
  }
}

TEST(RangePropertyTest, RandomHeadersNeverSelectOutsideTheRepresentation) {
  std::mt19937_64 rng(20240601);
  int partials = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string header = random_range_header(rng);
    std::uint64_t size = random_size(rng);
    auto d = decide_range(header, size);
    if (d.kind == Kind::partial) {
      ++partials;
      ASSERT_GT(d.range.length, 0u) << header << " size " << size;
      ASSERT_LT(d.range.offset, size) << header << " size " << size;
      ASSERT_LE(d.range.length, size - d.range.offset) << header << " size " << size;
    }
    if (size == 0) {
      ASSERT_NE(d.kind, Kind::partial) << header;
    }
  }
  EXPECT_GT(partials, 1000);  // the generator does reach the interesting cases
}

TEST(RangePropertyTest, RandomClosedRangesMatchAReferenceModel) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    std::uint64_t size = rng() % 1000;
    std::uint64_t first = rng() % 1200;
    std::uint64_t last = rng() % 1200;
    auto d = decide_range("bytes=" + std::to_string(first) + "-" + std::to_string(last), size);
    if (last < first) {
      ASSERT_EQ(d.kind, Kind::full);
    } else if (first >= size) {
      ASSERT_EQ(d.kind, Kind::unsatisfiable);
    } else {
      expect_partial(d, first, std::min(last, size - 1) - first + 1);
    }
  }
}

TEST(NoneMatchTest, ExactTag) {
  EXPECT_TRUE(none_match("\"abc\"", "\"abc\""));
  EXPECT_FALSE(none_match("\"abd\"", "\"abc\""));
}

TEST(NoneMatchTest, Star) {
  EXPECT_TRUE(none_match("*", "\"abc\""));
  EXPECT_TRUE(none_match(" * ", "\"abc\""));
  EXPECT_FALSE(none_match("*, \"x\"", "\"abc\""));  // * is only valid alone
}

TEST(NoneMatchTest, WeakComparisonIgnoresWeakPrefixOnBothSides) {
  EXPECT_TRUE(none_match("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(none_match("W/\"abc\"", "W/\"abc\""));
}

TEST(NoneMatchTest, Lists) {
  EXPECT_TRUE(none_match("\"a\", \"b\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("\"a\",W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match(" , ,\"abc\" , ", "\"abc\""));
  EXPECT_FALSE(none_match("\"a\", \"b\"", "\"abc\""));
}

TEST(NoneMatchTest, CommaInsideATagIsPartOfIt) {
  EXPECT_TRUE(none_match("\"a,b\"", "\"a,b\""));
  EXPECT_FALSE(none_match("\"a,b\"", "\"a\""));
  EXPECT_FALSE(none_match("\"a,b\"", "\"b\""));
}

TEST(NoneMatchTest, MalformedEntriesNeverMatch) {
  EXPECT_FALSE(none_match("abc", "\"abc\""));          // unquoted
  EXPECT_FALSE(none_match("\"abc", "\"abc\""));        // unterminated
  EXPECT_FALSE(none_match("w/\"abc\"", "\"abc\""));    // W/ is case-sensitive
  EXPECT_FALSE(none_match("W/ \"abc\"", "\"abc\""));   // no space after W/
  EXPECT_FALSE(none_match("\"abc\"x", "\"abc\""));     // trailing garbage
  EXPECT_FALSE(none_match("\"a b\"", "\"a b\""));      // space is not etagc
  EXPECT_FALSE(none_match("\"a\x01\"", "\"a\x01\""));  // nor are controls
  EXPECT_FALSE(none_match("", "\"abc\""));
  EXPECT_FALSE(none_match("garbage", "\"abc\""));
}

TEST(NoneMatchTest, WellFormedEntriesAroundGarbageStillMatch) {
  EXPECT_TRUE(none_match("garbage, \"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("\"x\"y, \"abc\"", "\"abc\""));
}

TEST(NoneMatchTest, MalformedOwnTagNeverMatches) {
  EXPECT_FALSE(none_match("*", ""));
  EXPECT_FALSE(none_match("abc", "abc"));
  EXPECT_FALSE(none_match("*", "abc"));
}

TEST(NoneMatchTest, ObsTextIsAllowed) {
  EXPECT_TRUE(none_match("\"\xc3\xa9\"", "\"\xc3\xa9\""));
}

}  // namespace
}  // namespace bartab::core::http
