#include "services/auth/store/sqlite/sqlite_auth_store.hpp"

#include <algorithm>

namespace bartab::auth {

using core::db::Statement;

namespace {

constexpr const char* kUserColumns =
    "id, username, display_name, avatar, kind, admin, disabled, deleted, password_hash, owner_id, "
    "api_key_hash, bot_session_id, scopes, created_ms";

User read_user(const Statement& q) {
  User u;
  u.id = q.text(0);
  u.username = q.text(1);
  u.display_name = q.text(2);
  u.avatar = q.optional_text(3);
  u.kind = q.text(4);
  u.admin = q.int64(5) != 0;
  u.disabled = q.int64(6) != 0;
  u.deleted = q.int64(7) != 0;
  u.password_hash = q.optional_text(8);
  u.owner_id = q.optional_text(9);
  u.api_key_hash = q.optional_text(10);
  u.bot_session_id = q.optional_text(11);
  u.scopes = q.text(12);
  u.created_ms = q.int64(13);
  return u;
}

template <std::size_t N>
std::array<std::uint8_t, N> to_array(const std::string& blob) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(blob.begin(), std::min(N, blob.size()), out.begin());
  return out;
}

}  // namespace

void SqliteAuthStore::in_transaction(const std::function<void()>& work) {
  transactions_.run(work);
}

bool SqliteAuthStore::insert_user(const User& u) {
  auto q = db_.cached(std::string("INSERT INTO users (") + kUserColumns +
                      ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(username) DO NOTHING");
  q->bind_all(u.id, u.username, u.display_name, u.avatar, u.kind, std::int64_t{u.admin},
              std::int64_t{u.disabled}, std::int64_t{u.deleted}, u.password_hash, u.owner_id, u.api_key_hash,
              u.bot_session_id, u.scopes, u.created_ms);
  q->run();
  return db_.changes() == 1;
}

std::optional<User> SqliteAuthStore::one_user(const std::string& where, const std::string& value) {
  auto q = db_.cached(std::string("SELECT ") + kUserColumns + " FROM users WHERE " + where + " = ?");
  q->bind(1, value);
  if (!q->step()) return std::nullopt;
  return read_user(*q);
}

std::optional<User> SqliteAuthStore::user_by_id(const std::string& id) {
  return one_user("id", id);
}

std::optional<User> SqliteAuthStore::user_by_username(const std::string& username) {
  return one_user("username", username);
}

void SqliteAuthStore::update_profile(const std::string& id, const std::string& display_name,
                                     const std::optional<std::string>& avatar) {
  auto q = db_.cached("UPDATE users SET display_name = ?, avatar = ? WHERE id = ?");
  q->bind_all(display_name, avatar, id).run();
}

void SqliteAuthStore::set_password_hash(const std::string& id, const std::string& hash) {
  auto q = db_.cached("UPDATE users SET password_hash = ? WHERE id = ?");
  q->bind_all(hash, id).run();
}

void SqliteAuthStore::set_disabled(const std::string& id, bool disabled) {
  auto q = db_.cached("UPDATE users SET disabled = ? WHERE id = ?");
  q->bind_all(std::int64_t{disabled}, id).run();
}

void SqliteAuthStore::mark_deleted(const std::string& id) {
  auto q = db_.cached("UPDATE users SET deleted = 1, api_key_hash = NULL WHERE id = ?");
  q->bind_all(id).run();
}

bool SqliteAuthStore::any_admin() {
  auto q = db_.cached("SELECT 1 FROM users WHERE admin = 1 AND deleted = 0 LIMIT 1");
  return q->step();
}

std::vector<User> SqliteAuthStore::bots_of(const std::string& owner_id) {
  auto q =
      db_.cached(std::string("SELECT ") + kUserColumns +
                 " FROM users WHERE owner_id = ? AND kind = 'bot' AND deleted = 0 ORDER BY created_ms, id");
  q->bind(1, owner_id);
  std::vector<User> out;
  while (q->step()) out.push_back(read_user(*q));
  return out;
}

void SqliteAuthStore::insert_session(const Session& s) {
  auto q = db_.cached("INSERT INTO sessions (id, user_id, revoked, created_ms) VALUES (?,?,?,?)");
  q->bind_all(s.id, s.user_id, std::int64_t{s.revoked}, s.created_ms).run();
}

std::optional<Session> SqliteAuthStore::session(const std::string& id) {
  auto q = db_.cached("SELECT id, user_id, revoked, created_ms FROM sessions WHERE id = ?");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  return Session{q->text(0), q->text(1), q->int64(2) != 0, q->int64(3)};
}

void SqliteAuthStore::revoke_session(const std::string& id) {
  auto q = db_.cached("UPDATE sessions SET revoked = 1 WHERE id = ?");
  q->bind_all(id).run();
}

void SqliteAuthStore::revoke_sessions_except(const std::string& user_id, const std::string& keep) {
  auto q = db_.cached("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND id != ?");
  q->bind_all(user_id, keep).run();
}

void SqliteAuthStore::insert_refresh_token(const RefreshToken& t) {
  auto q = db_.cached(
      "INSERT INTO refresh_tokens (token_hash, session_id, rotated, created_ms, expires_ms) VALUES "
      "(?,?,?,?,?)");
  q->bind_all(t.token_hash, t.session_id, std::int64_t{t.rotated}, t.created_ms, t.expires_ms).run();
}

std::optional<RefreshToken> SqliteAuthStore::refresh_token(const std::string& token_hash) {
  auto q = db_.cached(
      "SELECT token_hash, session_id, rotated, created_ms, expires_ms FROM refresh_tokens WHERE token_hash = "
      "?");
  q->bind(1, token_hash);
  if (!q->step()) return std::nullopt;
  return RefreshToken{q->text(0), q->text(1), q->int64(2) != 0, q->int64(3), q->int64(4)};
}

bool SqliteAuthStore::mark_rotated(const std::string& token_hash) {
  auto q = db_.cached("UPDATE refresh_tokens SET rotated = 1 WHERE token_hash = ? AND rotated = 0");
  q->bind_all(token_hash).run();
  return db_.changes() == 1;
}

void SqliteAuthStore::insert_invite(const Invite& i) {
  auto q = db_.cached(
      "INSERT INTO invites (code_hash, created_by, admin, created_ms, expires_ms, used_by) VALUES "
      "(?,?,?,?,?,?)");
  q->bind_all(i.code_hash, i.created_by, std::int64_t{i.admin}, i.created_ms, i.expires_ms, i.used_by).run();
}

std::optional<Invite> SqliteAuthStore::invite(const std::string& code_hash) {
  auto q = db_.cached(
      "SELECT code_hash, created_by, admin, created_ms, expires_ms, used_by FROM invites WHERE code_hash = "
      "?");
  q->bind(1, code_hash);
  if (!q->step()) return std::nullopt;
  return Invite{q->text(0),  q->optional_text(1), q->int64(2) != 0,
                q->int64(3), q->int64(4),         q->optional_text(5)};
}

bool SqliteAuthStore::use_invite(const std::string& code_hash, const std::string& user_id) {
  auto q = db_.cached("UPDATE invites SET used_by = ? WHERE code_hash = ? AND used_by IS NULL");
  q->bind_all(user_id, code_hash).run();
  return db_.changes() == 1;
}

void SqliteAuthStore::delete_unused_admin_invites() {
  auto q = db_.cached("DELETE FROM invites WHERE admin = 1 AND used_by IS NULL");
  q->run();
}

std::vector<SigningKey> SqliteAuthStore::signing_keys() {
  auto q = db_.cached(
      "SELECT kid, secret_key, public_key, created_ms, sign_from_ms, retired_ms FROM signing_keys "
      "ORDER BY sign_from_ms, created_ms, kid");
  std::vector<SigningKey> out;
  while (q->step()) {
    SigningKey k;
    k.kid = q->text(0);
    k.secret_key = to_array<64>(q->blob(1));
    k.public_key = to_array<32>(q->blob(2));
    k.created_ms = q->int64(3);
    k.sign_from_ms = q->int64(4);
    if (!q->is_null(5)) k.retired_ms = q->int64(5);
    out.push_back(std::move(k));
  }
  return out;
}

void SqliteAuthStore::insert_signing_key(const SigningKey& k) {
  auto q = db_.cached(
      "INSERT INTO signing_keys (kid, secret_key, public_key, created_ms, sign_from_ms, retired_ms) "
      "VALUES (?,?,?,?,?,?)");
  q->bind(1, k.kid);
  q->bind_blob(2, k.secret_key.data(), k.secret_key.size());
  q->bind_blob(3, k.public_key.data(), k.public_key.size());
  q->bind(4, k.created_ms);
  q->bind(5, k.sign_from_ms);
  if (k.retired_ms) {
    q->bind(6, *k.retired_ms);
  } else {
    q->bind(6, std::nullopt);
  }
  q->run();
}

void SqliteAuthStore::retire_signing_key(const std::string& kid, std::int64_t retired_ms) {
  auto q = db_.cached("UPDATE signing_keys SET retired_ms = ? WHERE kid = ? AND retired_ms IS NULL");
  q->bind_all(retired_ms, kid).run();
}

void SqliteAuthStore::delete_signing_key(const std::string& kid) {
  auto q = db_.cached("DELETE FROM signing_keys WHERE kid = ?");
  q->bind_all(kid).run();
}

}  // namespace bartab::auth
