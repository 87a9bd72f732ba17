// Signing keys over time. A key is published (in the JWKS) from its creation, signs
// from sign_from_ms, and once a newer key takes over it stays published until every
// token it signed has expired. Rotation therefore publishes the new key a delay before
// it signs, so verifiers holding a cached JWKS learn it in time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "core/tokens/jwt.hpp"
#include "services/auth/store/auth_store.hpp"

namespace bartab::auth {

struct KeyPolicy {
  std::int64_t token_ttl_ms = 900'000;     // auth.access_token_ttl
  std::int64_t leeway_ms = 30'000;         // tokens.leeway
  std::int64_t publish_delay_ms = 60'000;  // auth.key_publish_delay
};

class KeyRing {
 public:
  KeyRing(std::vector<SigningKey> keys, KeyPolicy policy) : keys_(std::move(keys)), policy_(policy) {}

  // The key that signs at `now_ms`: the newest whose sign_from_ms has come.
  const SigningKey* signer(std::int64_t now_ms) const;
  // Keys a verifier must know at `now_ms`.
  std::vector<const SigningKey*> published(std::int64_t now_ms) const;
  core::tokens::KeySet key_set(std::int64_t now_ms) const;
  // {"keys":[{"kty":"OKP","crv":"Ed25519","kid",...}]}
  std::string jwks(std::int64_t now_ms) const;
  // Keys nobody needs any more (never again published).
  std::vector<std::string> expired(std::int64_t now_ms) const;

  // A new key, and the retirement of every key not yet retired (the signer, and any
  // key an earlier rotation scheduled) from the moment the new one signs.
  struct Rotation {
    SigningKey key;
    std::vector<std::string> retire_kids;
    std::int64_t retire_at_ms = 0;
  };
  Rotation plan_rotation(std::int64_t now_ms, core::crypto::Random& random, bool immediate) const;

  const std::vector<SigningKey>& keys() const { return keys_; }

 private:
  std::vector<SigningKey> keys_;
  KeyPolicy policy_;
};

}  // namespace bartab::auth
