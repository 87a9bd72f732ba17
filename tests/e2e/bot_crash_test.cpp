// Crash test for the bot SDK's delivery guarantee. `bartab-echo-bot` answers every
// message in a public room with "echo: <body>" as a reply to it. While a user sends 500
// messages as fast as four connections allow, the bot is SIGKILLed twice mid-burst and
// restarted each time on the same position file. The test proves that, once the bot
// has caught up, every message has exactly one echo: none missing (the position is
// saved only after a batch is handled) and none twice (a batch handled again after a
// kill sends its replies with the same derived txn_ids, which the server deduplicates).
#include <gtest/gtest.h>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.hpp"
#include "support/temp_dir.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kMessages = 500;
constexpr int kSenders = 4;                   // message k is sent by sender k % kSenders
constexpr int kKillAfterSent[] = {120, 300};  // SIGKILL the bot when this many are sent
constexpr auto kCatchUpDeadline = 60s;        // for every echo to be there at the end
constexpr auto kBotReadyDeadline = 30s;

json::value expect_json(const Reply& reply, unsigned status, const std::string& what) {
  if (reply.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " +
                             std::to_string(reply.status) + ": " + reply.body);
  }
  return json::parse(reply.body);
}

Reply call(std::uint16_t port, const std::string& token, const std::string& method, const std::string& target,
           const json::value& body = nullptr) {
  Headers headers{{"Authorization", "Bearer " + token}};
  if (body.is_null()) return http(port, method, target, headers);
  headers.emplace_back("Content-Type", "application/json");
  return http(port, method, target, headers, json::serialize(body));
}

// The echo bot as a process, restartable on the same position file.
class EchoBot {
 public:
  EchoBot(std::uint16_t port, std::string bot_id, std::string api_key, std::string room,
          std::filesystem::path state)
      : args_{"--url",     "http://127.0.0.1:" + std::to_string(port),
              "--bot-id",  std::move(bot_id),
              "--api-key", std::move(api_key),
              "--state",   state.string(),
              "--join",    std::move(room)} {}

  void start() {
    process_ = std::make_unique<BartabProcess>(args_, std::vector<std::string>{}, ECHO_BOT_BINARY);
    if (!process_->wait_for_output("echo bot ready as ", kBotReadyDeadline))
      throw std::runtime_error("the echo bot did not get ready; output:\n" + process_->output());
  }

  void kill_hard() {
    process_->send_signal(SIGKILL);
    auto ended = process_->wait_exit(10s);
    EXPECT_EQ(ended.signal, SIGKILL) << "the bot should have been running until killed:\n" << output();
    all_output_ += process_->final_output(2s);
    process_.reset();
  }

  // SIGTERM: the bot stops its poll and exits 0.
  ExitStatus stop() {
    process_->send_signal(SIGTERM);
    auto ended = process_->wait_exit(10s);
    all_output_ += process_->final_output(2s);
    process_.reset();
    return ended;
  }

  std::string output() const { return all_output_ + (process_ ? process_->output() : ""); }

 private:
  std::vector<std::string> args_;
  std::unique_ptr<BartabProcess> process_;
  std::string all_output_;
};

// The room's whole history, oldest first.
std::vector<json::object> read_history(std::uint16_t port, const std::string& token,
                                       const std::string& room) {
  std::vector<json::object> events;
  std::string from;
  for (int page = 0; page < 100; ++page) {
    auto target = "/v1/rooms/" + room + "/events?dir=f&limit=500" + (from.empty() ? "" : "&from=" + from);
    auto body = expect_json(call(port, token, "GET", target), 200, "history");
    for (const auto& e : body.at("events").as_array()) events.push_back(e.as_object());
    const auto* next = body.as_object().if_contains("next");
    if (next == nullptr) return events;
    from = std::string(next->as_string());
  }
  throw std::runtime_error("history did not end after 100 pages");
}

struct RoomLog {
  std::map<std::string, std::string> originals;            // event_id -> body, the user's messages
  std::map<std::string, std::vector<std::string>> echoes;  // reply_to -> bodies of the bot's replies
  std::size_t echo_count = 0;
};

RoomLog index_room(const std::vector<json::object>& events, const std::string& user_id,
                   const std::string& bot_id) {
  RoomLog log;
  for (const auto& e : events) {
    if (e.at("type").as_string() != "message") continue;
    const auto& content = e.at("content").as_object();
    auto body = std::string(content.at("body").as_string());
    if (e.at("sender").as_string() == user_id)
      log.originals[std::string(e.at("event_id").as_string())] = body;
    if (e.at("sender").as_string() != bot_id) continue;
    ++log.echo_count;
    const auto* reply_to = content.if_contains("reply_to");
    log.echoes[reply_to != nullptr && reply_to->is_string() ? std::string(reply_to->as_string()) : ""]
        .push_back(body);
  }
  return log;
}

// Sends messages k = first, first + kSenders, ... on its own connections; counts them.
void send_share(std::uint16_t port, const std::string& token, const std::string& room, int first,
                std::atomic<int>& sent, std::vector<std::string>& failures) {
  for (int k = first; k < kMessages; k += kSenders) {
    auto txn = "burst-" + std::to_string(k);
    json::object body{{"type", "message"}, {"content", {{"body", "message " + std::to_string(k)}}}};
    auto reply = call(port, token, "PUT", "/v1/rooms/" + room + "/send/" + txn, body);
    if (reply.status != 200) failures.push_back(txn + ": " + std::to_string(reply.status) + " " + reply.body);
    ++sent;
  }
}

bool wait_until_sent(const std::atomic<int>& sent, int count) {
  auto deadline = Clock::now() + 60s;
  while (sent.load() < count) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(EchoBotCrash, EveryMessageGetsExactlyOneEchoThroughSigkills) {
  auto started = Clock::now();
  TempDir data;
  TempDir bot_dir;
  UpOnDirectory server(data.path());
  auto port = server.port();

  json::object credentials{{"username", "crashuser"}, {"password", "correct horse"}};
  auto user = expect_json(http(port, "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                               json::serialize(credentials)),
                          201, "register");
  auto token = std::string(user.at("access_token").as_string());
  auto user_id = std::string(user.at("user_id").as_string());
  auto room = std::string(expect_json(call(port, token, "POST", "/v1/rooms",
                                           json::object{{"name", "echo"}, {"visibility", "public"}}),
                                      201, "create room")
                              .at("room_id")
                              .as_string());
  auto bot = expect_json(call(port, token, "POST", "/v1/auth/bots", json::object{{"username", "echo-bot"}}),
                         201, "create bot");
  auto bot_id = std::string(bot.at("user_id").as_string());

  EchoBot echo_bot(port, bot_id, std::string(bot.at("api_key").as_string()), room,
                   bot_dir.path() / "position");
  echo_bot.start();

  std::atomic<int> sent{0};
  std::vector<std::vector<std::string>> failures(kSenders);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s)
    senders.emplace_back([&, s] { send_share(port, token, room, s, sent, failures[s]); });

  std::vector<std::size_t> echoes_at_kill;
  for (int threshold : kKillAfterSent) {
    ASSERT_TRUE(wait_until_sent(sent, threshold)) << "sending stalled at " << sent.load();
    echo_bot.kill_hard();
    echoes_at_kill.push_back(index_room(read_history(port, token, room), user_id, bot_id).echo_count);
    echo_bot.start();
  }
  for (auto& t : senders) t.join();
  auto sending_done = Clock::now();
  for (const auto& share : failures) EXPECT_TRUE(share.empty()) << share.front();

  // Wait (bounded) for the restarted bot to catch up with the whole burst.
  RoomLog log;
  auto deadline = Clock::now() + kCatchUpDeadline;
  do {
    log = index_room(read_history(port, token, room), user_id, bot_id);
    if (log.echoes.size() >= kMessages || log.echo_count >= kMessages) break;
    std::this_thread::sleep_for(250ms);
  } while (Clock::now() < deadline);
  // A little longer: a duplicate could still be on its way.
  std::this_thread::sleep_for(500ms);
  log = index_room(read_history(port, token, room), user_id, bot_id);

  ASSERT_EQ(log.originals.size(), static_cast<std::size_t>(kMessages));
  std::vector<std::string> missing, duplicated, wrong_body;
  for (const auto& [event_id, body] : log.originals) {
    auto found = log.echoes.find(event_id);
    if (found == log.echoes.end()) {
      missing.push_back(event_id + " (" + body + ")");
      continue;
    }
    if (found->second.size() != 1)
      duplicated.push_back(body + " echoed " + std::to_string(found->second.size()) + " times");
    for (const auto& echo : found->second) {
      if (echo != "echo: " + body) wrong_body.push_back(body + " -> " + echo);
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " messages have no echo, first: " << missing.front();
  EXPECT_TRUE(duplicated.empty()) << duplicated.size()
                                  << " messages echoed more than once, first: " << duplicated.front();
  EXPECT_TRUE(wrong_body.empty()) << wrong_body.size()
                                  << " echoes with the wrong body, first: " << wrong_body.front();
  EXPECT_EQ(log.echo_count, static_cast<std::size_t>(kMessages)) << "echoes of nothing the user sent";

  auto ended = echo_bot.stop();
  EXPECT_TRUE(ended.exited && ended.code == 0) << "SIGTERM should end the bot cleanly:\n"
                                               << echo_bot.output();

  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "[EchoBotCrash] " << kMessages << " messages, " << echoes_at_kill.size()
            << " kills (echoes at kill:";
  for (auto n : echoes_at_kill) std::cout << " " << n;
  std::cout << "), sending took " << seconds(sending_done - started) << " s, all "
            << seconds(Clock::now() - started) << " s\n";
}

}  // namespace
}  // namespace bartab::testing
