// The bot SDK's Client and Bot against a real `bartab up`: accounts, rooms, idempotent
// sends, history, the long poll, media, error codes, token renewal, and the Bot's
// handler-failure policy.
#include <gtest/gtest.h>
#include <bartab/sdk/bot.hpp>
#include <bartab/sdk/client.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "e2e/harness.hpp"
#include "support/temp_dir.hpp"

namespace bartab::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace sdk = bartab::sdk;
using namespace std::chrono_literals;

// Runs one coroutine to completion on `io` and returns its result (or throws its error).
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  auto result = asio::co_spawn(io, std::move(task), asio::use_future);
  io.restart();
  io.run();
  return result.get();
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto waiting = timer.async_wait(asio::use_awaitable);
  co_await std::move(waiting);
}

std::string base_url(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

// Expects `call` to throw ApiError with this status and code.
template <typename T>
void expect_api_error(asio::io_context& io, asio::awaitable<T> call, int status, const std::string& code) {
  try {
    run(io, std::move(call));
    ADD_FAILURE() << "expected ApiError " << status << " " << code;
  } catch (const sdk::ApiError& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

class SdkClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RunningServer({"--registration", "open", "--set", "ratelimit.register_per_hour=1000"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A signed-up user with a fresh name.
  std::unique_ptr<sdk::Client> user(const std::string& prefix) {
    auto client = std::make_unique<sdk::Client>(io_.get_executor(), base_url(server_->port));
    run(io_, client->register_user(prefix + std::to_string(counter_++), "correct horse"));
    return client;
  }

  static inline RunningServer* server_ = nullptr;
  static inline int counter_ = 0;
  asio::io_context io_;
};

TEST_F(SdkClient, RegistersLogsInAndReadsItsProfile) {
  sdk::Client client(io_.get_executor(), base_url(server_->port));
  auto name = "erin" + std::to_string(counter_++);
  auto registered = run(io_, client.register_user(name, "correct horse"));
  EXPECT_TRUE(registered.user_id.starts_with("usr_"));
  EXPECT_TRUE(registered.refresh_token.has_value());
  EXPECT_GT(registered.expires_at, std::chrono::system_clock::now());

  auto logged_in = run(io_, client.login(name, "correct horse"));
  EXPECT_EQ(logged_in.user_id, registered.user_id);
  EXPECT_NE(logged_in.access_token, registered.access_token);
  auto profile = run(io_, client.me());
  EXPECT_EQ(profile.user_id, registered.user_id);
  EXPECT_EQ(profile.username, name);
  EXPECT_EQ(profile.kind, "user");

  expect_api_error(io_, client.login(name, "wrong password"), 401, "unauthorized");
  expect_api_error(io_, client.register_user(name, "correct horse"), 409, "conflict");
}

TEST_F(SdkClient, CreatesJoinsListsAndLeavesRooms) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto room_id = run(io_, alice->create_room("Lobby", "public"));
  EXPECT_TRUE(room_id.starts_with("room_"));

  auto info = run(io_, alice->room(room_id));
  EXPECT_EQ(info.name, "Lobby");
  EXPECT_EQ(info.visibility, "public");
  EXPECT_EQ(info.membership, "join");
  bool listed = false;
  for (const auto& room : run(io_, bob->public_rooms())) listed = listed || room.room_id == room_id;
  EXPECT_TRUE(listed);

  run(io_, bob->join(room_id));
  EXPECT_EQ(run(io_, bob->rooms()).size(), 1u);
  EXPECT_EQ(run(io_, alice->members(room_id)).size(), 2u);
  run(io_, bob->leave(room_id));
  EXPECT_TRUE(run(io_, bob->rooms()).empty());

  auto secret = run(io_, alice->create_room("Secret", "private"));
  expect_api_error(io_, bob->join(secret), 403, "forbidden");
  run(io_, alice->invite(secret, bob->user_id()));
  run(io_, bob->join(secret));
  EXPECT_EQ(run(io_, bob->room(secret)).membership, "join");
}

TEST_F(SdkClient, SendsAreIdempotentByTxnIdAndReadBackInHistory) {
  auto alice = user("alice");
  auto room_id = run(io_, alice->create_room("Talk", "private"));
  json::object hello{{"body", "hello"}};
  auto first = run(io_, alice->send(room_id, "message", hello, "txn-1"));
  auto again = run(io_, alice->send(room_id, "message", hello, "txn-1"));
  EXPECT_EQ(again.event_id, first.event_id);
  EXPECT_EQ(again.seq, first.seq);
  auto other = run(io_, alice->send(room_id, "message", json::object{{"body", "second"}}));
  EXPECT_NE(other.event_id, first.event_id);
  EXPECT_EQ(other.seq, first.seq + 1);

  auto page = run(io_, alice->history(room_id, "b", std::nullopt, 2));
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].event_id, other.event_id);  // newest first
  EXPECT_EQ(page.events[1].content.at("body").as_string(), "hello");
  EXPECT_EQ(page.events[1].txn_id, "txn-1");
  ASSERT_TRUE(page.next.has_value());
  auto older = run(io_, alice->history(room_id, "b", page.next, 50));
  EXPECT_FALSE(older.next.has_value());
  EXPECT_EQ(older.events.back().seq, 1);

  auto redaction = run(io_, alice->redact(room_id, first.event_id, "oops"));
  auto redacted = run(io_, alice->event(room_id, first.event_id));
  EXPECT_TRUE(redacted.content.empty());
  EXPECT_EQ(redacted.redacted_by, redaction.event_id);
  EXPECT_EQ(run(io_, alice->receipt(room_id, other.event_id)), 0);
  run(io_, alice->typing(room_id, true, 5000ms));
}

TEST_F(SdkClient, ModerationStateProfilesBotsAndMediaManagement) {
  auto alice = user("mod-alice");
  auto bob = user("mod-bob");
  auto room_id = run(io_, alice->create_room("Moderated", "public"));
  run(io_, bob->join(room_id));
  auto topic = run(io_, alice->set_state(room_id, "topic", "be kind"));
  EXPECT_GT(topic.seq, 0);
  EXPECT_EQ(run(io_, bob->room(room_id)).topic, "be kind");
  expect_api_error(io_, bob->set_state(room_id, "topic", "mine now"), 403, "forbidden");
  run(io_, alice->moderate(room_id, "kick", bob->user_id(), "testing"));
  EXPECT_EQ(run(io_, bob->room(room_id)).membership, "leave");
  run(io_, alice->moderate(room_id, "ban", bob->user_id()));
  expect_api_error(io_, bob->join(room_id), 403, "forbidden");
  run(io_, alice->moderate(room_id, "unban", bob->user_id()));
  run(io_, bob->join(room_id));

  auto profile = run(io_, alice->update_profile(json::object{{"display_name", "Alice A."}}));
  EXPECT_EQ(profile.display_name, "Alice A.");
  auto seen = run(io_, bob->user(alice->user_id()));
  EXPECT_EQ(seen.at("display_name").as_string(), "Alice A.");
  EXPECT_EQ(run(io_, bob->user_by_name(profile.username)).at("user_id").as_string(), alice->user_id());
  expect_api_error(io_, bob->user_by_name("nobody-at-all"), 404, "not_found");

  auto helper = run(io_, alice->create_bot("mod-helper-bot"));
  auto listed = run(io_, alice->bots());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("user_id").as_string(), helper.user_id);
  run(io_, alice->delete_bot(helper.user_id));
  EXPECT_TRUE(run(io_, alice->bots()).empty());
  expect_api_error(io_, alice->create_invite(), 403, "forbidden");

  run(io_, alice->change_password("correct horse", "battery staple"));
  sdk::Client again(io_.get_executor(), base_url(server_->port));
  run(io_, again.login(profile.username, "battery staple"));

  auto media = run(io_, alice->upload("a note", "text/plain", "note.txt"));
  auto link = run(io_, alice->media_link(media.media_id, 60));
  EXPECT_NE(link.find("/v1/media/" + media.media_id + "?exp="), std::string::npos) << link;
  expect_api_error(io_, alice->thumbnail(media.media_id, 32, 32), 400, "bad_request");
  expect_api_error(io_, bob->delete_media(media.media_id), 403, "forbidden");
  run(io_, alice->delete_media(media.media_id));
  expect_api_error(io_, alice->download(media.media_id), 404, "not_found");
}

TEST_F(SdkClient, LongPollWakesOnASendFromAnotherCoroutine) {
  auto alice = user("alice");
  auto room_id = run(io_, alice->create_room("Wake", "private"));
  auto snapshot = run(io_, alice->sync(std::nullopt, 0ms));
  ASSERT_TRUE(snapshot.rooms.contains(room_id));
  EXPECT_EQ(snapshot.rooms.at(room_id).membership, "join");
  EXPECT_FALSE(snapshot.rooms.at(room_id).events.empty());

  // The poll waits on the sync connection while the send goes out on the other one.
  auto polled = asio::co_spawn(io_, alice->sync(snapshot.next, 20s), asio::use_future);
  auto sent = asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<sdk::SendResult> {
        auto pausing = sleep_for(200ms);
        co_await std::move(pausing);
        auto sending = alice->send(room_id, "message", json::object{{"body", "wake up"}});
        co_return co_await std::move(sending);
      },
      asio::use_future);
  io_.restart();
  io_.run();
  auto event_id = sent.get().event_id;
  auto woken = polled.get();
  ASSERT_TRUE(woken.rooms.contains(room_id));
  ASSERT_EQ(woken.rooms.at(room_id).events.size(), 1u);
  EXPECT_EQ(woken.rooms.at(room_id).events[0].event_id, event_id);
  EXPECT_NE(woken.next, snapshot.next);

  auto quiet = run(io_, alice->sync(woken.next, 0ms));
  EXPECT_TRUE(quiet.rooms.empty());
  EXPECT_EQ(quiet.next, woken.next);
}

TEST_F(SdkClient, UploadsAndDownloadsBytesAndFiles) {
  auto alice = user("alice");
  auto media = run(io_, alice->upload("hello, media", "text/plain", "hello.txt"));
  EXPECT_TRUE(media.media_id.starts_with("med_"));
  EXPECT_EQ(media.size, 12);
  EXPECT_EQ(media.sha256.size(), 64u);
  EXPECT_EQ(run(io_, alice->download(media.media_id)), "hello, media");

  TempDir dir;
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  std::mt19937 random(7);
  for (auto& c : bytes) c = static_cast<char>(random());
  auto source = dir.path() / "blob.bin";
  std::ofstream(source, std::ios::binary) << bytes;
  auto uploaded = run(io_, alice->upload_file(source, "application/octet-stream"));
  EXPECT_EQ(uploaded.size, static_cast<std::int64_t>(bytes.size()));
  auto target = dir.path() / "copy.bin";
  run(io_, alice->download_to_file(uploaded.media_id, target));
  std::ifstream in(target, std::ios::binary);
  std::string copy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(copy == bytes) << "the downloaded file differs (" << copy.size() << " bytes)";

  expect_api_error(io_, alice->download("med_doesnotexist"), 404, "not_found");
}

TEST_F(SdkClient, ErrorsCarryTheServersCode) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto room_id = run(io_, alice->create_room("Closed", "public"));
  expect_api_error(io_, bob->send(room_id, "message", json::object{{"body", "not a member"}}, "t"), 403,
                   "forbidden");
  expect_api_error(io_, alice->event(room_id, "evt_doesnotexist"), 404, "not_found");
  expect_api_error(io_, alice->send(room_id, "member", json::object{}, "t"), 400, "bad_request");
  sdk::Client anonymous(io_.get_executor(), base_url(server_->port));
  expect_api_error(io_, anonymous.rooms(), 401, "unauthorized");
  expect_api_error(io_, anonymous.login_bot("usr_nobody", "wrong"), 401, "invalid_client");
}

TEST_F(SdkClient, TransportErrorsWhenNobodyListens) {
  sdk::Client client(io_.get_executor(), "http://127.0.0.1:1");
  EXPECT_THROW(run(io_, client.login("someone", "correct horse")), sdk::TransportError);
  EXPECT_THROW(sdk::Client(io_.get_executor(), "https://example.com"), std::invalid_argument);
}

TEST_F(SdkClient, BotsSignInWithTheirApiKeyAndRenewWithIt) {
  auto alice = user("alice");
  auto credentials = run(io_, alice->create_bot("helper" + std::to_string(counter_++)));
  sdk::Client bot(io_.get_executor(), base_url(server_->port));
  auto session = run(io_, bot.login_bot(credentials.user_id, credentials.api_key));
  EXPECT_EQ(session.user_id, credentials.user_id);
  EXPECT_FALSE(session.refresh_token.has_value());
  EXPECT_EQ(run(io_, bot.me()).kind, "bot");

  // A rejected token (here: garbage the client believes valid) is renewed once with
  // the API key, and the call goes through.
  auto stale = session;
  stale.access_token = "not.a.token";
  bot.set_session(stale);
  EXPECT_EQ(run(io_, bot.me()).user_id, credentials.user_id);
  EXPECT_NE(bot.session()->access_token, "not.a.token");
}

TEST_F(SdkClient, UsersRenewOnceWithTheirRefreshTokenEvenWhenCallsRace) {
  int sessions_seen = 0;
  sdk::ClientOptions options;
  options.on_session = [&](const sdk::Session&) { ++sessions_seen; };
  sdk::Client client(io_.get_executor(), base_url(server_->port), options);
  auto session = run(io_, client.register_user("fay" + std::to_string(counter_++), "correct horse"));
  ASSERT_EQ(sessions_seen, 1);

  // Expired by the client's clock: two concurrent calls renew once (strict rotation
  // would revoke the session if the same refresh token were presented twice).
  auto expired = session;
  expired.expires_at = std::chrono::system_clock::now() - 1s;
  client.set_session(expired);
  auto first = asio::co_spawn(io_, client.me(), asio::use_future);
  auto second = asio::co_spawn(io_, client.rooms(), asio::use_future);
  io_.restart();
  io_.run();
  EXPECT_EQ(first.get().user_id, session.user_id);
  EXPECT_NO_THROW(second.get());
  EXPECT_EQ(sessions_seen, 2);
  EXPECT_NE(client.session()->refresh_token, session.refresh_token);

  // The old refresh token was rotated: presenting it again is reuse, and revokes.
  client.set_session(expired);
  expect_api_error(io_, client.me(), 400, "invalid_grant");
}

// Tokens that really expire: lifetime 10 s (the smallest allowed) and no leeway.
TEST(SdkTokenExpiry, CallsKeepWorkingPastTheAccessTokenLifetime) {
  RunningServer server(
      {"--registration", "open", "--set", "auth.access_token_ttl=10", "--set", "tokens.leeway=0"});
  asio::io_context io;
  sdk::Client client(io.get_executor(), base_url(server.port));
  auto session = run(io, client.register_user("gus", "correct horse"));
  EXPECT_LE(session.lifetime, 10s);
  // Make the client believe the token lasts, so the server's 401 drives the renewal.
  auto believed = session;
  believed.expires_at = std::chrono::system_clock::now() + 1h;
  client.set_session(believed);
  std::this_thread::sleep_for(11s);
  EXPECT_EQ(run(io, client.me()).user_id, session.user_id);
  EXPECT_NE(client.session()->access_token, session.access_token);
  // And renewed before expiry by the client's own clock: no 401 needed.
  auto renewed = client.session()->access_token;
  auto expiring = *client.session();
  expiring.expires_at = std::chrono::system_clock::now() + 1s;
  client.set_session(expiring);
  EXPECT_EQ(run(io, client.rooms()).size(), 0u);
  EXPECT_NE(client.session()->access_token, renewed);
}

// The Bot's policy: a handler that throws (a poison event) is logged and skipped, the
// next event is still handled, and the bot ignores its own replies.
TEST_F(SdkClient, BotSkipsAPoisonEventAndIgnoresItsOwnReplies) {
  auto alice = user("alice");
  auto room_id = run(io_, alice->create_room("Bots", "public"));
  auto credentials = run(io_, alice->create_bot("poison" + std::to_string(counter_++)));
  sdk::Client bot_client(io_.get_executor(), base_url(server_->port));
  run(io_, bot_client.login_bot(credentials.user_id, credentials.api_key));
  run(io_, bot_client.join(room_id));

  std::vector<std::string> logged;
  std::vector<std::string> seen;
  sdk::BotOptions options;
  options.poll_timeout = 5s;
  options.log = [&](const std::string& line) { logged.push_back(line); };
  auto positions = std::make_shared<sdk::MemoryPositionStore>();
  sdk::Bot bot(bot_client, positions, options);
  // After "last", the bot keeps polling for a second: long enough to receive its own
  // replies, which it must not handle.
  auto stop_soon = [&]() -> asio::awaitable<void> {
    auto pausing = sleep_for(1000ms);
    co_await std::move(pausing);
    bot.stop();
  };
  bot.on_message([&](sdk::Context& context, const sdk::Event& event) -> asio::awaitable<void> {
    auto body = std::string(event.content.at("body").as_string());
    seen.push_back(body);
    if (body == "poison") throw std::runtime_error("cannot digest this");
    auto replying = context.reply_text("ok: " + body);
    co_await std::move(replying);
    if (body == "last") asio::co_spawn(io_, stop_soon, asio::detached);
  });
  bot.on_ready([&] {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          for (const char* body : {"poison", "middle", "last"}) {
            auto sending = alice->send(room_id, "message", json::object{{"body", body}});
            co_await std::move(sending);
          }
        },
        asio::detached);
  });
  run(io_, bot.run());

  EXPECT_EQ(seen, (std::vector<std::string>{"poison", "middle", "last"}));  // not its own replies
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("cannot digest this"), std::string::npos) << logged[0];
  ASSERT_TRUE(positions->load().has_value());
  auto page = run(io_, alice->history(room_id, "b", std::nullopt, 1));
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.events[0].content.at("body").as_string(), "ok: last");
  EXPECT_EQ(page.events[0].txn_id, std::nullopt);  // alice reads it: txn_ids are the sender's
}

}  // namespace
}  // namespace bartab::testing
