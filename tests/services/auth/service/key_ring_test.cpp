#include "services/auth/service/key_ring.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace bartab::auth {
namespace {

constexpr KeyPolicy kPolicy{900'000, 30'000, 60'000};

TEST(KeyRing, RotationPublishesBeforeSigningAndKeepsTheOldKeyUntilItsTokensExpire) {
  core::crypto::init();
  core::crypto::SystemRandom random;
  std::int64_t t0 = 1'000'000;
  KeyRing empty({}, kPolicy);
  auto first = empty.plan_rotation(t0, random, true).key;
  KeyRing one({first}, kPolicy);
  EXPECT_EQ(one.signer(t0)->kid, first.kid);

  std::int64_t t1 = t0 + 3'600'000;
  auto rotation = one.plan_rotation(t1, random, false);
  EXPECT_EQ(rotation.key.sign_from_ms, t1 + 60'000);
  ASSERT_EQ(rotation.retire_kids, std::vector<std::string>{first.kid});
  auto old = first;
  old.retired_ms = rotation.retire_at_ms;
  KeyRing two({old, rotation.key}, kPolicy);

  EXPECT_EQ(two.published(t1).size(), 2u) << "the new key is published at once";
  EXPECT_EQ(two.signer(t1)->kid, first.kid) << "but does not sign yet";
  EXPECT_EQ(two.signer(t1 + 60'000)->kid, rotation.key.kid);
  auto last_old_token_dies = t1 + 60'000 + 900'000 + 30'000;
  EXPECT_EQ(two.published(last_old_token_dies - 1).size(), 2u);
  EXPECT_EQ(two.published(last_old_token_dies).size(), 1u);
  EXPECT_EQ(two.expired(last_old_token_dies), std::vector<std::string>{first.kid});

  auto jwks = boost::json::parse(two.jwks(t1));
  const auto& keys = jwks.at("keys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("kty").as_string(), "OKP");
  EXPECT_EQ(keys[0].at("crv").as_string(), "Ed25519");
  EXPECT_EQ(keys[0].at("alg").as_string(), "EdDSA");
  EXPECT_EQ(keys[0].at("use").as_string(), "sig");
  EXPECT_FALSE(keys[0].as_object().contains("d")) << "never the private part";
}

TEST(KeyRing, SecondRotationBeforeTheFirstSignsRetiresBoth) {
  core::crypto::SystemRandom random;
  KeyRing empty({}, kPolicy);
  auto a = empty.plan_rotation(0, random, true).key;
  auto r1 = KeyRing({a}, kPolicy).plan_rotation(1000, random, false);
  a.retired_ms = r1.retire_at_ms;
  auto r2 = KeyRing({a, r1.key}, kPolicy).plan_rotation(2000, random, false);
  EXPECT_EQ(r2.retire_kids, std::vector<std::string>{r1.key.kid}) << "the pending key is retired too";
}

}  // namespace
}  // namespace bartab::auth
