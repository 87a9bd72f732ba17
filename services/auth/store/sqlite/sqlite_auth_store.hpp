// AuthStore on one SQLite connection (owned by a core::db::Database thread).
#pragma once

#include <vector>

#include "core/db/sqlite.hpp"
#include "services/auth/store/auth_store.hpp"

namespace bartab::auth {

// The numbered migrations in migrations/, embedded at build time.
const std::vector<core::db::Migration>& sqlite_migrations();

class SqliteAuthStore final : public AuthStore {
 public:
  explicit SqliteAuthStore(core::db::Connection& connection) : db_(connection), transactions_(connection) {}

  void in_transaction(const std::function<void()>& work) override;

  bool insert_user(const User& user) override;
  std::optional<User> user_by_id(const std::string& id) override;
  std::optional<User> user_by_username(const std::string& username) override;
  void update_profile(const std::string& id, const std::string& display_name,
                      const std::optional<std::string>& avatar) override;
  void set_password_hash(const std::string& id, const std::string& hash) override;
  void set_disabled(const std::string& id, bool disabled) override;
  void mark_deleted(const std::string& id) override;
  bool any_admin() override;
  std::vector<User> bots_of(const std::string& owner_id) override;

  void insert_session(const Session& session) override;
  std::optional<Session> session(const std::string& id) override;
  void revoke_session(const std::string& id) override;
  void revoke_sessions_except(const std::string& user_id, const std::string& keep) override;
  void insert_refresh_token(const RefreshToken& token) override;
  std::optional<RefreshToken> refresh_token(const std::string& token_hash) override;
  bool mark_rotated(const std::string& token_hash) override;

  void insert_invite(const Invite& invite) override;
  std::optional<Invite> invite(const std::string& code_hash) override;
  bool use_invite(const std::string& code_hash, const std::string& user_id) override;
  void delete_unused_admin_invites() override;

  std::vector<SigningKey> signing_keys() override;
  void insert_signing_key(const SigningKey& key) override;
  void retire_signing_key(const std::string& kid, std::int64_t retired_ms) override;
  void delete_signing_key(const std::string& kid) override;

 private:
  std::optional<User> one_user(const std::string& where, const std::string& value);

  core::db::Connection& db_;
  core::db::TransactionNest transactions_;
};

}  // namespace bartab::auth
