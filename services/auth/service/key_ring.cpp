#include "services/auth/service/key_ring.hpp"

#include <boost/json.hpp>

namespace bartab::auth {

const SigningKey* KeyRing::signer(std::int64_t now_ms) const {
  const SigningKey* best = nullptr;
  for (const auto& k : keys_) {
    if (k.sign_from_ms <= now_ms && (best == nullptr || k.sign_from_ms >= best->sign_from_ms)) best = &k;
  }
  return best;
}

std::vector<const SigningKey*> KeyRing::published(std::int64_t now_ms) const {
  std::vector<const SigningKey*> out;
  for (const auto& k : keys_) {
    bool still_needed = !k.retired_ms || now_ms < *k.retired_ms + policy_.token_ttl_ms + policy_.leeway_ms;
    if (still_needed) out.push_back(&k);
  }
  return out;
}

core::tokens::KeySet KeyRing::key_set(std::int64_t now_ms) const {
  core::tokens::KeySet set;
  for (const auto* k : published(now_ms)) set.emplace(k->kid, k->public_key);
  return set;
}

std::string KeyRing::jwks(std::int64_t now_ms) const {
  boost::json::array keys;
  for (const auto* k : published(now_ms)) {
    keys.push_back({{"kty", "OKP"},
                    {"crv", "Ed25519"},
                    {"kid", k->kid},
                    {"x", core::crypto::base64url_encode(k->public_key.data(), k->public_key.size())},
                    {"alg", "EdDSA"},
                    {"use", "sig"}});
  }
  return boost::json::serialize(boost::json::object{{"keys", keys}});
}

std::vector<std::string> KeyRing::expired(std::int64_t now_ms) const {
  std::vector<std::string> out;
  auto live = published(now_ms);
  for (const auto& k : keys_) {
    if (std::find(live.begin(), live.end(), &k) == live.end()) out.push_back(k.kid);
  }
  return out;
}

KeyRing::Rotation KeyRing::plan_rotation(std::int64_t now_ms, core::crypto::Random& random,
                                         bool immediate) const {
  auto pair = core::crypto::ed25519_generate();
  Rotation r;
  r.key.kid = "k" + random.token(9);
  r.key.secret_key = pair.secret_key;
  r.key.public_key = pair.public_key;
  r.key.created_ms = now_ms;
  r.key.sign_from_ms = immediate ? now_ms : now_ms + policy_.publish_delay_ms;
  r.retire_at_ms = r.key.sign_from_ms;
  for (const auto& k : keys_) {
    if (!k.retired_ms) r.retire_kids.push_back(k.kid);
  }
  return r;
}

}  // namespace bartab::auth
