// Every rejection the verifier must make, on hand-built tokens.
#include "core/tokens/jwt.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace bartab::core::tokens {
namespace {

using crypto::base64url_encode;

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    key_ = crypto::ed25519_generate();
    keys_["k1"] = key_.public_key;
    claims_.iss = "https://chat.example.org";
    claims_.sub = "usr_1";
    claims_.aud = {"bartab"};
    claims_.iat = 1000;
    claims_.exp = 1900;
    claims_.jti = "j1";
    claims_.scope = "chat media";
    claims_.sid = "ses_1";
    claims_.kind = "user";
    claims_.name = "alice";
  }

  VerifyOptions at(std::int64_t now) const { return {"https://chat.example.org", "bartab", now, 30}; }

  std::variant<AccessClaims, JwtError> verify(const std::string& token, std::int64_t now = 1500) const {
    return verify_access_token(token, keys_, at(now));
  }

  static JwtError error_of(const std::variant<AccessClaims, JwtError>& v) {
    return std::holds_alternative<JwtError>(v) ? std::get<JwtError>(v) : static_cast<JwtError>(-1);
  }

  // A token with the given header and body JSON, signed with our key (or `signature`).
  std::string forge(const std::string& header, const std::string& body,
                    std::optional<std::string> signature = {}) {
    auto input = base64url_encode(header) + "." + base64url_encode(body);
    if (signature) return input + "." + *signature;
    auto sig = crypto::ed25519_sign(key_, input);
    return input + "." + base64url_encode(sig.data(), sig.size());
  }

  std::string body_json() const {
    return R"({"iss":"https://chat.example.org","sub":"usr_1","aud":["bartab"],"exp":1900,"iat":1000,"jti":"j1",)"
           R"("scope":"chat media","sid":"ses_1","kind":"user","name":"alice"})";
  }

  crypto::Ed25519KeyPair key_;
  KeySet keys_;
  AccessClaims claims_;
};

TEST_F(JwtTest, SignedTokenVerifiesWithItsClaims) {
  auto token = sign_access_token(claims_, "k1", key_);
  auto result = verify(token);
  ASSERT_TRUE(std::holds_alternative<AccessClaims>(result));
  const auto& c = std::get<AccessClaims>(result);
  EXPECT_EQ(c.sub, "usr_1");
  EXPECT_EQ(c.sid, "ses_1");
  EXPECT_TRUE(c.has_scope("media"));
  EXPECT_FALSE(c.has_scope("med"));
  EXPECT_EQ(peek_kid(token), "k1");
  auto header = boost::json::parse(*crypto::base64url_decode(token.substr(0, token.find('.'))));
  EXPECT_EQ(header, boost::json::parse(R"({"alg":"EdDSA","typ":"at+jwt","kid":"k1"})"));
}

TEST_F(JwtTest, OtherAlgorithmsAreRefusedWhateverTheSignature) {
  for (auto alg : {"none", "None", "NONE", "nOnE", "HS256", "RS256", "ES256", "eddsa", "Ed25519", ""}) {
    auto header = std::string(R"({"alg":")") + alg + R"(","typ":"at+jwt","kid":"k1"})";
    EXPECT_EQ(error_of(verify(forge(header, body_json()))), JwtError::bad_header) << alg;
    EXPECT_EQ(error_of(verify(forge(header, body_json(), std::string()))), JwtError::bad_header) << alg;
  }
  EXPECT_EQ(error_of(verify(forge(R"({"typ":"at+jwt","kid":"k1"})", body_json()))), JwtError::bad_header);
}

TEST_F(JwtTest, Hs256KeyedWithThePublicKeyIsRefused) {
  // The classic confusion attack: an HMAC over the input keyed with the public key.
  auto header = R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})";
  auto token = forge(header, body_json(), base64url_encode(std::string(32, 'x')));
  EXPECT_EQ(error_of(verify(token)), JwtError::bad_header);
}

TEST_F(JwtTest, TypMustBeAtJwtAndCritIsRefused) {
  EXPECT_EQ(error_of(verify(forge(R"({"alg":"EdDSA","typ":"JWT","kid":"k1"})", body_json()))),
            JwtError::bad_header);
  EXPECT_EQ(error_of(verify(forge(R"({"alg":"EdDSA","kid":"k1"})", body_json()))), JwtError::bad_header);
  EXPECT_EQ(
      error_of(verify(forge(R"({"alg":"EdDSA","typ":"at+jwt","kid":"k1","crit":["exp"]})", body_json()))),
      JwtError::bad_header);
}

TEST_F(JwtTest, KeyCarryingHeadersAreIgnored) {
  auto attacker = crypto::ed25519_generate();
  auto jwk = base64url_encode(attacker.public_key.data(), 32);
  auto header = R"({"alg":"EdDSA","typ":"at+jwt","kid":"k1","jku":"http://evil/jwks","x5u":"http://evil",)"
                R"("jwk":{"kty":"OKP","crv":"Ed25519","x":")" +
                jwk + R"("},"x5c":["MII..."]})";
  auto input = base64url_encode(header) + "." + base64url_encode(body_json());
  auto sig = crypto::ed25519_sign(attacker, input);
  EXPECT_EQ(error_of(verify(input + "." + base64url_encode(sig.data(), 64))), JwtError::bad_signature)
      << "signed by the embedded key, checked against ours";
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(forge(header, body_json()))))
      << "headers merely ignored";
}

TEST_F(JwtTest, SignaturesMustBeRight) {
  auto token = sign_access_token(claims_, "k1", key_);
  auto dot = token.rfind('.');
  EXPECT_EQ(error_of(verify(token.substr(0, dot + 1) + base64url_encode(std::string(64, '\0')))),
            JwtError::bad_signature);
  auto tampered_body = forge(R"({"alg":"EdDSA","typ":"at+jwt","kid":"k1"})", body_json());
  auto parts_dot = tampered_body.find('.');
  auto other_body = base64url_encode(R"({"sub":"usr_admin"})");
  auto swapped =
      tampered_body.substr(0, parts_dot + 1) + other_body + tampered_body.substr(tampered_body.rfind('.'));
  EXPECT_EQ(error_of(verify(swapped)), JwtError::bad_signature);
  EXPECT_EQ(error_of(verify(token.substr(0, dot))), JwtError::malformed);
  EXPECT_EQ(error_of(verify(token + ".x")), JwtError::malformed);
  EXPECT_EQ(error_of(verify("not a token")), JwtError::malformed);
  EXPECT_EQ(error_of(verify(std::string(10000, 'a'))), JwtError::malformed);
}

TEST_F(JwtTest, UnknownKidIsReportedForARefetch) {
  auto token = sign_access_token(claims_, "k2", key_);
  EXPECT_EQ(error_of(verify(token)), JwtError::unknown_kid);
}

TEST_F(JwtTest, IssuerAudienceAndClaimsAreChecked) {
  auto c = claims_;
  c.iss = "https://evil.example.org";
  EXPECT_EQ(error_of(verify(sign_access_token(c, "k1", key_))), JwtError::wrong_issuer);
  c = claims_;
  c.aud = {"other"};
  EXPECT_EQ(error_of(verify(sign_access_token(c, "k1", key_))), JwtError::wrong_audience);
  c.aud = {"other", "bartab"};
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(sign_access_token(c, "k1", key_))));
  c = claims_;
  c.kind = "root";
  EXPECT_EQ(error_of(verify(sign_access_token(c, "k1", key_))), JwtError::bad_claims);
  auto header = R"({"alg":"EdDSA","typ":"at+jwt","kid":"k1"})";
  EXPECT_EQ(error_of(verify(forge(header, R"({"iss":"https://chat.example.org"})"))), JwtError::bad_claims);
  EXPECT_EQ(error_of(verify(forge(header, "[1,2]"))), JwtError::malformed);
  auto string_exp = body_json();
  string_exp.replace(string_exp.find("1900"), 4, "\"1900\"");
  EXPECT_EQ(error_of(verify(forge(header, string_exp))), JwtError::bad_claims);
}

TEST_F(JwtTest, ExpiryAndNotBeforeAllowTheLeewayOnly) {
  auto token = sign_access_token(claims_, "k1", key_);
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(token, 1929)));
  EXPECT_EQ(error_of(verify(token, 1930)), JwtError::expired);
  EXPECT_EQ(error_of(verify(token, 969)), JwtError::not_yet_valid) << "issued in the future";
  auto c = claims_;
  c.nbf = 1200;
  auto later = sign_access_token(c, "k1", key_);
  EXPECT_EQ(error_of(verify(later, 1169)), JwtError::not_yet_valid);
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(later, 1170)));
}

}  // namespace
}  // namespace bartab::core::tokens
