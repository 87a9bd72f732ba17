// Access tokens: JWS compact serialisation, Ed25519 only (RFC 8037 "EdDSA"), with the
// header and claims of API.md (RFC 9068 profile, typ "at+jwt"). Verification is strict
// and pinned: any other alg (none, HS256 keyed with the public key, ...) is refused
// before a key is even looked up, and key-bearing headers (jku, jwk, x5u, x5c) are
// ignored: keys come only from the key set the caller trusts.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/crypto/crypto.hpp"

namespace bartab::core::tokens {

struct AccessClaims {
  std::string iss;
  std::string sub;  // user_id
  std::vector<std::string> aud;
  std::int64_t exp = 0;
  std::int64_t iat = 0;
  std::optional<std::int64_t> nbf;
  std::string jti;
  std::string scope;  // space-separated
  std::string sid;    // session
  std::string kind;   // "user" | "bot"
  std::string name;   // username

  bool has_scope(std::string_view wanted) const;
};

// Public keys by kid.
using KeySet = std::map<std::string, std::array<std::uint8_t, 32>, std::less<>>;

std::string sign_access_token(const AccessClaims& claims, std::string_view kid,
                              const crypto::Ed25519KeyPair& key);

enum class JwtError {
  malformed,    // not three base64url parts of JSON objects
  bad_header,   // alg other than EdDSA, typ other than at+jwt, crit, no kid
  unknown_kid,  // kid not in the key set (the caller may refetch once)
  bad_signature,
  bad_claims,  // a required claim missing or of the wrong type
  wrong_issuer,
  wrong_audience,
  expired,
  not_yet_valid,
};
std::string_view describe(JwtError error);

struct VerifyOptions {
  std::string issuer;
  std::string audience = "bartab";
  std::int64_t now_s = 0;
  std::int64_t leeway_s = 30;
};

// The header's kid, if the token has a well-formed header at all (for key lookup).
std::optional<std::string> peek_kid(std::string_view token);

std::variant<AccessClaims, JwtError> verify_access_token(std::string_view token, const KeySet& keys,
                                                         const VerifyOptions& options);

}  // namespace bartab::core::tokens
