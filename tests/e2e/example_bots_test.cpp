// The example programs in sdk/examples/ against a real `bartab up`: the command bot
// answers !help and !roll, and the webhook bridge turns HTTP POSTs into messages
// (idempotently with Idempotency-Key) and refuses what it should.
#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string program(const std::string& name) {
  return (fs::path(BARTAB_BINARY).parent_path() / name).string();
}

class ExampleBots : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RunningServer({"--registration", "open"});
    auto reply = http(server_->port, "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                      R"({"username":"owner","password":"correct horse"})");
    token_ = new std::string(json::parse(reply.body).at("access_token").as_string());
  }
  static void TearDownTestSuite() {
    delete token_;
    delete server_;
    server_ = nullptr;
  }

  static Reply call(const std::string& method, const std::string& target, const json::value& body = nullptr) {
    Headers headers{{"Authorization", "Bearer " + *token_}};
    if (body.is_null()) return http(server_->port, method, target, headers);
    headers.emplace_back("Content-Type", "application/json");
    return http(server_->port, method, target, headers, json::serialize(body));
  }

  static std::string public_room() {
    auto reply = call("POST", "/v1/rooms", json::object{{"name", "Examples"}, {"visibility", "public"}});
    return std::string(json::parse(reply.body).at("room_id").as_string());
  }

  // A bot account: {user_id, api_key}.
  static std::pair<std::string, std::string> bot(const std::string& username) {
    auto reply = call("POST", "/v1/auth/bots", json::object{{"username", username}});
    auto parsed = json::parse(reply.body);
    return {std::string(parsed.at("user_id").as_string()), std::string(parsed.at("api_key").as_string())};
  }

  static std::string say(const std::string& room, const std::string& body) {
    static int txn = 0;
    auto reply = call("PUT", "/v1/rooms/" + room + "/send/t" + std::to_string(++txn),
                      json::object{{"type", "message"}, {"content", {{"body", body}}}});
    return std::string(json::parse(reply.body).at("event_id").as_string());
  }

  // The room's messages, oldest first.
  static json::array messages(const std::string& room) {
    auto page = json::parse(call("GET", "/v1/rooms/" + room + "/events?dir=f&limit=500").body);
    json::array out;
    for (const auto& e : page.at("events").as_array()) {
      if (e.at("type").as_string() == "message") out.push_back(e);
    }
    return out;
  }

  // The body of the reply to `event_id`, waiting up to 10 s.
  static std::string reply_to(const std::string& room, const std::string& event_id) {
    for (int i = 0; i < 100; ++i) {
      for (const auto& m : messages(room)) {
        const auto* to = m.at("content").as_object().if_contains("reply_to");
        if (to != nullptr && to->as_string() == event_id)
          return std::string(m.at("content").at("body").as_string());
      }
      std::this_thread::sleep_for(100ms);
    }
    return "<no reply>";
  }

  static inline RunningServer* server_ = nullptr;
  static inline std::string* token_ = nullptr;
};

TEST_F(ExampleBots, TheCommandBotAnswersHelpAndRollsDice) {
  auto room = public_room();
  auto [bot_id, api_key] = bot("dice-bot");
  TempDir state;
  BartabProcess command_bot(
      {"--url", "http://127.0.0.1:" + std::to_string(server_->port), "--bot-id", bot_id, "--api-key", api_key,
       "--join", room, "--state", (state.path() / "pos").string()},
      {}, program("bartab-command-bot"));
  ASSERT_TRUE(command_bot.wait_for_output("command bot ready", 10s)) << command_bot.output();

  EXPECT_NE(reply_to(room, say(room, "!help")).find("!roll NdM"), std::string::npos);
  auto rolled = reply_to(room, say(room, "!roll 2d6"));
  std::smatch dice;
  ASSERT_TRUE(std::regex_match(rolled, dice, std::regex(R"(2d6: ([1-6]) \+ ([1-6]) = (\d+))"))) << rolled;
  EXPECT_EQ(std::stoi(dice[1]) + std::stoi(dice[2]), std::stoi(dice[3]));
  EXPECT_EQ(reply_to(room, say(room, "!roll 0d6")).rfind("usage: !roll NdM", 0), 0u);
  auto plain = say(room, "just chatting");
  say(room, "!help");  // answered after the plain message, so the bot has seen it
  std::this_thread::sleep_for(500ms);
  for (const auto& m : messages(room)) {
    const auto* to = m.at("content").as_object().if_contains("reply_to");
    EXPECT_FALSE(to != nullptr && to->as_string() == plain) << "only commands are answered";
  }
}

class WebhookBridge : public ExampleBots {
 protected:
  void SetUp() override {
    room_ = public_room();
    auto [bot_id, api_key] = bot("hook-bot-" + std::to_string(++count_));
    bridge_ = std::make_unique<BartabProcess>(
        std::vector<std::string>{"--url", "http://127.0.0.1:" + std::to_string(server_->port), "--bot-id",
                                 bot_id, "--api-key", api_key, "--room", room_, "--listen", "127.0.0.1:0",
                                 "--secret", "s3cret"},
        std::vector<std::string>{}, program("bartab-webhook-bridge"));
    std::smatch port;
    std::string out;
    static const std::regex line(R"(listening on 127\.0\.0\.1:(\d+)\n)");
    for (int i = 0; i < 200 && !std::regex_search(out, port, line); ++i) {
      bridge_->wait_for_output("listening on", 50ms);
      out = bridge_->output();
    }
    ASSERT_TRUE(std::regex_search(out, port, line)) << out;
    port_ = static_cast<std::uint16_t>(std::stoi(port[1]));
  }

  Reply hook(const std::string& body, Headers headers = {}, const std::string& method = "POST",
             const std::string& target = "/hook") {
    headers.emplace_back("Authorization", "Bearer s3cret");
    return http(port_, method, target, headers, body);
  }

  std::string room_;
  std::uint16_t port_ = 0;
  std::unique_ptr<BartabProcess> bridge_;
  static inline int count_ = 0;
};

TEST_F(WebhookBridge, PostsTextAndJsonBodiesIntoTheRoom) {
  auto text = hook("deploy finished", {{"Content-Type", "text/plain"}});
  ASSERT_EQ(text.status, 200u) << text.body;
  auto event_id = std::string(json::parse(text.body).at("event_id").as_string());
  auto as_json = hook(R"({"text":"build 42 is green"})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(as_json.status, 200u) << as_json.body;
  auto posted = messages(room_);
  ASSERT_EQ(posted.size(), 2u);
  EXPECT_EQ(posted[0].at("event_id").as_string(), event_id);
  EXPECT_EQ(posted[0].at("content").at("body").as_string(), "deploy finished");
  EXPECT_EQ(posted[1].at("content").at("body").as_string(), "build 42 is green");
}

TEST_F(WebhookBridge, AnIdempotencyKeyPostsARetriedWebhookOnce) {
  auto first = hook("alert: disk 91%", {{"Idempotency-Key", "alert-7"}});
  auto retried = hook("alert: disk 91%", {{"Idempotency-Key", "alert-7"}});
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(first.body, retried.body) << "the same event both times";
  EXPECT_EQ(messages(room_).size(), 1u);
  EXPECT_EQ(hook("other", {{"Idempotency-Key", "bad key!"}}).status, 400u);
}

TEST_F(WebhookBridge, RefusesWhatItShould) {
  EXPECT_EQ(http(port_, "POST", "/hook", {}, "no secret").status, 401u);
  EXPECT_EQ(http(port_, "POST", "/hook", {{"Authorization", "Bearer wrong"}}, "wrong secret").status, 401u);
  EXPECT_EQ(hook("", {}).status, 400u);
  EXPECT_EQ(hook(R"({"text":""})", {{"Content-Type", "application/json"}}).status, 400u);
  EXPECT_EQ(hook("{not json", {{"Content-Type", "application/json"}}).status, 400u);
  EXPECT_EQ(hook("x", {}, "GET").status, 405u);
  EXPECT_EQ(hook("x", {}, "POST", "/elsewhere").status, 404u);
  EXPECT_EQ(hook(std::string(70 * 1024, 'x'), {}).status, 413u);
  EXPECT_TRUE(messages(room_).empty());
}

}  // namespace
}  // namespace bartab::testing
