// One suite every AuthStore implementation must pass. It talks to the store only
// through StoreRunner, so the Postgres implementation joins by adding a factory to
// kEngines below.
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include "services/auth/store/store_runner.hpp"

namespace bartab::auth {
namespace {

struct Engine {
  const char* name;
  std::function<std::unique_ptr<StoreRunner>(const std::string& scratch)> open;
};

const Engine kEngines[] = {
    {"sqlite", [](const std::string& scratch) { return open_sqlite_store(scratch + "/auth.db"); }},
};

class AuthStoreConformance : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { runner_ = GetParam().open(scratch_.path().string()); }
  void TearDown() override { runner_.reset(); }
  void with(const std::function<void(AuthStore&)>& work) { runner_->run_blocking(work); }

  static User person(const std::string& id, const std::string& name) {
    User u;
    u.id = id;
    u.username = name;
    u.display_name = name;
    u.password_hash = "$argon2id$fake";
    u.scopes = "chat media";
    u.created_ms = 1;
    return u;
  }

  testing::TempDir scratch_;
  std::unique_ptr<StoreRunner> runner_;
};

TEST_P(AuthStoreConformance, UsersAreUniqueByUsername) {
  with([](AuthStore& s) {
    EXPECT_TRUE(s.insert_user(person("usr_a", "alice")));
    EXPECT_FALSE(s.insert_user(person("usr_b", "alice")));
    auto alice = s.user_by_username("alice");
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->id, "usr_a");
    EXPECT_EQ(alice->password_hash, "$argon2id$fake");
    EXPECT_FALSE(s.user_by_id("usr_b"));
    EXPECT_FALSE(s.any_admin());
  });
}

TEST_P(AuthStoreConformance, ProfilesFlagsAndBots) {
  with([](AuthStore& s) {
    auto admin = person("usr_a", "alice");
    admin.admin = true;
    s.insert_user(admin);
    EXPECT_TRUE(s.any_admin());
    s.update_profile("usr_a", "Alice A.", std::string("med_1"));
    s.set_password_hash("usr_a", "$new");
    s.set_disabled("usr_a", true);
    auto a = *s.user_by_id("usr_a");
    EXPECT_EQ(a.display_name, "Alice A.");
    EXPECT_EQ(a.avatar, "med_1");
    EXPECT_EQ(a.password_hash, "$new");
    EXPECT_TRUE(a.disabled);
    s.update_profile("usr_a", "Alice", std::nullopt);
    EXPECT_FALSE(s.user_by_id("usr_a")->avatar);

    for (auto [id, name] : {std::pair{"usr_b1", "bot-one"}, std::pair{"usr_b2", "bot-two"}}) {
      auto bot = person(id, name);
      bot.kind = "bot";
      bot.password_hash.reset();
      bot.owner_id = "usr_a";
      bot.api_key_hash = "hash";
      bot.bot_session_id = std::string("ses_") + id;
      s.insert_user(bot);
    }
    EXPECT_EQ(s.bots_of("usr_a").size(), 2u);
    s.mark_deleted("usr_b1");
    auto bots = s.bots_of("usr_a");
    ASSERT_EQ(bots.size(), 1u);
    EXPECT_EQ(bots[0].id, "usr_b2");
    EXPECT_EQ(bots[0].bot_session_id, "ses_usr_b2");
    auto deleted = *s.user_by_id("usr_b1");
    EXPECT_TRUE(deleted.deleted);
    EXPECT_FALSE(deleted.api_key_hash) << "a deleted bot's key is gone";
  });
}

TEST_P(AuthStoreConformance, RefreshTokensRotateExactlyOnce) {
  with([](AuthStore& s) {
    s.insert_user(person("usr_a", "alice"));
    s.insert_session({"ses_1", "usr_a", false, 1});
    s.insert_refresh_token({"h1", "ses_1", false, 1, 100});
    EXPECT_TRUE(s.mark_rotated("h1"));
    EXPECT_FALSE(s.mark_rotated("h1")) << "the second rotation of one token loses";
    EXPECT_FALSE(s.mark_rotated("nope"));
    EXPECT_TRUE(s.refresh_token("h1")->rotated);
    EXPECT_EQ(s.refresh_token("h1")->expires_ms, 100);
  });
}

TEST_P(AuthStoreConformance, SessionsAreRevokedOneOrAllButOne) {
  with([](AuthStore& s) {
    s.insert_user(person("usr_a", "alice"));
    for (auto id : {"ses_1", "ses_2", "ses_3"}) s.insert_session({id, "usr_a", false, 1});
    s.revoke_session("ses_1");
    EXPECT_TRUE(s.session("ses_1")->revoked);
    EXPECT_FALSE(s.session("ses_2")->revoked);
    s.revoke_sessions_except("usr_a", "ses_2");
    EXPECT_FALSE(s.session("ses_2")->revoked);
    EXPECT_TRUE(s.session("ses_3")->revoked);
    EXPECT_FALSE(s.session("ses_9"));
  });
}

TEST_P(AuthStoreConformance, InvitesAreSingleUse) {
  with([](AuthStore& s) {
    s.insert_invite({"i1", std::nullopt, true, 1, 100, std::nullopt});
    s.insert_invite({"i2", std::string("usr_a"), false, 1, 100, std::nullopt});
    EXPECT_TRUE(s.use_invite("i2", "usr_b"));
    EXPECT_FALSE(s.use_invite("i2", "usr_c"));
    EXPECT_EQ(s.invite("i2")->used_by, "usr_b");
    s.delete_unused_admin_invites();
    EXPECT_FALSE(s.invite("i1"));
    EXPECT_TRUE(s.invite("i2")) << "used and non-admin invites stay";
  });
}

TEST_P(AuthStoreConformance, SigningKeysComeOldestFirstAndRetireOnce) {
  with([](AuthStore& s) {
    SigningKey a;
    a.kid = "ka";
    a.secret_key.fill(1);
    a.public_key.fill(2);
    a.created_ms = 10;
    a.sign_from_ms = 10;
    SigningKey b = a;
    b.kid = "kb";
    b.sign_from_ms = 20;
    s.insert_signing_key(b);
    s.insert_signing_key(a);
    auto keys = s.signing_keys();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].kid, "ka");
    EXPECT_EQ(keys[0].secret_key, a.secret_key);
    EXPECT_EQ(keys[0].public_key, a.public_key);
    s.retire_signing_key("ka", 20);
    s.retire_signing_key("ka", 99);
    EXPECT_EQ(s.signing_keys()[0].retired_ms, 20) << "the first retirement holds";
    s.delete_signing_key("ka");
    EXPECT_EQ(s.signing_keys().size(), 1u);
  });
}

TEST_P(AuthStoreConformance, TransactionsAreAllOrNothing) {
  EXPECT_THROW(with([](AuthStore& s) {
                 s.in_transaction([&] {
                   s.insert_user(person("usr_a", "alice"));
                   throw std::runtime_error("abort");
                 });
               }),
               std::runtime_error);
  with([](AuthStore& s) {
    EXPECT_FALSE(s.user_by_id("usr_a"));
    s.in_transaction([&] {
      s.in_transaction([&] { s.insert_user(person("usr_a", "alice")); });  // nested joins the outer
      s.insert_user(person("usr_b", "bob"));
    });
    EXPECT_TRUE(s.user_by_id("usr_a"));
    EXPECT_TRUE(s.user_by_id("usr_b"));
  });
  EXPECT_TRUE(runner_->check().ok);
}

TEST_P(AuthStoreConformance, DataSurvivesReopening) {
  with([](AuthStore& s) { s.insert_user(person("usr_a", "alice")); });
  runner_.reset();
  runner_ = GetParam().open(scratch_.path().string());
  with([](AuthStore& s) { EXPECT_TRUE(s.user_by_username("alice")); });
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthStoreConformance, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bartab::auth
