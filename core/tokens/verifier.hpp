// Verifies access tokens for a service with the key set (JWKS) published by auth.
// - Not ready until it holds a key set; once it holds one it keeps serving on it when
//   auth is unreachable, refreshing in the background.
// - An unknown kid triggers one refetch, at most once per cooldown (a rotation that
//   published a key after our last fetch), never a refetch per request.
// - Verified tokens are cached (bounded, least recently used out) so the signature
//   check (~50 us) stays off the hot path; a cached token is still refused once expired.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/ops/health.hpp"
#include "core/tokens/jwt.hpp"

namespace bartab::core::tokens {

struct VerifierOptions {
  std::string jwks_url;  // empty: keys are installed with set_keys (the auth service itself)
  std::string issuer;
  std::string audience = "bartab";
  std::int64_t leeway_s = 30;
  std::chrono::milliseconds refetch_cooldown{10000};
  std::chrono::milliseconds refresh_interval{300000};
  std::chrono::milliseconds retry_interval{500};
  std::chrono::milliseconds fetch_timeout{5000};
  std::size_t cache_capacity = 10000;
};

// Parses a JWKS document, keeping the Ed25519 signing keys; throws std::runtime_error
// when it is not a JWKS or holds no usable key.
KeySet parse_jwks(std::string_view document);

class TokenVerifier {
 public:
  TokenVerifier(VerifierOptions options, const Clock& clock);
  ~TokenVerifier();

  // Fetches the JWKS in the background on `executor` until stop(): retrying (from
  // retry_interval, backing off to 30 s) until a fetch succeeds, then refreshing every
  // refresh_interval.
  void start(boost::asio::any_io_executor executor);
  void stop();

  // Replaces the key set (and drops cached verifications made with removed keys).
  void set_keys(KeySet keys);
  bool ready() const;
  CheckResult check() const;

  // The claims of a valid token; throws ApiError unauthorized naming what is wrong.
  boost::asio::awaitable<AccessClaims> verify(std::string token);

  struct Stats {
    std::uint64_t cache_hits = 0;
    std::uint64_t fetches = 0;
  };
  Stats stats() const;

 private:
  struct Cached {
    AccessClaims claims;
    std::list<std::string>::iterator position;
  };

  boost::asio::awaitable<bool> fetch();
  boost::asio::awaitable<void> refresh_loop();
  std::optional<AccessClaims> cached(const std::string& digest);
  void remember(const std::string& digest, const AccessClaims& claims);
  std::variant<AccessClaims, JwtError> check_token(const std::string& token) const;
  bool may_refetch();

  VerifierOptions options_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  KeySet keys_;
  bool have_keys_ = false;
  std::string last_error_ = "no key set fetched yet";
  std::chrono::steady_clock::time_point last_refetch_{};
  std::uint64_t consecutive_failures_ = 0;
  std::unordered_map<std::string, Cached> cache_;
  std::list<std::string> lru_;
  Stats stats_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace bartab::core::tokens
