// The auth service's logic: accounts, sessions and refresh rotation, bots, invites,
// signing keys. Handlers in api/ call one method each; every method validates its
// input and throws core::ApiError (or OAuthError for the token endpoint).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto/crypto.hpp"
#include "core/rate_limiter.hpp"
#include "core/tokens/verifier.hpp"
#include "services/auth/service/key_ring.hpp"
#include "services/auth/store/store_runner.hpp"

namespace bartab::auth {

// RFC 6749 section 5.2 errors of the token endpoint.
class OAuthError : public std::runtime_error {
 public:
  OAuthError(unsigned status, std::string error, std::string description)
      : std::runtime_error(std::move(description)), status_(status), error_(std::move(error)) {}
  unsigned status() const { return status_; }
  const std::string& error() const { return error_; }

 private:
  unsigned status_;
  std::string error_;
};

struct AuthOptions {
  std::string issuer;                   // server.public_url
  std::string registration = "invite";  // open | invite | closed
  std::int64_t access_token_ttl_s = 900;
  std::int64_t refresh_token_ttl_s = 2592000;
  std::int64_t leeway_s = 30;
  std::int64_t key_publish_delay_s = 60;
  std::int64_t invite_ttl_s = 7 * 86400;
  std::uint32_t login_failures_per_minute = 10;
  std::uint32_t register_per_hour = 20;
  core::crypto::PasswordParams password;
};

struct TokenGrant {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::optional<std::string> refresh_token;
  std::string scope;
  std::string user_id;
};

struct NewAccount {
  std::string username;
  std::string password;
  std::optional<std::string> display_name;
  std::optional<std::string> invite;
};

struct ProfileChange {
  std::optional<std::string> display_name;
  bool avatar_set = false;  // the request named avatar (null clears it)
  std::optional<std::string> avatar;
};

struct NewBot {
  std::string username;
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> scopes;
};

struct CreatedBot {
  User bot;
  std::string api_key;
};

class AuthService {
 public:
  AuthService(AuthOptions options, std::unique_ptr<StoreRunner> store, const core::Clock& clock,
              core::crypto::Random& random);
  ~AuthService();

  // Start-up, blocking: loads (or makes the first) signing key; when no admin exists
  // returns a fresh one-time admin invite for the caller to print.
  std::optional<std::string> prepare();

  boost::asio::awaitable<std::pair<TokenGrant, User>> register_account(NewAccount account,
                                                                       std::string client);
  boost::asio::awaitable<TokenGrant> login(std::string username, std::string password, std::string client);
  boost::asio::awaitable<TokenGrant> refresh(std::string refresh_token);
  boost::asio::awaitable<TokenGrant> client_credentials(std::string client_id, std::string client_secret);
  boost::asio::awaitable<void> logout(core::tokens::AccessClaims caller);
  boost::asio::awaitable<void> change_password(core::tokens::AccessClaims caller, std::string old_password,
                                               std::string new_password);

  boost::asio::awaitable<User> me(core::tokens::AccessClaims caller);
  boost::asio::awaitable<User> update_profile(core::tokens::AccessClaims caller, ProfileChange change);
  boost::asio::awaitable<User> user(std::string user_id);
  boost::asio::awaitable<User> user_by_username(std::string username);

  boost::asio::awaitable<CreatedBot> create_bot(core::tokens::AccessClaims caller, NewBot bot);
  boost::asio::awaitable<std::vector<User>> bots(core::tokens::AccessClaims caller);
  boost::asio::awaitable<void> delete_bot(core::tokens::AccessClaims caller, std::string bot_id);

  boost::asio::awaitable<std::string> create_invite(core::tokens::AccessClaims caller);
  boost::asio::awaitable<void> disable_user(core::tokens::AccessClaims caller, std::string user_id);

  // Keys. rotate_keys publishes a new key now that signs after the publish delay.
  boost::asio::awaitable<std::string> rotate_keys();
  std::string rotate_keys_blocking();
  // Re-reads the keys from the store (a rotation by another process) and drops
  // keys no longer published.
  boost::asio::awaitable<void> reload_keys();
  std::string jwks() const;

  core::tokens::TokenVerifier& verifier() { return verifier_; }
  core::CheckResult check() { return store_->check(); }
  const AuthOptions& options() const { return options_; }

 private:
  boost::asio::awaitable<bool> verify_password(std::string phc, std::string password);
  boost::asio::awaitable<std::string> hash_password(std::string password);
  boost::asio::awaitable<TokenGrant> start_session(const User& user);
  TokenGrant issue(const User& user, const std::string& session_id, std::optional<std::string> refresh_token);
  RefreshToken new_refresh_token(const std::string& session_id, std::string& token_out);
  boost::asio::awaitable<User> require_admin(const core::tokens::AccessClaims& caller);
  void install_keys(std::vector<SigningKey> keys);
  std::string rotate_in(AuthStore& store, std::vector<SigningKey>& keys);
  KeyPolicy key_policy() const;
  std::string new_id(std::string_view prefix, std::size_t bytes = 16);

  AuthOptions options_;
  std::unique_ptr<StoreRunner> store_;
  const core::Clock& clock_;
  core::crypto::Random& random_;
  std::mutex random_mutex_;
  // Argon2id runs here (19 MiB each), never on the HTTP threads; two threads bound the
  // memory it takes.
  boost::asio::thread_pool hash_pool_{2};
  std::string dummy_hash_;  // verified against for unknown users, so timing matches
  core::RateLimiter login_failures_by_name_;
  core::RateLimiter login_failures_by_client_;
  core::RateLimiter registrations_by_client_;
  mutable std::mutex keys_mutex_;
  std::unique_ptr<KeyRing> keys_;
  core::tokens::TokenVerifier verifier_;
};

// Username rules of API.md: lowercased, then [a-z0-9._-]{3,32}.
std::optional<std::string> normalize_username(std::string_view raw);

}  // namespace bartab::auth
