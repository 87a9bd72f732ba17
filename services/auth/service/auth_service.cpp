#include "services/auth/service/auth_service.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/asio/use_awaitable.hpp>

#include "core/errors.hpp"
#include "core/offload.hpp"

namespace bartab::auth {

namespace asio = boost::asio;
using core::ApiError;
using core::ErrorCode;
using core::tokens::AccessClaims;

namespace {

constexpr std::size_t kMinPassword = 8;
constexpr std::size_t kMaxPassword = 1024;
constexpr std::size_t kMaxDisplayName = 128;
constexpr std::size_t kMaxAvatar = 2048;
const std::vector<std::string> kBotScopes = {"chat", "media"};

void check_password_length(const std::string& password) {
  if (password.size() < kMinPassword || password.size() > kMaxPassword) {
    core::throw_bad_request("passwords are 8 to 1024 bytes");
  }
}

std::string checked_display_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxDisplayName)
    core::throw_bad_request("display_name is 1 to 128 bytes");
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    core::throw_bad_request("display_name must not contain control characters");
  }
  return name;
}

std::string user_scopes(const User& user) {
  return user.admin ? "chat media admin" : "chat media";
}

ApiError rate_limited(std::int64_t seconds) {
  return ApiError(ErrorCode::rate_limited, "too many attempts; retry in " + std::to_string(seconds) + " s",
                  {{"Retry-After", std::to_string(seconds)}});
}

ApiError bad_credentials() {
  return ApiError(ErrorCode::unauthorized, "wrong username or password");
}

}  // namespace

std::optional<std::string> normalize_username(std::string_view raw) {
  std::string name(raw);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
  });
  if (name.size() < 3 || name.size() > 32) return std::nullopt;
  bool ok = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (!ok) return std::nullopt;
  return name;
}

AuthService::AuthService(AuthOptions options, std::unique_ptr<StoreRunner> store, const core::Clock& clock,
                         core::crypto::Random& random)
    : options_(std::move(options)),
      store_(std::move(store)),
      clock_(clock),
      random_(random),
      login_failures_by_name_(clock, options_.login_failures_per_minute, 60'000),
      login_failures_by_client_(clock, options_.login_failures_per_minute, 60'000),
      registrations_by_client_(clock, options_.register_per_hour, 3'600'000),
      verifier_(core::tokens::VerifierOptions{.issuer = options_.issuer, .leeway_s = options_.leeway_s},
                clock) {
  dummy_hash_ = core::crypto::password_hash("not a real password, only for timing", options_.password);
}

AuthService::~AuthService() {
  hash_pool_.join();
}

std::string AuthService::new_id(std::string_view prefix, std::size_t bytes) {
  std::lock_guard lock(random_mutex_);
  return std::string(prefix) + random_.token(bytes);
}

KeyPolicy AuthService::key_policy() const {
  return {options_.access_token_ttl_s * 1000, options_.leeway_s * 1000, options_.key_publish_delay_s * 1000};
}

void AuthService::install_keys(std::vector<SigningKey> keys) {
  auto ring = std::make_unique<KeyRing>(std::move(keys), key_policy());
  verifier_.set_keys(ring->key_set(clock_.now_ms()));
  std::lock_guard lock(keys_mutex_);
  keys_ = std::move(ring);
}

std::optional<std::string> AuthService::prepare() {
  std::optional<std::string> admin_invite;
  std::vector<SigningKey> keys;
  auto now = clock_.now_ms();
  store_->run_blocking([&](AuthStore& store) {
    store.in_transaction([&] {
      keys = store.signing_keys();
      if (keys.empty()) {
        std::lock_guard lock(random_mutex_);
        KeyRing empty({}, {});
        auto first = empty.plan_rotation(now, random_, true).key;
        store.insert_signing_key(first);
        keys.push_back(first);
      }
      if (!store.any_admin()) {
        store.delete_unused_admin_invites();
        auto code = new_id("inv_", 24);
        store.insert_invite({core::crypto::sha256_hex(code), std::nullopt, true, now,
                             now + options_.invite_ttl_s * 1000, std::nullopt});
        admin_invite = code;
      }
    });
  });
  install_keys(std::move(keys));
  return admin_invite;
}

// Argon2id takes ~10 ms of CPU: on the hashing pool, never on an HTTP thread.
asio::awaitable<bool> AuthService::verify_password(std::string phc, std::string password) {
  auto verifying = core::run_on(hash_pool_, [&] { return core::crypto::password_verify(phc, password); });
  co_return co_await std::move(verifying);
}

asio::awaitable<std::string> AuthService::hash_password(std::string password) {
  auto hashing =
      core::run_on(hash_pool_, [&] { return core::crypto::password_hash(password, options_.password); });
  co_return co_await std::move(hashing);
}

RefreshToken AuthService::new_refresh_token(const std::string& session_id, std::string& token_out) {
  token_out = new_id("rt_", 32);
  auto now = clock_.now_ms();
  return {core::crypto::sha256_hex(token_out), session_id, false, now,
          now + options_.refresh_token_ttl_s * 1000};
}

TokenGrant AuthService::issue(const User& user, const std::string& session_id,
                              std::optional<std::string> refresh_token) {
  auto now_ms = clock_.now_ms();
  core::tokens::AccessClaims claims;
  claims.iss = options_.issuer;
  claims.sub = user.id;
  claims.aud = {"bartab"};
  claims.iat = now_ms / 1000;
  claims.exp = claims.iat + options_.access_token_ttl_s;
  claims.jti = new_id("", 16);
  claims.scope = user.scopes;
  claims.sid = session_id;
  claims.kind = user.kind;
  claims.name = user.username;
  std::string token;
  {
    std::lock_guard lock(keys_mutex_);
    const auto* key = keys_->signer(now_ms);
    if (key == nullptr) throw ApiError(ErrorCode::unavailable, "no signing key is active");
    core::crypto::Ed25519KeyPair pair{key->public_key, key->secret_key};
    token = core::tokens::sign_access_token(claims, key->kid, pair);
  }
  return TokenGrant{std::move(token), options_.access_token_ttl_s, std::move(refresh_token), user.scopes,
                    user.id};
}

asio::awaitable<TokenGrant> AuthService::start_session(const User& user) {
  Session session{new_id("ses_"), user.id, false, clock_.now_ms()};
  std::string refresh;
  auto record = new_refresh_token(session.id, refresh);
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      store.insert_session(session);
      store.insert_refresh_token(record);
    });
  });
  co_return issue(user, session.id, refresh);
}

asio::awaitable<std::pair<TokenGrant, User>> AuthService::register_account(NewAccount account,
                                                                           std::string client) {
  if (auto wait = registrations_by_client_.retry_after(client)) throw rate_limited(*wait);
  auto username = normalize_username(account.username);
  if (!username) core::throw_bad_request("usernames are 3 to 32 characters of a-z, 0-9, '.', '_' and '-'");
  check_password_length(account.password);
  auto display_name = checked_display_name(account.display_name.value_or(*username));

  // Which invite, if any, lets this registration in (checked again in the transaction).
  std::optional<Invite> invite;
  std::string invite_hash;
  if (account.invite) {
    invite_hash = core::crypto::sha256_hex(*account.invite);
    co_await store_->run([&](AuthStore& store) { invite = store.invite(invite_hash); });
    bool usable = invite && !invite->used_by && invite->expires_ms > clock_.now_ms();
    if (!usable) core::throw_forbidden("the invite is not valid");
  }
  bool admin_invite = invite && invite->admin;
  if (!admin_invite && options_.registration == "closed") core::throw_forbidden("registration is closed");
  if (!invite && options_.registration == "invite") core::throw_forbidden("registration needs an invite");

  registrations_by_client_.hit(client);
  User user;
  user.id = new_id("usr_");
  user.username = *username;
  user.display_name = display_name;
  user.kind = "user";
  user.admin = admin_invite;
  user.password_hash = co_await hash_password(account.password);
  user.created_ms = clock_.now_ms();
  user.scopes = user_scopes(user);

  Session session{new_id("ses_"), user.id, false, user.created_ms};
  std::string refresh;
  auto record = new_refresh_token(session.id, refresh);
  bool taken = false;
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      if (!store.insert_user(user)) {
        taken = true;
        return;
      }
      if (invite && !store.use_invite(invite_hash, user.id)) {
        throw ApiError(ErrorCode::forbidden, "the invite is not valid");  // rolls the user back
      }
      store.insert_session(session);
      store.insert_refresh_token(record);
    });
  });
  if (taken) throw ApiError(ErrorCode::conflict, "the username is taken");
  if (user.admin) spdlog::info("admin account {} registered", user.username);
  co_return std::pair{issue(user, session.id, refresh), user};
}

asio::awaitable<TokenGrant> AuthService::login(std::string username_raw, std::string password,
                                               std::string client) {
  auto username = normalize_username(username_raw).value_or("");
  auto name_key = username.empty() ? "?" + username_raw.substr(0, 64) : username;
  auto wait = login_failures_by_client_.retry_after(client);
  if (!wait) wait = login_failures_by_name_.retry_after(name_key);
  if (wait) throw rate_limited(*wait);

  std::optional<User> user;
  if (!username.empty())
    co_await store_->run([&](AuthStore& store) { user = store.user_by_username(username); });
  bool usable = user && user->kind == "user" && !user->deleted && user->password_hash;
  // The same work whether or not the user exists, so the answer's timing tells nothing.
  // Named first: GCC 12 destroys temporaries of a ?: inside a co_await operand twice.
  std::string phc = usable ? *user->password_hash : dummy_hash_;
  std::string presented = password.size() <= kMaxPassword ? password : std::string();
  bool ok = co_await verify_password(std::move(phc), std::move(presented));
  if (!usable || !ok) {
    login_failures_by_client_.hit(client);
    login_failures_by_name_.hit(name_key);
    throw bad_credentials();
  }
  if (user->disabled) throw ApiError(ErrorCode::forbidden, "the account is disabled");
  if (core::crypto::password_needs_rehash(*user->password_hash, options_.password)) {
    auto rehashed = co_await hash_password(password);
    co_await store_->run([&](AuthStore& store) { store.set_password_hash(user->id, rehashed); });
  }
  co_return co_await start_session(*user);
}

asio::awaitable<TokenGrant> AuthService::refresh(std::string refresh_token) {
  auto hash = core::crypto::sha256_hex(refresh_token);
  auto now = clock_.now_ms();
  enum class Outcome { ok, unknown, reused, expired, revoked, disabled } outcome = Outcome::ok;
  std::optional<User> user;
  std::string session_id;
  std::string next;
  auto record = new_refresh_token("", next);
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      auto current = store.refresh_token(hash);
      if (!current) {
        outcome = Outcome::unknown;
        return;
      }
      session_id = current->session_id;
      auto session = store.session(session_id);
      if (!session || session->revoked) {
        outcome = Outcome::revoked;
        return;
      }
      if (current->rotated || !store.mark_rotated(hash)) {
        // Reuse of a rotated token: someone else holds a copy. Revoke the session.
        store.revoke_session(session_id);
        outcome = Outcome::reused;
        return;
      }
      if (current->expires_ms <= now) {
        outcome = Outcome::expired;
        throw OAuthError(400, "invalid_grant", "the refresh token has expired");  // undoes mark_rotated
      }
      user = store.user_by_id(session->user_id);
      if (!user || user->disabled || user->deleted) {
        outcome = Outcome::disabled;
        return;
      }
      record.session_id = session_id;
      store.insert_refresh_token(record);
    });
  });
  switch (outcome) {
    case Outcome::ok:
      break;
    case Outcome::unknown:
      throw OAuthError(400, "invalid_grant", "the refresh token is not valid");
    case Outcome::reused:
      spdlog::warn("refresh token reuse on session {}: session revoked", session_id);
      throw OAuthError(400, "invalid_grant", "the refresh token was already used; the session is revoked");
    case Outcome::expired:
      throw OAuthError(400, "invalid_grant", "the refresh token has expired");
    case Outcome::revoked:
      throw OAuthError(400, "invalid_grant", "the session has ended");
    case Outcome::disabled:
      throw OAuthError(400, "invalid_grant", "the account is disabled");
  }
  co_return issue(*user, session_id, next);
}

asio::awaitable<TokenGrant> AuthService::client_credentials(std::string client_id,
                                                            std::string client_secret) {
  std::optional<User> bot;
  if (client_id.size() <= 64)
    co_await store_->run([&](AuthStore& store) { bot = store.user_by_id(client_id); });
  auto presented = core::crypto::sha256_hex(client_secret);
  bool ok = bot && bot->kind == "bot" && !bot->deleted && !bot->disabled && bot->api_key_hash &&
            bot->bot_session_id && core::crypto::equal_constant_time(*bot->api_key_hash, presented);
  if (!ok) throw OAuthError(401, "invalid_client", "unknown client or wrong secret");
  co_return issue(*bot, *bot->bot_session_id, std::nullopt);
}

asio::awaitable<void> AuthService::logout(AccessClaims caller) {
  co_await store_->run([&](AuthStore& store) { store.revoke_session(caller.sid); });
}

asio::awaitable<void> AuthService::change_password(AccessClaims caller, std::string old_password,
                                                   std::string new_password) {
  check_password_length(new_password);
  auto user = co_await me(caller);
  if (user.kind != "user" || !user.password_hash) core::throw_forbidden("bots have no password");
  std::string presented = old_password.size() <= kMaxPassword ? old_password : std::string();
  bool ok = co_await verify_password(*user.password_hash, std::move(presented));
  if (!ok) {
    throw ApiError(ErrorCode::forbidden, "the old password is wrong");
  }
  auto phc = co_await hash_password(new_password);
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      store.set_password_hash(user.id, phc);
      store.revoke_sessions_except(user.id, caller.sid);
    });
  });
}

asio::awaitable<User> AuthService::me(AccessClaims caller) {
  co_return co_await user(caller.sub);
}

asio::awaitable<User> AuthService::update_profile(AccessClaims caller, ProfileChange change) {
  auto current = co_await me(caller);
  auto display_name = change.display_name ? checked_display_name(*change.display_name) : current.display_name;
  auto avatar = change.avatar_set ? change.avatar : current.avatar;
  if (avatar && (avatar->empty() || avatar->size() > kMaxAvatar))
    core::throw_bad_request("avatar is 1 to 2048 bytes");
  co_await store_->run([&](AuthStore& store) { store.update_profile(current.id, display_name, avatar); });
  current.display_name = display_name;
  current.avatar = avatar;
  co_return current;
}

asio::awaitable<User> AuthService::user(std::string user_id) {
  std::optional<User> found;
  if (user_id.size() <= 64)
    co_await store_->run([&](AuthStore& store) { found = store.user_by_id(user_id); });
  if (!found || found->deleted) core::throw_not_found("no such user");
  co_return *found;
}

asio::awaitable<User> AuthService::user_by_username(std::string username) {
  auto name = normalize_username(username);
  if (!name) core::throw_not_found("no such user");
  std::optional<User> found;
  co_await store_->run([&](AuthStore& store) { found = store.user_by_username(*name); });
  if (!found || found->deleted) core::throw_not_found("no such user");
  co_return *found;
}

asio::awaitable<CreatedBot> AuthService::create_bot(AccessClaims caller, NewBot request) {
  if (caller.kind != "user") core::throw_forbidden("only people create bots");
  auto username = normalize_username(request.username);
  if (!username) core::throw_bad_request("usernames are 3 to 32 characters of a-z, 0-9, '.', '_' and '-'");
  std::vector<std::string> scopes = request.scopes.value_or(kBotScopes);
  std::string scope_text;
  for (const auto& s : scopes) {
    if (std::find(kBotScopes.begin(), kBotScopes.end(), s) == kBotScopes.end()) {
      core::throw_bad_request("bot scopes are chosen from chat and media");
    }
    if (scope_text.find(s) == std::string::npos) scope_text += (scope_text.empty() ? "" : " ") + s;
  }
  auto owner = co_await me(caller);
  if (owner.disabled) core::throw_forbidden("the account is disabled");
  User bot;
  bot.id = new_id("usr_");
  bot.username = *username;
  bot.display_name = checked_display_name(request.display_name.value_or(*username));
  bot.kind = "bot";
  bot.owner_id = owner.id;
  bot.scopes = scope_text;
  bot.created_ms = clock_.now_ms();
  bot.bot_session_id = new_id("ses_");
  auto api_key = new_id("bk_", 32);
  bot.api_key_hash = core::crypto::sha256_hex(api_key);
  bool taken = false;
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      if (!store.insert_user(bot)) {
        taken = true;
        return;
      }
      store.insert_session({*bot.bot_session_id, bot.id, false, bot.created_ms});
    });
  });
  if (taken) throw ApiError(ErrorCode::conflict, "the username is taken");
  co_return CreatedBot{bot, api_key};
}

asio::awaitable<std::vector<User>> AuthService::bots(AccessClaims caller) {
  std::vector<User> out;
  co_await store_->run([&](AuthStore& store) { out = store.bots_of(caller.sub); });
  co_return out;
}

asio::awaitable<void> AuthService::delete_bot(AccessClaims caller, std::string bot_id) {
  auto bot = co_await user(bot_id);
  if (bot.kind != "bot") core::throw_not_found("no such bot");
  if (bot.owner_id != caller.sub) co_await require_admin(caller);
  co_await store_->run([&](AuthStore& store) {
    store.in_transaction([&] {
      store.mark_deleted(bot.id);
      if (bot.bot_session_id) store.revoke_session(*bot.bot_session_id);
    });
  });
}

asio::awaitable<User> AuthService::require_admin(const AccessClaims& caller) {
  if (!caller.has_scope("admin")) core::throw_forbidden("this needs an administrator");
  auto current = co_await user(caller.sub);
  if (!current.admin || current.disabled) core::throw_forbidden("this needs an administrator");
  co_return current;
}

asio::awaitable<std::string> AuthService::create_invite(AccessClaims caller) {
  auto admin = co_await require_admin(caller);
  auto code = new_id("inv_", 24);
  auto now = clock_.now_ms();
  Invite invite{core::crypto::sha256_hex(code),     admin.id,    false, now,
                now + options_.invite_ttl_s * 1000, std::nullopt};
  co_await store_->run([&](AuthStore& store) { store.insert_invite(invite); });
  co_return code;
}

asio::awaitable<void> AuthService::disable_user(AccessClaims caller, std::string user_id) {
  auto admin = co_await require_admin(caller);
  auto target = co_await user(user_id);
  if (target.id == admin.id) core::throw_bad_request("administrators cannot disable themselves");
  co_await store_->run([&](AuthStore& store) { store.set_disabled(target.id, true); });
}

std::string AuthService::rotate_in(AuthStore& store, std::vector<SigningKey>& keys) {
  std::string kid;
  store.in_transaction([&] {
    std::lock_guard lock(random_mutex_);
    auto now = clock_.now_ms();
    KeyRing ring(store.signing_keys(), key_policy());
    auto rotation = ring.plan_rotation(now, random_, false);
    for (const auto& old : ring.expired(now)) store.delete_signing_key(old);
    for (const auto& retiring : rotation.retire_kids)
      store.retire_signing_key(retiring, rotation.retire_at_ms);
    store.insert_signing_key(rotation.key);
    kid = rotation.key.kid;
    keys = store.signing_keys();
  });
  return kid;
}

asio::awaitable<std::string> AuthService::rotate_keys() {
  std::string kid;
  std::vector<SigningKey> keys;
  co_await store_->run([&](AuthStore& store) { kid = rotate_in(store, keys); });
  install_keys(std::move(keys));
  co_return kid;
}

std::string AuthService::rotate_keys_blocking() {
  std::string kid;
  std::vector<SigningKey> keys;
  store_->run_blocking([&](AuthStore& store) { kid = rotate_in(store, keys); });
  install_keys(std::move(keys));
  return kid;
}

asio::awaitable<void> AuthService::reload_keys() {
  std::vector<SigningKey> keys;
  co_await store_->run([&](AuthStore& store) { keys = store.signing_keys(); });
  install_keys(std::move(keys));
}

std::string AuthService::jwks() const {
  std::lock_guard lock(keys_mutex_);
  return keys_->jwks(clock_.now_ms());
}

}  // namespace bartab::auth
