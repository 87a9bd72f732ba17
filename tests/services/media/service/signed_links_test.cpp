// SignedLinks: the URL a link is made of, the seconds a valid link has left, and the
// refusal (403) of every altered, foreign, expired or malformed link.
#include "services/media/service/signed_links.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/errors.hpp"

namespace bartab::media {
namespace {

constexpr std::string_view kPublicUrl = "https://chat.example.org";

// A link's query, taken apart.
struct Query {
  std::string exp;
  std::string sig;
};

Query query_of(const std::string& url) {
  auto exp_at = url.find("?exp=");
  auto sig_at = url.find("&sig=");
  if (exp_at == std::string::npos || sig_at == std::string::npos || sig_at < exp_at) {
    ADD_FAILURE() << "not a signed link: " << url;
    return {};
  }
  return {url.substr(exp_at + 5, sig_at - exp_at - 5), url.substr(sig_at + 5)};
}

class SignedLinksTest : public ::testing::Test {
 protected:
  // The code of the ApiError `verify` throws; nullopt when it accepts the link.
  std::optional<core::ErrorCode> refusal(const SignedLinks& links, const std::string& media_id,
                                         std::string_view exp, std::string_view sig) const {
    try {
      links.verify(media_id, exp, sig);
      return std::nullopt;
    } catch (const core::ApiError& e) {
      return e.code();
    }
  }
  std::optional<core::ErrorCode> refusal(const std::string& media_id, std::string_view exp,
                                         std::string_view sig) const {
    return refusal(links_, media_id, exp, sig);
  }

  core::ManualClock clock_{1'700'000'000'500};
  SignedLinks links_{"a key of thirty-two bytes, 32b!", std::string(kPublicUrl), clock_};
};

TEST_F(SignedLinksTest, MakeBuildsTheUrlFromTheIdAndExpiry) {
  auto link = links_.make("med_abc", 3600);
  EXPECT_EQ(link.expires_at, 1'700'000'000 + 3600);
  std::string prefix(kPublicUrl);
  prefix.append("/v1/media/med_abc?exp=1700003600&sig=");
  ASSERT_EQ(link.url.rfind(prefix, 0), 0u) << link.url;
  std::string sig = link.url.substr(prefix.size());
  EXPECT_EQ(sig.size(), 43u);  // 32 bytes of HMAC-SHA256 in unpadded base64url
  EXPECT_EQ(sig.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << sig;
}

TEST_F(SignedLinksTest, MakeIsDeterministicAndDependsOnIdAndExpiry) {
  auto a = links_.make("med_abc", 60);
  EXPECT_EQ(links_.make("med_abc", 60).url, a.url);
  EXPECT_NE(query_of(links_.make("med_abd", 60).url).sig, query_of(a.url).sig);
  EXPECT_NE(query_of(links_.make("med_abc", 61).url).sig, query_of(a.url).sig);
}

TEST_F(SignedLinksTest, VerifyAcceptsAFreshLinkAndReturnsTheSecondsLeft) {
  auto link = links_.make("med_abc", 3600);
  auto q = query_of(link.url);
  EXPECT_EQ(links_.verify("med_abc", q.exp, q.sig), 3600);
  clock_.advance_ms(1000 * 600);
  EXPECT_EQ(links_.verify("med_abc", q.exp, q.sig), 3000);
}

TEST_F(SignedLinksTest, LifetimeBoundsBothVerify) {
  auto shortest = links_.make("med_abc", SignedLinks::kMinLifetimeS);
  auto q = query_of(shortest.url);
  EXPECT_EQ(links_.verify("med_abc", q.exp, q.sig), 1);
  auto longest = links_.make("med_abc", SignedLinks::kMaxLifetimeS);
  q = query_of(longest.url);
  EXPECT_EQ(links_.verify("med_abc", q.exp, q.sig), 604800);
}

TEST_F(SignedLinksTest, ALinkExpiresAtItsExpiry) {
  auto link = links_.make("med_abc", 10);
  auto q = query_of(link.url);
  clock_.advance_ms(9'000);
  EXPECT_EQ(links_.verify("med_abc", q.exp, q.sig), 1);
  clock_.advance_ms(1'000);  // now == exp
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig), core::ErrorCode::forbidden);
  clock_.advance_ms(86'400'000);
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig), core::ErrorCode::forbidden);
}

TEST_F(SignedLinksTest, AnAlteredSignatureIsRefused) {
  auto q = query_of(links_.make("med_abc", 3600).url);
  std::string flipped = q.sig;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(refusal("med_abc", q.exp, flipped), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig.substr(0, 42)), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig + "A"), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig + "="), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", q.exp, ""), core::ErrorCode::forbidden);
}

TEST_F(SignedLinksTest, AnAlteredExpiryIsRefused) {
  auto link = links_.make("med_abc", 3600);
  auto q = query_of(link.url);
  EXPECT_EQ(refusal("med_abc", std::to_string(link.expires_at + 1), q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", std::to_string(link.expires_at + 86400 * 365), q.sig),
            core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", std::to_string(link.expires_at - 1), q.sig), core::ErrorCode::forbidden);
}

TEST_F(SignedLinksTest, ALinkOpensOnlyItsOwnMedia) {
  auto q = query_of(links_.make("med_abc", 3600).url);
  EXPECT_EQ(refusal("med_abd", q.exp, q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_ab", q.exp, q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc ", q.exp, q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("", q.exp, q.sig), core::ErrorCode::forbidden);
}

TEST_F(SignedLinksTest, ALinkSignedUnderAnotherKeyIsRefused) {
  SignedLinks other("another key entirely", std::string(kPublicUrl), clock_);
  auto q = query_of(other.make("med_abc", 3600).url);
  EXPECT_EQ(refusal("med_abc", q.exp, q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal(other, "med_abc", q.exp, q.sig), std::nullopt);
  // The public URL is not signed: the same key behind another URL accepts it.
  SignedLinks moved("a key of thirty-two bytes, 32b!", "https://other.example", clock_);
  auto ours = query_of(links_.make("med_abc", 3600).url);
  EXPECT_EQ(refusal(moved, "med_abc", ours.exp, ours.sig), std::nullopt);
}

TEST_F(SignedLinksTest, ExpiriesThatAreNotPlainDecimalAreRefused) {
  auto link = links_.make("med_abc", 3600);
  auto q = query_of(link.url);
  std::string exp = q.exp;
  for (const std::string& bad : std::vector<std::string>{
           "+" + exp, "-" + exp, "-1", "+5", "1e9", "", " " + exp, exp + " ", exp + "x", "0x" + exp,
           exp + ".0", "0" + exp, "00" + exp, std::string("9223372036854775807"),
           std::string("99999999999999999999999"), std::string(19, '1'),
           exp.substr(0, 5) + std::string("\0", 1) + exp.substr(5)}) {
    EXPECT_EQ(refusal("med_abc", bad, q.sig), core::ErrorCode::forbidden) << "exp=" << bad;
  }
}

// The MAC is over the parsed number, so a lax parser would take "+5" or "5.0" with the
// signature of 5: only the plain spelling passes.
TEST_F(SignedLinksTest, SignedButMalformedExpiriesAreRefused) {
  clock_.set_ms(0);
  auto five = links_.make("med_abc", 5);
  ASSERT_EQ(five.expires_at, 5);
  auto q = query_of(five.url);
  EXPECT_EQ(refusal("med_abc", "5", q.sig), std::nullopt);
  EXPECT_EQ(refusal("med_abc", "+5", q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", "5.0", q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", "5 ", q.sig), core::ErrorCode::forbidden);
  EXPECT_EQ(refusal("med_abc", "5e0", q.sig), core::ErrorCode::forbidden);
}

TEST_F(SignedLinksTest, ErrorsAreForbiddenWithAMessage) {
  auto q = query_of(links_.make("med_abc", 1).url);
  clock_.advance_ms(5'000);
  try {
    links_.verify("med_abc", q.exp, q.sig);
    ADD_FAILURE() << "an expired link was accepted";
  } catch (const core::ApiError& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::forbidden);
    EXPECT_NE(std::string(e.what()), "");
  }
}

}  // namespace
}  // namespace bartab::media
