// Crash test for chat sends. Eight clients (four users, two sessions each, two rooms)
// send concurrently while the server is SIGKILLed four times, each time restarted on
// the same data directory. A client retries every unanswered send (connection refused
// or reset, timeout, 5xx) with the same txn_id and token until it gets an answer,
// across the restarts, as a real client would. The test proves that:
//   - an acknowledged send is durable: after the crashes the history holds it exactly
//     once, with the acknowledged event_id and seq;
//   - retries never append twice: the txn_id deduplication per (session, room, txn_id)
//     is persistent, so a send in flight at the kill and retried after the restart is
//     in the log once, and a retry of an acknowledged txn_id after the restarts returns
//     the identical {event_id, seq};
//   - each room's seq stays gapless (1..N, no duplicates) through the crashes;
//   - access tokens outlive a restart (the signing keys persist in the data directory).
#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kUsers = 4;
constexpr int kSenders = 8;  // sender s is user s / 2, in room s % 2, with its own session
constexpr int kRooms = 2;
constexpr int kMessagesPerSender = 150;
// SIGKILL the server each time the acknowledged sends pass one of these counts.
constexpr std::size_t kKillAfterAcks[] = {200, 450, 700, 950};
constexpr auto kGiveUpRetryingAfter = 30s;  // per send; generous for sanitizer builds
constexpr auto kRequestTimeout = 5s;
// Fixed, so the tokens' `iss` (server.public_url, by default the bound address) does
// not change with the port the restarted server gets.
constexpr const char* kPublicUrl = "http://bartab.crash.test";

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- the server under test ------------------------------------------------------

// `bartab up` on a data directory that outlives each process, so it can be killed and
// started again on the same data. `port()` is 0 while the server is down; clients read
// it before every attempt and so follow the server to its new port.
class CrashableServer {
 public:
  void start() {
    process_ = std::make_unique<BartabProcess>(
        std::vector<std::string>{"up", "--port", "0", "--host", "127.0.0.1", "--data", data_.path().string(),
                                 "--registration", "open", "--set", "ratelimit.register_per_hour=1000",
                                 "--set", std::string("server.public_url=") + kPublicUrl});
    auto port = process_->wait_listening();
    wait_ready(port);
    port_.store(port);
  }

  // Takes the server down without any chance to clean up; returns how it ended.
  ExitStatus kill_hard() {
    port_.store(0);
    process_->send_signal(SIGKILL);
    auto status = process_->wait_exit(10s);
    last_output_ = process_->final_output(2s);
    all_output_ += last_output_;
    process_.reset();
    return status;
  }

  std::uint16_t port() const { return port_.load(); }
  std::string output() const { return process_ ? process_->output() : last_output_; }
  // What every process so far wrote, the running one included.
  std::string all_output() const { return all_output_ + (process_ ? process_->output() : ""); }

 private:
  void wait_ready(std::uint16_t port) {
    auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      try {
        if (http(port, "GET", "/readyz").status == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("bartab did not become ready; output:\n" + process_->output());
  }

  TempDir data_;
  std::unique_ptr<BartabProcess> process_;
  std::atomic<std::uint16_t> port_{0};
  std::string last_output_;
  std::string all_output_;
};

// --- accounts, rooms and requests -------------------------------------------------

struct Sender {
  std::string name;  // prefix of its txn_ids
  std::string user_id;
  std::string token;  // one session
  std::string room_id;
};

json::value parse_or_fail(const Reply& reply, unsigned expected_status, const std::string& what) {
  if (reply.status != expected_status) {
    throw std::runtime_error(what + ": expected " + std::to_string(expected_status) + ", got " +
                             std::to_string(reply.status) + ": " + reply.body);
  }
  return json::parse(reply.body);
}

Reply post_json(std::uint16_t port, const std::string& target, const json::object& body,
                const std::string& token = {}) {
  Headers headers{{"Content-Type", "application/json"}};
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return http(port, "POST", target, headers, json::serialize(body));
}

Reply get_with(std::uint16_t port, const std::string& target, const std::string& token) {
  return http(port, "GET", target, {{"Authorization", "Bearer " + token}});
}

// Two sessions per user: the one registration opens and one from a login.
std::vector<Sender> sign_up_senders(std::uint16_t port) {
  std::vector<Sender> senders;
  for (int u = 0; u < kUsers; ++u) {
    json::object credentials{{"username", "crash" + std::to_string(u)}, {"password", "correct horse"}};
    auto registered = parse_or_fail(post_json(port, "/v1/auth/register", credentials), 201, "register");
    auto logged_in = parse_or_fail(post_json(port, "/v1/auth/login", credentials), 200, "login");
    for (const auto* session : {&registered, &logged_in}) {
      auto s = static_cast<int>(senders.size());
      senders.push_back({"s" + std::to_string(s),
                         std::string(registered.at("user_id").as_string()),
                         std::string(session->at("access_token").as_string()),
                         {}});
    }
  }
  return senders;
}

// Public rooms every user joins; sender s writes to room s % 2.
std::vector<std::string> create_rooms_and_join(std::uint16_t port, std::vector<Sender>& senders) {
  std::vector<std::string> rooms;
  for (int r = 0; r < kRooms; ++r) {
    json::object room{{"name", "crash room " + std::to_string(r)}, {"visibility", "public"}};
    auto created = parse_or_fail(post_json(port, "/v1/rooms", room, senders[0].token), 201, "create room");
    rooms.emplace_back(created.at("room_id").as_string());
  }
  for (int s = 0; s < kSenders; ++s) {
    senders[s].room_id = rooms[s % kRooms];
    parse_or_fail(post_json(port, "/v1/rooms/" + senders[s].room_id + "/join", {}, senders[s].token), 200,
                  "join");
  }
  return rooms;
}

std::string txn_id_of(const Sender& sender, int message) {
  return sender.name + "-m" + std::to_string(message);
}

// One attempt at a send whose body names its txn_id; nothing when the connection
// failed or timed out.
std::optional<Reply> try_send(std::uint16_t port, const Sender& sender, const std::string& txn_id) {
  try {
    TestClient client(port, kRequestTimeout);
    json::object body{{"type", "message"}, {"content", {{"body", txn_id}}}};
    return client.request("PUT", "/v1/rooms/" + sender.room_id + "/send/" + txn_id,
                          {{"Authorization", "Bearer " + sender.token}, {"Content-Type", "application/json"}},
                          json::serialize(body));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct Progress {
  std::atomic<std::size_t> acks{0};
  std::atomic<int> senders_done{0};
  std::atomic<bool> stop{false};  // the test is ending early: give up at the next retry
};

struct SendOutcome {
  std::optional<Reply> reply;  // the first answer that is not a 5xx; none if we gave up
  int failed_attempts = 0;
  std::int64_t first_attempt_ms = 0;  // wall clock, as the server's `ts`
};

// Retries the same txn_id with the same token until the server answers, following it
// to its new port across restarts.
SendOutcome send_until_answered(const CrashableServer& server, const Sender& sender,
                                const std::string& txn_id, const Progress& progress) {
  SendOutcome outcome{{}, 0, wall_clock_ms()};
  auto give_up = Clock::now() + kGiveUpRetryingAfter;
  while (Clock::now() < give_up && !progress.stop.load()) {
    auto port = server.port();
    if (port == 0) {  // down for a restart
      std::this_thread::sleep_for(5ms);
      continue;
    }
    auto reply = try_send(port, sender, txn_id);
    if (reply && reply->status < 500) {
      outcome.reply = std::move(reply);
      return outcome;
    }
    ++outcome.failed_attempts;
    std::this_thread::sleep_for(5ms);
  }
  return outcome;
}

// --- the senders -------------------------------------------------------------------

struct Ack {
  std::string event_id;
  std::int64_t seq = 0;
  int failed_attempts = 0;  // > 0: in flight at a kill (or refused while down), retried
  std::int64_t first_attempt_ms = 0;
};

struct SenderLog {
  std::map<std::string, Ack> acks;  // txn_id -> the 200 answer
  std::vector<std::string> problems;
};

void run_sender(const CrashableServer& server, const Sender& sender, SenderLog& log, Progress& progress) {
  for (int m = 0; m < kMessagesPerSender; ++m) {
    auto txn_id = txn_id_of(sender, m);
    auto outcome = send_until_answered(server, sender, txn_id, progress);
    if (!outcome.reply) {
      if (!progress.stop.load()) log.problems.push_back(txn_id + ": no answer after retrying for 30 s");
      break;
    }
    if (outcome.reply->status != 200) {
      log.problems.push_back(txn_id + ": " + std::to_string(outcome.reply->status) + " " +
                             outcome.reply->body);
      break;
    }
    auto answer = json::parse(outcome.reply->body);
    log.acks[txn_id] = {std::string(answer.at("event_id").as_string()), answer.at("seq").as_int64(),
                        outcome.failed_attempts, outcome.first_attempt_ms};
    ++progress.acks;
  }
  ++progress.senders_done;
}

// One thread per sender; if the test ends early (an exception), the destructor stops
// and joins them before the server and the logs go away.
class SenderThreads {
 public:
  SenderThreads(const CrashableServer& server, const std::vector<Sender>& senders,
                std::vector<SenderLog>& logs, Progress& progress)
      : progress_(progress) {
    for (std::size_t s = 0; s < senders.size(); ++s) {
      threads_.emplace_back([&, s] { run_sender(server, senders[s], logs[s], progress); });
    }
  }
  ~SenderThreads() {
    progress_.stop = true;
    join();
  }
  SenderThreads(const SenderThreads&) = delete;
  SenderThreads& operator=(const SenderThreads&) = delete;

  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  Progress& progress_;
  std::vector<std::thread> threads_;
};

// Waits until at least `acks` sends are acknowledged (or every sender stopped).
bool wait_for_acks(const Progress& progress, std::size_t acks, std::chrono::seconds within) {
  auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (progress.acks.load() >= acks) return true;
    if (progress.senders_done.load() == kSenders) return false;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// --- reading and checking the log ------------------------------------------------------

// The room's whole history, oldest first, following `next` until it is absent.
std::vector<json::object> read_history(std::uint16_t port, const std::string& token,
                                       const std::string& room) {
  std::vector<json::object> events;
  std::string from;
  for (int page = 0; page < 100; ++page) {
    auto target = "/v1/rooms/" + room + "/events?dir=f&limit=500" + (from.empty() ? "" : "&from=" + from);
    auto body = parse_or_fail(get_with(port, target, token), 200, "history");
    for (const auto& e : body.at("events").as_array()) events.push_back(e.as_object());
    const auto* next = body.as_object().if_contains("next");
    if (next == nullptr) return events;
    from = std::string(next->as_string());
  }
  throw std::runtime_error("history of " + room + " did not end after 100 pages");
}

void expect_gapless_seq(const std::vector<json::object>& events, const std::string& room) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].at("seq").as_int64(), static_cast<std::int64_t>(i + 1))
        << room << ": seq must run 1..N without gaps or duplicates";
  }
}

// Message events by their body, which names the txn_id; counts each body.
struct MessageIndex {
  std::map<std::string, json::object> by_txn_id;
  std::map<std::string, int> copies;
};

MessageIndex index_messages(const std::vector<json::object>& events) {
  MessageIndex index;
  for (const auto& e : events) {
    if (e.at("type").as_string() != "message") continue;
    auto txn_id = std::string(e.at("content").at("body").as_string());
    ++index.copies[txn_id];
    index.by_txn_id.emplace(txn_id, e);
  }
  return index;
}

// At most `shown` of many failures of one kind, so one broken rule is one readable failure.
std::string first_of(const std::vector<std::string>& failures, std::size_t shown = 10) {
  std::string out = std::to_string(failures.size()) + " in all:";
  for (std::size_t i = 0; i < failures.size() && i < shown; ++i) out += "\n  " + failures[i];
  return out;
}

void expect_each_txn_id_once(const MessageIndex& log, const std::string& room) {
  std::vector<std::string> duplicated;
  for (const auto& [txn_id, copies] : log.copies) {
    if (copies != 1) duplicated.push_back(txn_id + " appears " + std::to_string(copies) + " times");
  }
  EXPECT_TRUE(duplicated.empty()) << room << " holds duplicated messages, " << first_of(duplicated);
}

// Every acknowledged send is in the log with the acknowledged event_id and seq.
void expect_acks_in_log(const Sender& sender, const SenderLog& sent, const MessageIndex& log) {
  for (const auto& [txn_id, ack] : sent.acks) {
    auto found = log.by_txn_id.find(txn_id);
    ASSERT_NE(found, log.by_txn_id.end())
        << "acknowledged send " << txn_id << " (" << ack.event_id << ", seq " << ack.seq << ") is lost";
    EXPECT_EQ(found->second.at("event_id").as_string(), ack.event_id) << txn_id;
    EXPECT_EQ(found->second.at("seq").as_int64(), ack.seq) << txn_id;
    EXPECT_EQ(found->second.at("sender").as_string(), sender.user_id) << txn_id;
  }
}

// Retries every acknowledged txn_id once more: the answer must be the acknowledged one.
std::vector<std::string> replay_acknowledged_sends(std::uint16_t port, const Sender& sender,
                                                   const SenderLog& sent) {
  std::vector<std::string> mismatches;
  for (const auto& [txn_id, ack] : sent.acks) {
    auto reply = try_send(port, sender, txn_id);
    if (!reply || reply->status != 200) {
      mismatches.push_back(
          txn_id + ": retry got " +
          (reply ? std::to_string(reply->status) + " " + reply->body : std::string("no answer")));
      continue;
    }
    auto answer = json::parse(reply->body);
    if (answer.at("event_id").as_string() != ack.event_id || answer.at("seq").as_int64() != ack.seq) {
      mismatches.push_back(txn_id + ": acknowledged " + ack.event_id + " seq " + std::to_string(ack.seq) +
                           ", retry answered " + reply->body);
    }
  }
  return mismatches;
}

// The ack that crosses a threshold is usually one of a group commit's answers; a short
// random pause lets some kills land elsewhere in the cycle (mid-batch, mid-fsync).
void pause_up_to_a_few_ms() {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 4000)(random)));
}

// Server log lines that show trouble the clients' retries would hide: a 5xx answer
// (other than /readyz before chat holds its JWKS) or a sanitizer report.
std::vector<std::string> troubling_log_lines(const std::string& output) {
  static const std::regex server_error(R"( access \S+ \S+ 5\d\d )");
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    bool error_answer = std::regex_search(line, server_error) && line.find("/readyz") == std::string::npos;
    bool sanitizer =
        line.find("runtime error:") != std::string::npos || line.find("Sanitizer") != std::string::npos;
    if (error_answer || sanitizer) lines.push_back(line);
  }
  return lines;
}

template <typename Work>
void in_parallel_per_sender(Work work) {
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) threads.emplace_back([&work, s] { work(s); });
  for (auto& t : threads) t.join();
}

// SIGKILLs the server each time the acks pass a threshold of kKillAfterAcks and starts
// it again on the same data; returns the wall-clock times of the kills.
std::vector<std::int64_t> kill_and_restart_while_sending(CrashableServer& server, const Progress& progress) {
  std::vector<std::int64_t> kill_times_ms;
  for (auto threshold : kKillAfterAcks) {
    bool reached = wait_for_acks(progress, threshold, 120s);
    EXPECT_TRUE(reached) << "only " << progress.acks.load() << " acks before the kill at " << threshold;
    if (!reached) break;
    pause_up_to_a_few_ms();
    kill_times_ms.push_back(wall_clock_ms());
    auto ended = server.kill_hard();
    EXPECT_EQ(ended.signal, SIGKILL) << "the server should have been running until killed:\n"
                                     << server.output();
    server.start();
  }
  return kill_times_ms;
}

// Every message in the log is a send some client got a 200 for.
void expect_only_acknowledged_messages(const std::map<std::string, MessageIndex>& logs_by_room,
                                       const std::vector<SenderLog>& sent) {
  std::set<std::string> acknowledged;
  for (const auto& log : sent) {
    for (const auto& [txn_id, ack] : log.acks) acknowledged.insert(txn_id);
  }
  std::vector<std::string> unacknowledged;
  for (const auto& [room, log] : logs_by_room) {
    for (const auto& [txn_id, event] : log.by_txn_id) {
      if (!acknowledged.contains(txn_id)) unacknowledged.push_back(txn_id + " in " + room);
    }
  }
  EXPECT_TRUE(unacknowledged.empty()) << "messages nobody got an answer for, " << first_of(unacknowledged);
}

struct RetryCounts {
  int retried = 0;              // in flight at a kill (or sent while down), answered later
  int committed_by_killed = 0;  // of those, appended by the process that was killed
};

// A retried send's answer is what the log holds (expect_acks_in_log checks every ack).
// When its event is older than the kill it was in flight at, the killed process had
// committed it, and the persistent txn_id record answered the retry.
RetryCounts count_retried_sends(const std::vector<Sender>& senders, const std::vector<SenderLog>& sent,
                                const std::map<std::string, MessageIndex>& logs_by_room,
                                const std::vector<std::int64_t>& kill_times_ms) {
  RetryCounts counts;
  for (std::size_t s = 0; s < senders.size(); ++s) {
    const auto& log = logs_by_room.at(senders[s].room_id);
    for (const auto& [txn_id, ack] : sent[s].acks) {
      if (ack.failed_attempts == 0) continue;
      ++counts.retried;
      auto found = log.by_txn_id.find(txn_id);
      if (found == log.by_txn_id.end()) continue;
      // The kill this send was first tried before; the process it killed appended the
      // event if the event is older than that kill.
      auto kill = std::lower_bound(kill_times_ms.begin(), kill_times_ms.end(), ack.first_attempt_ms);
      if (kill != kill_times_ms.end() && found->second.at("ts").as_int64() <= *kill)
        ++counts.committed_by_killed;
    }
  }
  return counts;
}

TEST(ChatCrash, AcknowledgedSendsSurviveSigkillAndRetriesNeverDuplicate) {
  auto started = Clock::now();
  CrashableServer server;
  server.start();
  auto senders = sign_up_senders(server.port());
  auto rooms = create_rooms_and_join(server.port(), senders);

  std::vector<SenderLog> sent(kSenders);
  Progress progress;
  SenderThreads threads(server, senders, sent, progress);
  auto kill_times_ms = kill_and_restart_while_sending(server, progress);
  threads.join();
  auto sending_done = Clock::now();

  for (int s = 0; s < kSenders; ++s) {
    for (const auto& problem : sent[s].problems) ADD_FAILURE() << senders[s].name << ": " << problem;
    EXPECT_EQ(sent[s].acks.size(), static_cast<std::size_t>(kMessagesPerSender)) << senders[s].name;
  }

  // Retries after the restarts answer what was acknowledged, and append nothing.
  std::vector<std::vector<std::string>> mismatches(kSenders);
  in_parallel_per_sender(
      [&](int s) { mismatches[s] = replay_acknowledged_sends(server.port(), senders[s], sent[s]); });
  for (int s = 0; s < kSenders; ++s) {
    EXPECT_TRUE(mismatches[s].empty()) << senders[s].name << ": retries of acknowledged sends answered "
                                       << "differently, " << first_of(mismatches[s]);
  }

  // The log: gapless, no message twice, every ack exactly once as acknowledged, and no
  // message that nobody got an answer for.
  std::map<std::string, MessageIndex> logs_by_room;
  for (const auto& room : rooms) {
    auto events = read_history(server.port(), senders[0].token, room);
    expect_gapless_seq(events, room);
    logs_by_room[room] = index_messages(events);
    expect_each_txn_id_once(logs_by_room[room], room);
  }
  for (int s = 0; s < kSenders; ++s)
    expect_acks_in_log(senders[s], sent[s], logs_by_room[senders[s].room_id]);
  expect_only_acknowledged_messages(logs_by_room, sent);
  auto retries = count_retried_sends(senders, sent, logs_by_room, kill_times_ms);
  EXPECT_GT(retries.retried, 0) << "some sends should have been in flight at a kill";

  // Tokens issued before all the kills still work.
  for (const auto& sender : senders) {
    EXPECT_EQ(get_with(server.port(), "/v1/rooms", sender.token).status, 200u) << sender.name;
  }
  auto trouble = troubling_log_lines(server.all_output());
  EXPECT_TRUE(trouble.empty()) << "the server logged errors, " << first_of(trouble);

  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "[ChatCrash] " << progress.acks.load() << " acks, " << kill_times_ms.size() << " kills, "
            << retries.retried << " sends retried, " << retries.committed_by_killed
            << " of them committed by the killed process; sending took " << seconds(sending_done - started)
            << " s, all " << seconds(Clock::now() - started) << " s\n";
}

}  // namespace
}  // namespace bartab::testing
