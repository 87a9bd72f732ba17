// The auth service's storage, as an interface: the SQLite implementation lives in
// sqlite/, Postgres will sit beside it, and tests/services/auth/store runs one
// conformance suite against each. Calls are synchronous and run on the store's own
// thread (see AuthService); in_transaction makes several of them all-or-nothing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bartab::auth {

struct User {
  std::string id;  // usr_...
  std::string username;
  std::string display_name;
  std::optional<std::string> avatar;
  std::string kind = "user";  // user | bot
  bool admin = false;
  bool disabled = false;
  bool deleted = false;
  std::optional<std::string> password_hash;   // PHC string; users only
  std::optional<std::string> owner_id;        // bots only
  std::optional<std::string> api_key_hash;    // bots only (sha256 hex)
  std::optional<std::string> bot_session_id;  // bots: the one session all their tokens share
  std::string scopes;                         // space-separated
  std::int64_t created_ms = 0;
};

struct Session {
  std::string id;  // ses_...
  std::string user_id;
  bool revoked = false;
  std::int64_t created_ms = 0;
};

struct RefreshToken {
  std::string token_hash;  // sha256 hex of the token
  std::string session_id;
  bool rotated = false;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
};

struct Invite {
  std::string code_hash;
  std::optional<std::string> created_by;
  bool admin = false;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::optional<std::string> used_by;
};

struct SigningKey {
  std::string kid;
  std::array<std::uint8_t, 64> secret_key{};
  std::array<std::uint8_t, 32> public_key{};
  std::int64_t created_ms = 0;
  std::int64_t sign_from_ms = 0;           // published from creation, signs from here on
  std::optional<std::int64_t> retired_ms;  // a newer key took over signing
};

class AuthStore {
 public:
  virtual ~AuthStore() = default;

  virtual void in_transaction(const std::function<void()>& work) = 0;

  // Users. insert_user returns false when the username is taken.
  virtual bool insert_user(const User& user) = 0;
  virtual std::optional<User> user_by_id(const std::string& id) = 0;
  virtual std::optional<User> user_by_username(const std::string& username) = 0;
  virtual void update_profile(const std::string& id, const std::string& display_name,
                              const std::optional<std::string>& avatar) = 0;
  virtual void set_password_hash(const std::string& id, const std::string& hash) = 0;
  virtual void set_disabled(const std::string& id, bool disabled) = 0;
  virtual void mark_deleted(const std::string& id) = 0;
  virtual bool any_admin() = 0;
  virtual std::vector<User> bots_of(const std::string& owner_id) = 0;

  // Sessions and refresh tokens.
  virtual void insert_session(const Session& session) = 0;
  virtual std::optional<Session> session(const std::string& id) = 0;
  virtual void revoke_session(const std::string& id) = 0;
  // Revokes every session of the user except `keep` (may be empty).
  virtual void revoke_sessions_except(const std::string& user_id, const std::string& keep) = 0;
  virtual void insert_refresh_token(const RefreshToken& token) = 0;
  virtual std::optional<RefreshToken> refresh_token(const std::string& token_hash) = 0;
  // Marks a current token rotated; false if it already was (the caller lost a race
  // or is replaying it).
  virtual bool mark_rotated(const std::string& token_hash) = 0;

  // Invites (single use).
  virtual void insert_invite(const Invite& invite) = 0;
  virtual std::optional<Invite> invite(const std::string& code_hash) = 0;
  virtual bool use_invite(const std::string& code_hash, const std::string& user_id) = 0;
  virtual void delete_unused_admin_invites() = 0;

  // Signing keys, oldest first.
  virtual std::vector<SigningKey> signing_keys() = 0;
  virtual void insert_signing_key(const SigningKey& key) = 0;
  virtual void retire_signing_key(const std::string& kid, std::int64_t retired_ms) = 0;
  virtual void delete_signing_key(const std::string& kid) = 0;
};

}  // namespace bartab::auth
