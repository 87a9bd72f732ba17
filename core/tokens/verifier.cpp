#include "core/tokens/verifier.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/coro.hpp"
#include "core/errors.hpp"
#include "core/http/client.hpp"

namespace bartab::core::tokens {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::chrono::milliseconds kMaxRetryInterval{30000};
}  // namespace

KeySet parse_jwks(std::string_view document) {
  json::error_code ec;
  auto value = json::parse(document, ec);
  if (ec || !value.is_object()) throw std::runtime_error("the JWKS is not a JSON object");
  const auto* keys = value.as_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) throw std::runtime_error("the JWKS has no keys array");
  KeySet out;
  for (const auto& entry : keys->get_array()) {
    if (!entry.is_object()) continue;
    const auto& k = entry.get_object();
    auto str = [&k](std::string_view name) -> std::string {
      const auto* v = k.if_contains(name);
      return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    if (str("kty") != "OKP" || str("crv") != "Ed25519" || str("kid").empty()) continue;
    if (k.contains("alg") && str("alg") != "EdDSA") continue;
    if (k.contains("use") && str("use") != "sig") continue;
    auto x = crypto::base64url_decode(str("x"));
    if (!x || x->size() != 32) continue;
    std::array<std::uint8_t, 32> key{};
    std::copy(x->begin(), x->end(), key.begin());
    out.emplace(str("kid"), key);
  }
  if (out.empty()) throw std::runtime_error("the JWKS holds no Ed25519 signing key");
  return out;
}

TokenVerifier::TokenVerifier(VerifierOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

TokenVerifier::~TokenVerifier() {
  stop();
}

void TokenVerifier::start(asio::any_io_executor executor) {
  timer_ = std::make_shared<asio::steady_timer>(executor);
  asio::co_spawn(executor, refresh_loop(), log_exceptions("JWKS refresh"));
}

void TokenVerifier::stop() {
  *stopped_ = true;
  if (timer_) timer_->cancel();
}

asio::awaitable<void> TokenVerifier::refresh_loop() {
  auto stopped = stopped_;
  auto timer = timer_;
  // Failed fetches back off exponentially (to 30 s) so an auth outage costs little.
  auto backoff = options_.retry_interval;
  while (!*stopped) {
    bool ok = co_await fetch();
    if (*stopped) break;
    timer->expires_after(ok ? options_.refresh_interval : backoff);
    backoff =
        ok ? options_.retry_interval : std::min<std::chrono::milliseconds>(backoff * 2, kMaxRetryInterval);
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<bool> TokenVerifier::fetch() {
  try {
    auto reply = co_await http::http_get(options_.jwks_url, options_.fetch_timeout, 256 * 1024);
    if (reply.status != 200) throw std::runtime_error("status " + std::to_string(reply.status));
    auto keys = parse_jwks(reply.body);
    set_keys(std::move(keys));
    std::lock_guard lock(mutex_);
    ++stats_.fetches;
    consecutive_failures_ = 0;
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    last_error_ = "JWKS fetch from " + options_.jwks_url + " failed: " + e.what();
    // The first failure and then every 2^n-th, not one line per retry.
    auto n = ++consecutive_failures_;
    if ((n & (n - 1)) == 0) spdlog::warn("{} ({} in a row)", last_error_, n);
    co_return false;
  }
  co_return true;
}

void TokenVerifier::set_keys(KeySet keys) {
  std::lock_guard lock(mutex_);
  bool removed = false;
  for (const auto& [kid, key] : keys_) {
    auto it = keys.find(kid);
    removed = removed || it == keys.end() || it->second != key;
  }
  if (removed) {
    cache_.clear();
    lru_.clear();
  }
  keys_ = std::move(keys);
  have_keys_ = true;
}

bool TokenVerifier::ready() const {
  std::lock_guard lock(mutex_);
  return have_keys_;
}

CheckResult TokenVerifier::check() const {
  std::lock_guard lock(mutex_);
  if (have_keys_) return {};
  return {false, last_error_};
}

TokenVerifier::Stats TokenVerifier::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::optional<AccessClaims> TokenVerifier::cached(const std::string& digest) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(digest);
  if (it == cache_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.position);
  ++stats_.cache_hits;
  return it->second.claims;
}

void TokenVerifier::remember(const std::string& digest, const AccessClaims& claims) {
  std::lock_guard lock(mutex_);
  if (cache_.contains(digest) || options_.cache_capacity == 0) return;
  lru_.push_front(digest);
  cache_.emplace(digest, Cached{claims, lru_.begin()});
  while (cache_.size() > options_.cache_capacity) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::variant<AccessClaims, JwtError> TokenVerifier::check_token(const std::string& token) const {
  KeySet keys;
  {
    std::lock_guard lock(mutex_);
    keys = keys_;
  }
  VerifyOptions verify{options_.issuer, options_.audience, clock_.now_s(), options_.leeway_s};
  return verify_access_token(token, keys, verify);
}

bool TokenVerifier::may_refetch() {
  if (options_.jwks_url.empty()) return false;
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (last_refetch_ != std::chrono::steady_clock::time_point{} &&
      now - last_refetch_ < options_.refetch_cooldown) {
    return false;
  }
  last_refetch_ = now;
  return true;
}

asio::awaitable<AccessClaims> TokenVerifier::verify(std::string token) {
  auto unauthorized = [](std::string_view why) {
    return ApiError(
        ErrorCode::unauthorized, std::string(why),
        {{"WWW-Authenticate", "Bearer realm=\"bartab\", error=\"invalid_token\", error_description=\"" +
                                  std::string(why) + "\""}});
  };
  if (!ready()) throw ApiError(ErrorCode::unavailable, "token keys are not available yet");
  auto digest = crypto::sha256_hex(token);
  if (auto hit = cached(digest)) {
    if (clock_.now_s() < hit->exp + options_.leeway_s) co_return *hit;
    throw unauthorized(describe(JwtError::expired));
  }
  auto result = check_token(token);
  if (std::holds_alternative<JwtError>(result) && std::get<JwtError>(result) == JwtError::unknown_kid &&
      may_refetch()) {
    if (co_await fetch()) result = check_token(token);
  }
  if (auto* error = std::get_if<JwtError>(&result)) throw unauthorized(describe(*error));
  auto& claims = std::get<AccessClaims>(result);
  remember(digest, claims);
  co_return claims;
}

}  // namespace bartab::core::tokens
