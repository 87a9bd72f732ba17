#include "core/crypto/crypto.hpp"

#include <gtest/gtest.h>

namespace bartab::core::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init(); }
};

TEST_F(CryptoTest, Base64UrlRoundTripsAndIsStrict) {
  for (const std::string& text : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                          std::string("\xff\xfe\x00\x01", 4)}) {
    auto encoded = base64url_encode(text);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64url_decode(encoded), text);
  }
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_FALSE(base64url_decode("Zm9v=")) << "padding is not base64url-nopad";
  EXPECT_FALSE(base64url_decode("Zm+v")) << "standard alphabet";
  EXPECT_FALSE(base64url_decode("Zm9 v"));
  EXPECT_FALSE(base64url_decode("Zh")) << "non-canonical trailing bits";
}

TEST_F(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(CryptoTest, IncrementalSha256MatchesOneShotWhateverTheSplit) {
  std::string data(1000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  for (std::size_t split : {0u, 1u, 63u, 64u, 65u, 999u, 1000u}) {
    Sha256 hash;
    hash.update(std::string_view(data).substr(0, split));
    hash.update(std::string_view(data).substr(split));
    EXPECT_EQ(hash.hex_digest(), sha256_hex(data)) << "split at " << split;
  }
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(CryptoTest, HmacSha256KnownAnswerFromRfc4231) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(hex_encode(mac.data(), mac.size()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto other = hmac_sha256("Jeff", "what do ya want for nothing?");
  EXPECT_NE(hex_encode(other.data(), other.size()), hex_encode(mac.data(), mac.size()));
}

TEST_F(CryptoTest, ConstantTimeEquality) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
}

TEST_F(CryptoTest, Ed25519SignsAndRejectsTampering) {
  auto key = ed25519_generate();
  auto sig = ed25519_sign(key, "message");
  std::string signature(reinterpret_cast<const char*>(sig.data()), sig.size());
  EXPECT_TRUE(ed25519_verify(key.public_key, "message", signature));
  EXPECT_FALSE(ed25519_verify(key.public_key, "messagf", signature));
  auto flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(ed25519_verify(key.public_key, "message", flipped));
  EXPECT_FALSE(ed25519_verify(key.public_key, "message", std::string(64, '\0'))) << "all-zero signature";
  EXPECT_FALSE(ed25519_verify(key.public_key, "message", signature.substr(0, 63)));
  auto other = ed25519_generate();
  EXPECT_FALSE(ed25519_verify(other.public_key, "message", signature));
}

TEST_F(CryptoTest, PasswordsUseArgon2idAtOwaspMinimum) {
  PasswordParams params;
  auto phc = password_hash("correct horse", params);
  EXPECT_TRUE(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << phc;
  EXPECT_TRUE(password_verify(phc, "correct horse"));
  EXPECT_FALSE(password_verify(phc, "correct horsf"));
  EXPECT_FALSE(password_verify("garbage", "correct horse"));
  EXPECT_FALSE(password_needs_rehash(phc, params));
  EXPECT_TRUE(password_needs_rehash(phc, PasswordParams{3, 19u << 20}));
  EXPECT_NE(password_hash("correct horse", params), phc) << "salted";
}

TEST_F(CryptoTest, RandomTokensDiffer) {
  SystemRandom random;
  auto a = random.token(16);
  auto b = random.token(16);
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace bartab::core::crypto
