// chat_load: a load generator for the chat HTTP API (bench/chat_load.sh runs it).
//
//   chat_load sends  --url http://127.0.0.1:PORT [--senders 64 --rooms 4 --duration 10 ...]
//   chat_load fanout --url ... [--members 500 --senders 4 --messages 2000 ...]
//   chat_load idle   --url ... --server-pid PID [--polls 10000 --users 100 ...]
//
// Every workload registers its own users (open registration and a high
// ratelimit.register_per_hour on the server), makes its rooms, then measures. All of it
// runs as C++20 coroutines on one thread: one Beast HTTP/1.1 keep-alive connection per
// simulated client. The generator prints its own CPU time next to the server's, since
// both share the machine's cores.
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

const std::string kPassword = "load-generator-password";

// ---------------------------------------------------------------------------------
// Time, percentiles, process figures

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

awaitable<void> sleep_for(Clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

// Nearest-rank percentile of sorted values (q in [0, 1]).
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// "p50 1.23 ms  p90 ...  max ..." for latencies in milliseconds (sorts them).
std::string latency_line(std::vector<double>& ms) {
  if (ms.empty()) return "no samples";
  std::sort(ms.begin(), ms.end());
  char line[200];
  std::snprintf(line, sizeof line, "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (n=%zu)",
                percentile(ms, 0.50), percentile(ms, 0.90), percentile(ms, 0.99), ms.back(), ms.size());
  return line;
}

// VmRSS of a process in KiB, or -1 when it cannot be read.
long rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// User plus system CPU seconds a process has used, or -1.
double cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields;
  std::size_t pos = close + 2;
  while (pos < text.size() && fields.size() < 13) {
    auto space = text.find(' ', pos);
    fields.push_back(text.substr(pos, space - pos));
    pos = space == std::string::npos ? text.size() : space + 1;
  }
  if (fields.size() < 13) return -1;
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name.
  return static_cast<double>(std::stoll(fields[11]) + std::stoll(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// CPU used by the server and by this generator over a measured window.
struct CpuWindow {
  int server_pid = 0;
  double server0 = 0, self0 = 0;
  std::int64_t start = 0;

  void begin(int pid) {
    server_pid = pid;
    server0 = cpu_seconds(pid);
    self0 = own_cpu_seconds();
    start = now_ns();
  }
  std::string report() const {
    double wall = seconds_between(start, now_ns());
    char line[200];
    double self = own_cpu_seconds() - self0;
    if (server_pid > 0) {
      double server = cpu_seconds(server_pid) - server0;
      std::snprintf(line, sizeof line,
                    "CPU over %.1f s: server %.1f s (%.0f%% of one core), generator %.1f s (%.0f%%)", wall,
                    server, 100 * server / wall, self, 100 * self / wall);
    } else {
      std::snprintf(line, sizeof line, "CPU over %.1f s: generator %.1f s (%.0f%% of one core)", wall, self,
                    100 * self / wall);
    }
    return line;
  }
};

// ---------------------------------------------------------------------------------
// HTTP client: one keep-alive connection

struct Reply {
  unsigned status = 0;  // 0: no answer (connection failed or timed out); see error
  std::string body;
  std::string error;
};

class HttpConnection {
 public:
  HttpConnection(asio::any_io_executor ex, tcp::endpoint server) : stream_(std::move(ex)), server_(server) {}

  bool is_open() const { return open_; }

  awaitable<boost::system::error_code> connect() {
    stream_.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream_.async_connect(server_, use_tuple);
    if (!ec) {
      open_ = true;
      stream_.socket().set_option(tcp::no_delay(true));
    }
    co_return ec;
  }

  // Writes one request (connecting first when needed). `timeout` bounds the write and
  // the read of its reply.
  awaitable<boost::system::error_code> send_request(http::verb verb, const std::string& target,
                                                    std::string body, const std::string& token,
                                                    std::chrono::milliseconds timeout) {
    if (!open_) {
      if (auto ec = co_await connect()) co_return ec;
    }
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = std::move(body);
    }
    request.keep_alive(true);
    request.prepare_payload();
    timeout_ = timeout;
    stream_.expires_after(timeout);
    auto [ec, n] = co_await http::async_write(stream_, request, use_tuple);
    if (ec) close();
    co_return ec;
  }

  // Reads the reply to the request written last.
  awaitable<Reply> read_reply() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    stream_.expires_after(timeout_);
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    Reply reply;
    if (ec) {
      reply.error = ec.message();
      close();
      co_return reply;
    }
    auto& response = parser.get();
    reply.status = response.result_int();
    if (!response.keep_alive()) close();
    reply.body = std::move(response.body());
    co_return reply;
  }

  awaitable<Reply> call(http::verb verb, const std::string& target, std::string body,
                        const std::string& token,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (auto ec = co_await send_request(verb, target, std::move(body), token, timeout)) {
      co_return Reply{0, "", ec.message()};
    }
    co_return co_await read_reply();
  }

  // Closes the socket; a pending read or write completes with operation_aborted.
  void close() {
    open_ = false;
    buffer_.clear();
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  beast::tcp_stream stream_;
  tcp::endpoint server_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_{30000};
  bool open_ = false;
};

// Percent-encodes everything but RFC 3986's unreserved characters (tokens are opaque).
std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Running many coroutines

// Counts running tasks; wait() returns when all are done and rethrows the first
// exception one of them threw.
class WaitGroup {
 public:
  explicit WaitGroup(asio::any_io_executor ex) : ex_(ex), timer_(ex, Clock::time_point::max()) {}

  template <class Task>
  void spawn(Task task) {
    ++pending_;
    asio::co_spawn(ex_, std::move(task), [this](std::exception_ptr error) {
      if (error && !error_) error_ = error;
      if (--pending_ == 0) timer_.cancel();
    });
  }

  std::size_t pending() const { return pending_; }

  awaitable<void> wait() {
    while (pending_ > 0) co_await timer_.async_wait(use_tuple);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  asio::any_io_executor ex_;
  asio::steady_timer timer_;
  std::size_t pending_ = 0;
  std::exception_ptr error_;
};

// task(i, w): item i, run by worker w (< parallel), so a worker can own a connection.
using IndexTask = std::function<awaitable<void>(std::size_t, std::size_t)>;

// Runs task(i, w) for every i in [0, n), at most `parallel` at a time.
awaitable<void> parallel_for(std::size_t n, std::size_t parallel, IndexTask task) {
  std::size_t next = 0;
  WaitGroup group(co_await asio::this_coro::executor);
  auto worker = [&](std::size_t w) -> awaitable<void> {
    while (next < n) co_await task(next++, w);
  };
  for (std::size_t w = 0; w < std::min(n, parallel); ++w) group.spawn(worker(w));
  co_await group.wait();
}

// ---------------------------------------------------------------------------------
// The chat API, as far as the workloads need it

struct Env {
  asio::any_io_executor ex;
  tcp::endpoint server;
  std::string prefix;  // of every username this run registers
  int server_pid = 0;
};

struct User {
  std::string username;
  std::string user_id;
  std::string token;
};

[[noreturn]] void fail(const std::string& what, const Reply& reply) {
  throw std::runtime_error(
      what + ": " + (reply.status ? "HTTP " + std::to_string(reply.status) + " " + reply.body : reply.error));
}

json::object parse_object(const Reply& reply, const std::string& what) {
  boost::system::error_code ec;
  auto value = json::parse(reply.body, ec);
  if (ec || !value.is_object()) fail(what + " (not a JSON object)", reply);
  return std::move(value.as_object());
}

std::string string_field(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

awaitable<User> register_user(HttpConnection& c, std::string username) {
  json::object body{{"username", username}, {"password", kPassword}};
  auto reply = co_await c.call(http::verb::post, "/v1/auth/register", json::serialize(body), "");
  if (reply.status != 201) fail("register " + username, reply);
  auto answer = parse_object(reply, "register");
  co_return User{username, string_field(answer, "user_id"), string_field(answer, "access_token")};
}

// Registers n users named PREFIX-TAG-NNNNN, `parallel` at a time (Argon2id makes
// each cost ~10 ms of server CPU; the server hashes on two threads).
awaitable<std::vector<User>> register_users(Env& env, std::size_t n, const std::string& tag,
                                            std::size_t parallel = 4) {
  std::vector<User> users(n);
  std::vector<std::unique_ptr<HttpConnection>> conns;
  for (std::size_t i = 0; i < parallel; ++i)
    conns.push_back(std::make_unique<HttpConnection>(env.ex, env.server));
  co_await parallel_for(n, parallel, [&](std::size_t i, std::size_t w) -> awaitable<void> {
    auto& conn = *conns[w];
    char name[40];
    std::snprintf(name, sizeof name, "%s-%s-%05zu", env.prefix.c_str(), tag.c_str(), i);
    users[i] = co_await register_user(conn, name);
  });
  co_return users;
}

awaitable<std::string> create_room(HttpConnection& c, const User& owner, const std::string& name) {
  json::object body{{"name", name}, {"visibility", "public"}};
  auto reply = co_await c.call(http::verb::post, "/v1/rooms", json::serialize(body), owner.token);
  if (reply.status != 201) fail("create room " + name, reply);
  co_return string_field(parse_object(reply, "create room"), "room_id");
}

awaitable<void> join_room(HttpConnection& c, const User& user, const std::string& room_id) {
  auto reply = co_await c.call(http::verb::post, "/v1/rooms/" + room_id + "/join", "{}", user.token);
  if (reply.status != 200) fail(user.username + " joining " + room_id, reply);
}

// Joins users[i] to room_of(i) for every i with a room (an empty id: skip), 8 at a time.
awaitable<void> join_all(Env& env, const std::vector<User>& users,
                         std::function<std::string(std::size_t)> room_of) {
  std::vector<std::unique_ptr<HttpConnection>> conns;
  for (int i = 0; i < 8; ++i) conns.push_back(std::make_unique<HttpConnection>(env.ex, env.server));
  co_await parallel_for(users.size(), conns.size(), [&](std::size_t i, std::size_t w) -> awaitable<void> {
    auto room = room_of(i);
    if (!room.empty()) co_await join_room(*conns[w], users[i], room);
  });
}

// An initial sync (no `since`); returns its `next`.
awaitable<std::string> initial_sync(HttpConnection& c, const User& user) {
  auto reply = co_await c.call(http::verb::get, "/v1/sync?timeout=0", "", user.token);
  if (reply.status != 200) fail("initial sync of " + user.username, reply);
  auto next = string_field(parse_object(reply, "initial sync"), "next");
  if (next.empty()) fail("initial sync of " + user.username + " without next", reply);
  co_return next;
}

// Initial syncs for every user, 8 at a time.
awaitable<std::vector<std::string>> initial_syncs(Env& env, const std::vector<User>& users) {
  std::vector<std::string> tokens(users.size());
  std::vector<std::unique_ptr<HttpConnection>> conns;
  for (int i = 0; i < 8; ++i) conns.push_back(std::make_unique<HttpConnection>(env.ex, env.server));
  co_await parallel_for(users.size(), conns.size(), [&](std::size_t i, std::size_t w) -> awaitable<void> {
    tokens[i] = co_await initial_sync(*conns[w], users[i]);
  });
  co_return tokens;
}

std::string send_target(const std::string& room_id, const std::string& txn_id) {
  return "/v1/rooms/" + room_id + "/send/" + txn_id;
}

std::string message_body(const std::string& text) {
  json::object content{{"body", text}};
  return json::serialize(json::object{{"type", "message"}, {"content", std::move(content)}});
}

// Counts failures by kind ("HTTP 500", "connection: ...") and keeps the first body.
struct ErrorTally {
  std::map<std::string, std::size_t> counts;
  std::string first;
  std::size_t total = 0;

  void add(const Reply& reply) {
    ++total;
    auto key = reply.status ? "HTTP " + std::to_string(reply.status) : "failed: " + reply.error;
    ++counts[key];
    if (first.empty()) first = key + " " + reply.body.substr(0, 300);
  }
  void print(const char* what) const {
    std::printf("  %s errors: %zu", what, total);
    for (const auto& [key, n] : counts) std::printf("  [%s: %zu]", key.c_str(), n);
    std::printf("\n");
    if (!first.empty()) std::printf("  first %s error: %s\n", what, first.c_str());
  }
};

// ---------------------------------------------------------------------------------
// Workload 1: sends

struct SendsOptions {
  std::size_t senders = 64;
  std::size_t rooms = 4;
  double duration = 10;  // seconds measured
  double warmup = 2;     // seconds sent before measuring, not counted
  std::size_t body_bytes = 64;
};

struct SendsRun {
  SendsOptions options;
  std::vector<std::string> room_ids;
  std::int64_t measure_from = 0, measure_until = 0;
  std::vector<double> latency_ms;  // of sends that started within the window
  std::size_t sent = 0;            // 200s within the window
  ErrorTally errors;               // within the window
};

// One sender: a closed loop of sends on its own connection until the window ends.
awaitable<void> send_loop(Env& env, SendsRun& run, const User& user, std::size_t index) {
  HttpConnection conn(env.ex, env.server);
  const auto& room = run.room_ids[index % run.room_ids.size()];
  std::string filler(run.options.body_bytes, 'x');
  for (std::size_t n = 0;; ++n) {
    auto start = now_ns();
    if (start >= run.measure_until) break;
    auto txn = "s" + std::to_string(index) + "-" + std::to_string(n);
    auto reply = co_await conn.call(http::verb::put, send_target(room, txn), message_body(txn + " " + filler),
                                    user.token, std::chrono::seconds(10));
    auto end = now_ns();
    if (start < run.measure_from || end > run.measure_until) continue;
    if (reply.status == 200) {
      ++run.sent;
      run.latency_ms.push_back(static_cast<double>(end - start) / 1e6);
    } else {
      run.errors.add(reply);
    }
  }
}

awaitable<void> sends_workload(Env& env, SendsOptions options) {
  SendsRun run{options};
  std::printf("sends: %zu senders (one user, session and keep-alive connection each) in %zu public rooms\n",
              options.senders, options.rooms);
  auto users = co_await register_users(env, options.senders, "s");
  HttpConnection setup(env.ex, env.server);
  for (std::size_t r = 0; r < options.rooms; ++r) {
    run.room_ids.push_back(
        co_await create_room(setup, users[r % users.size()], "sends-" + std::to_string(r)));
  }
  // Sender i sends to room i % rooms; the first `rooms` senders created theirs.
  co_await join_all(env, users,
                    [&](std::size_t i) { return i < options.rooms ? "" : run.room_ids[i % options.rooms]; });

  run.measure_from = now_ns() + static_cast<std::int64_t>(options.warmup * 1e9);
  run.measure_until = run.measure_from + static_cast<std::int64_t>(options.duration * 1e9);
  std::printf("  warm-up %.1f s, then measuring %.1f s (closed loop: each sender waits for its answer)\n",
              options.warmup, options.duration);
  std::fflush(stdout);
  WaitGroup group(env.ex);
  for (std::size_t i = 0; i < options.senders; ++i) group.spawn(send_loop(env, run, users[i], i));
  co_await sleep_for(std::chrono::nanoseconds(run.measure_from - now_ns()));
  CpuWindow cpu;
  cpu.begin(env.server_pid);
  co_await group.wait();

  std::printf("  sends/s: %.0f  (%zu sends answered 200 in %.1f s)\n",
              static_cast<double>(run.sent) / options.duration, run.sent, options.duration);
  std::printf("  latency: %s\n", latency_line(run.latency_ms).c_str());
  run.errors.print("send");
  std::printf("  %s\n", cpu.report().c_str());
  std::printf("  target: >= 20000 sends/s with p99 < 20 ms\n");
}

// ---------------------------------------------------------------------------------
// Workload 2: fan-out to long-polling members

struct FanoutOptions {
  std::size_t members = 500;
  std::size_t senders = 4;
  std::size_t messages = 2000;
  std::uint32_t poll_timeout_ms = 30000;
  double rate = 0;    // messages/s over all senders; 0: closed loop (as fast as answered)
  double grace = 10;  // seconds to wait for the last deliveries after the last send
};

struct Delivery {
  std::uint32_t message;
  std::int64_t at;  // when the poller had read the whole response
};

// One member's view: its sync token and what it has received.
struct Member {
  User user;
  std::string since;
  std::vector<bool> received;  // by message number
  std::int64_t last_seq = 0;
  HttpConnection* conn = nullptr;  // while polling
};

struct FanoutRun {
  FanoutOptions options;
  std::string room_id;
  std::vector<Member> members;
  // Per message, from its sender.
  std::vector<std::int64_t> send_start, send_ack;
  std::vector<std::string> event_id;
  std::vector<std::int64_t> seq;
  std::vector<Delivery> deliveries;
  // Deliveries that beat their send's answer, compared with it at the end.
  struct Unchecked {
    std::uint32_t message;
    std::string event_id;
    std::int64_t seq;
  };
  std::vector<Unchecked> unchecked;
  std::size_t acked = 0, polling = 0;
  std::size_t duplicates = 0, out_of_order = 0, mismatched = 0, foreign = 0, limited = 0;
  std::size_t responses = 0, empty_responses = 0, message_events = 0;
  ErrorTally send_errors, sync_errors;
  bool stop = false;
  std::unique_ptr<asio::steady_timer> all_delivered;  // cancelled when every delivery is in
};

// "fanout <message number> <send start, ns>"
bool parse_fanout_body(std::string_view body, std::uint32_t& message) {
  if (!body.starts_with("fanout ")) return false;
  body.remove_prefix(7);
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), message);
  return ec == std::errc{};
}

// Checks one event a member received and records a delivery.
// The fan-out message number in a message event, or -1 for any other event.
long fanout_message(FanoutRun& run, const json::object& event) {
  if (string_field(event, "type") != "message") return -1;
  auto* content = event.if_contains("content");
  std::uint32_t message = 0;
  if (!content || !content->is_object() ||
      !parse_fanout_body(string_field(content->as_object(), "body"), message) ||
      message >= run.options.messages) {
    ++run.foreign;
    return -1;
  }
  return message;
}

// Checks one event a member received and records a delivery. A message received twice
// counts as a duplicate (not also as out of order); any other event whose seq is not
// above the member's last one counts as out of order.
void take_event(FanoutRun& run, Member& m, const json::object& event, std::int64_t at) {
  auto* seq_value = event.if_contains("seq");
  std::int64_t seq = seq_value && seq_value->is_number() ? seq_value->to_number<std::int64_t>() : -1;
  auto message = fanout_message(run, event);
  if (message >= 0) {
    ++run.message_events;
    if (m.received[message]) {
      ++run.duplicates;
      return;
    }
    m.received[message] = true;
    if (run.event_id[message].empty()) {
      run.unchecked.push_back({static_cast<std::uint32_t>(message), string_field(event, "event_id"), seq});
    } else if (run.event_id[message] != string_field(event, "event_id") || run.seq[message] != seq) {
      ++run.mismatched;
    }
    run.deliveries.push_back(Delivery{static_cast<std::uint32_t>(message), at});
    if (run.deliveries.size() == run.members.size() * run.options.messages) run.all_delivered->cancel();
  }
  if (seq <= m.last_seq) ++run.out_of_order;
  m.last_seq = std::max(m.last_seq, seq);
}

// Takes one sync answer: follows `next`, checks and records the room's events.
void take_sync(FanoutRun& run, Member& m, const Reply& reply, std::int64_t at) {
  ++run.responses;
  auto answer = parse_object(reply, "sync");
  auto next = string_field(answer, "next");
  if (next.empty()) fail("sync without next", reply);
  m.since = std::move(next);
  auto* rooms = answer.if_contains("rooms");
  auto* room = rooms && rooms->is_object() ? rooms->as_object().if_contains(run.room_id) : nullptr;
  auto* events = room && room->is_object() ? room->as_object().if_contains("events") : nullptr;
  if (!events || !events->is_array() || events->as_array().empty()) {
    ++run.empty_responses;
    return;
  }
  if (auto* limited = room->as_object().if_contains("limited");
      limited && limited->is_bool() && limited->as_bool()) {
    ++run.limited;
  }
  for (const auto& event : events->as_array()) {
    if (event.is_object()) take_event(run, m, event.as_object(), at);
  }
}

// One member: long polls on its own connection, following `next`, until stopped.
awaitable<void> poll_loop(Env& env, FanoutRun& run, Member& m) {
  HttpConnection conn(env.ex, env.server);
  m.conn = &conn;
  bool first = true;
  auto timeout = std::chrono::milliseconds(run.options.poll_timeout_ms + 15000);
  while (!run.stop) {
    auto target =
        "/v1/sync?since=" + url_encode(m.since) + "&timeout=" + std::to_string(run.options.poll_timeout_ms);
    auto ec = co_await conn.send_request(http::verb::get, target, "", m.user.token, timeout);
    if (first && !ec) ++run.polling;
    first = false;
    // Not `ec ? ... : co_await ...`: GCC 12 miscompiles co_await inside a conditional.
    Reply reply{0, "", ec.message()};
    if (!ec) reply = co_await conn.read_reply();
    auto at = now_ns();
    if (run.stop) break;
    if (reply.status == 200) {
      try {
        take_sync(run, m, reply, at);
        continue;
      } catch (const std::exception& e) {
        reply.error = e.what();  // a malformed answer: counted below with the rest
        reply.status = 0;
      }
    }
    run.sync_errors.add(reply);
    co_await sleep_for(std::chrono::milliseconds(100));
  }
  m.conn = nullptr;
}

// One sender: its share of the messages (k, k + senders, ...) on its own connection.
awaitable<void> fanout_send_loop(Env& env, FanoutRun& run, std::size_t k, std::int64_t t0) {
  HttpConnection conn(env.ex, env.server);
  const auto& user = run.members[k].user;  // senders are members 0..senders-1
  for (std::size_t i = k; i < run.options.messages; i += run.options.senders) {
    if (run.options.rate > 0) {
      auto due = t0 + static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / run.options.rate);
      if (due > now_ns()) co_await sleep_for(std::chrono::nanoseconds(due - now_ns()));
    }
    auto start = now_ns();
    run.send_start[i] = start;
    auto body = message_body("fanout " + std::to_string(i) + " " + std::to_string(start));
    auto reply = co_await conn.call(http::verb::put, send_target(run.room_id, "f" + std::to_string(i)),
                                    std::move(body), user.token, std::chrono::seconds(30));
    run.send_ack[i] = now_ns();
    if (reply.status != 200) {
      run.send_errors.add(reply);
      continue;
    }
    auto answer = parse_object(reply, "send");
    run.event_id[i] = string_field(answer, "event_id");
    auto* seq = answer.if_contains("seq");
    run.seq[i] = seq && seq->is_number() ? seq->to_number<std::int64_t>() : -1;
    ++run.acked;
  }
}

// Registers the members, makes the room, joins everyone, takes initial sync tokens.
awaitable<void> fanout_setup(Env& env, FanoutRun& run) {
  auto t = now_ns();
  auto users = co_await register_users(env, run.options.members, "f");
  HttpConnection setup(env.ex, env.server);
  run.room_id = co_await create_room(setup, users[0], "fanout");
  co_await join_all(env, users, [&](std::size_t i) { return i == 0 ? "" : run.room_id; });
  auto tokens = co_await initial_syncs(env, users);
  for (std::size_t i = 0; i < users.size(); ++i) {
    run.members.push_back(
        Member{std::move(users[i]), std::move(tokens[i]), std::vector<bool>(run.options.messages)});
  }
  std::printf("  set-up (register %zu users, create, join, initial syncs): %.1f s\n", run.options.members,
              seconds_between(t, now_ns()));
}

// Starts every member's long poll; returns once all have written their first one.
awaitable<void> start_pollers(FanoutRun& run, WaitGroup& pollers, Env& env) {
  for (auto& m : run.members) pollers.spawn(poll_loop(env, run, m));
  auto deadline = now_ns() + 30'000'000'000;
  while (run.polling < run.members.size() && now_ns() < deadline)
    co_await sleep_for(std::chrono::milliseconds(10));
  if (run.polling < run.members.size()) {
    throw std::runtime_error("only " + std::to_string(run.polling) + " pollers got their first poll out");
  }
  // Let the server take them in and park them before the first message.
  co_await sleep_for(std::chrono::seconds(1));
}

// Lost deliveries, per member.
void report_losses(const FanoutRun& run) {
  std::size_t members_missing = 0;
  std::string examples;
  for (std::size_t i = 0; i < run.members.size(); ++i) {
    const auto& m = run.members[i];
    std::size_t missing = 0;
    for (std::size_t j = 0; j < run.options.messages; ++j) {
      if (!m.received[j] && !run.event_id[j].empty()) ++missing;
    }
    if (missing == 0) continue;
    if (++members_missing <= 5)
      examples += (examples.empty() ? "member " : " member ") + std::to_string(i) + ": " +
                  std::to_string(missing) + ";";
  }
  if (members_missing)
    std::printf("  members missing messages: %zu (%s ...)\n", members_missing, examples.c_str());
}

void fanout_report(FanoutRun& run, std::int64_t first_send, std::int64_t last_ack) {
  auto expected = run.members.size() * run.acked;
  for (const auto& u : run.unchecked) {
    if (u.event_id != run.event_id[u.message] || u.seq != run.seq[u.message]) ++run.mismatched;
  }
  std::int64_t last_delivery = first_send;
  std::vector<double> from_start, from_ack;
  std::size_t before_ack = 0;
  for (const auto& d : run.deliveries) {
    last_delivery = std::max(last_delivery, d.at);
    from_start.push_back(static_cast<double>(d.at - run.send_start[d.message]) / 1e6);
    auto after_ack = d.at - run.send_ack[d.message];
    if (after_ack < 0) ++before_ack;
    from_ack.push_back(static_cast<double>(std::max<std::int64_t>(after_ack, 0)) / 1e6);
  }
  double wall = seconds_between(first_send, last_delivery);
  double sending = seconds_between(first_send, last_ack);
  std::printf("  sends: %zu of %zu answered 200 in %.2f s (%.0f messages/s)\n", run.acked,
              run.options.messages, sending, static_cast<double>(run.acked) / sending);
  std::printf("  deliveries: %zu of %zu expected; %.0f deliveries/s (first send to last delivery: %.2f s)\n",
              run.deliveries.size(), expected, static_cast<double>(run.deliveries.size()) / wall, wall);
  std::printf("  latency, send start to receipt: %s\n", latency_line(from_start).c_str());
  std::printf(
      "  latency, send answer to receipt: %s (%zu deliveries arrived before the sender's answer, "
      "counted as 0)\n",
      latency_line(from_ack).c_str(), before_ack);
  std::printf("  lost: %zu  duplicated: %zu  out of order (seq not increasing per member): %zu\n",
              expected - std::min(expected, run.deliveries.size()), run.duplicates, run.out_of_order);
  std::printf("  event_id/seq differing from the send answer: %zu  unexpected message events: %zu\n",
              run.mismatched, run.foreign);
  std::printf(
      "  sync answers: %zu (%zu without events for the room, %zu limited); %.1f messages per answer with "
      "events\n",
      run.responses, run.empty_responses, run.limited,
      static_cast<double>(run.message_events) /
          static_cast<double>(std::max<std::size_t>(1, run.responses - run.empty_responses)));
  report_losses(run);
  run.send_errors.print("send");
  run.sync_errors.print("sync");
}

awaitable<void> fanout_workload(Env& env, FanoutOptions options) {
  FanoutRun run{options};
  auto n = options.messages;
  run.send_start.assign(n, 0);
  run.send_ack.assign(n, 0);
  run.event_id.assign(n, "");
  run.seq.assign(n, -1);
  run.deliveries.reserve(options.members * n);
  run.all_delivered = std::make_unique<asio::steady_timer>(env.ex, Clock::time_point::max());
  std::printf(
      "fanout: %zu members long-polling /v1/sync (timeout %u ms) in one public room; %zu of them send %zu "
      "messages, %s\n",
      options.members, options.poll_timeout_ms, options.senders, n,
      options.rate > 0 ? ("paced at " + std::to_string(static_cast<int>(options.rate)) + "/s").c_str()
                       : "each as soon as its previous send is answered");
  co_await fanout_setup(env, run);
  WaitGroup pollers(env.ex);
  co_await start_pollers(run, pollers, env);

  CpuWindow cpu;
  cpu.begin(env.server_pid);
  auto first_send = now_ns();
  WaitGroup senders(env.ex);
  for (std::size_t k = 0; k < options.senders; ++k) senders.spawn(fanout_send_loop(env, run, k, first_send));
  co_await senders.wait();
  auto last_ack = now_ns();
  // Wait for the rest of the deliveries (the timer is cancelled when the last one is in).
  bool complete = run.deliveries.size() >= run.members.size() * run.acked;
  if (!complete) {
    run.all_delivered->expires_after(std::chrono::milliseconds(static_cast<long>(options.grace * 1000)));
    co_await run.all_delivered->async_wait(use_tuple);
    complete = run.deliveries.size() >= run.members.size() * run.acked;
  }
  auto cpu_line = cpu.report();
  run.stop = true;
  for (auto& m : run.members) {
    if (m.conn) m.conn->close();
  }
  co_await pollers.wait();
  fanout_report(run, first_send, last_ack);
  std::printf("  %s%s\n", cpu_line.c_str(),
              complete ? "" : " (includes the grace wait for missing deliveries)");
  std::printf("  target: >= 50000 deliveries/s, p99 < 50 ms, none lost or duplicated\n");
}

// ---------------------------------------------------------------------------------
// Workload 3: idle long polls

struct IdleOptions {
  std::size_t polls = 10000;
  std::size_t users = 100;
  std::uint32_t poll_timeout_ms = 60000;
  double hold = 10;  // seconds to hold all polls while sampling RSS
  std::size_t connect_parallel = 200;
  bool wait_answers = true;  // after holding, wait for the server's timeout answers
};

struct IdlePoll {
  std::unique_ptr<HttpConnection> conn;
  std::size_t user = 0;
  std::int64_t sent_at = 0, answered_at = 0;
  Reply reply;
};

struct IdleRun {
  IdleOptions options;
  std::vector<User> users;
  std::vector<std::string> since;  // per user
  std::vector<IdlePoll> polls;
  std::size_t written = 0, answered = 0, connect_failures = 0;
  std::string first_connect_error;
};

// Holds one poll: writes the request, then waits for its answer.
awaitable<void> hold_poll(IdleRun& run, IdlePoll& p) {
  auto target = "/v1/sync?since=" + url_encode(run.since[p.user]) +
                "&timeout=" + std::to_string(run.options.poll_timeout_ms);
  auto timeout = std::chrono::milliseconds(run.options.poll_timeout_ms + 30000);
  p.sent_at = now_ns();
  if (auto ec =
          co_await p.conn->send_request(http::verb::get, target, "", run.users[p.user].token, timeout)) {
    p.reply = Reply{0, "", "write: " + ec.message()};
    ++run.answered;
    co_return;
  }
  ++run.written;
  p.reply = co_await p.conn->read_reply();
  p.answered_at = now_ns();
  ++run.answered;
}

long print_rss(const Env& env, const char* label, long baseline, std::size_t per) {
  auto rss = rss_kib(env.server_pid);
  if (baseline < 0 || per == 0) {
    std::printf("  server RSS %-38s %8ld KiB\n", label, rss);
  } else {
    std::printf("  server RSS %-38s %8ld KiB  (+%ld KiB, %.2f KiB each)\n", label, rss, rss - baseline,
                static_cast<double>(rss - baseline) / static_cast<double>(per));
  }
  std::fflush(stdout);
  return rss;
}

// Opens every connection (no request yet), connect_parallel at a time.
awaitable<void> idle_connect_all(IdleRun& run) {
  co_await parallel_for(run.polls.size(), run.options.connect_parallel,
                        [&](std::size_t i, std::size_t) -> awaitable<void> {
                          if (auto ec = co_await run.polls[i].conn->connect()) {
                            if (run.connect_failures++ == 0) run.first_connect_error = ec.message();
                          }
                        });
  if (run.connect_failures) {
    std::printf("  connect failures: %zu (first: %s)\n", run.connect_failures,
                run.first_connect_error.c_str());
  }
}

// Polls answered before (timeout - 1 s) of their own start.
std::size_t early_answers(const IdleRun& run) {
  std::size_t early = 0;
  for (const auto& p : run.polls) {
    if (p.answered_at && p.answered_at - p.sent_at <
                             (static_cast<std::int64_t>(run.options.poll_timeout_ms) - 1000) * 1'000'000) {
      ++early;
    }
  }
  return early;
}

// Classifies the answers: 200 with no rooms and next == since is a proper timeout.
void idle_check_answers(const IdleRun& run) {
  std::size_t empty = 0, other = 0;
  ErrorTally errors;
  std::vector<double> held_ms;
  for (const auto& p : run.polls) {
    if (p.reply.status != 200) {
      errors.add(p.reply);
      continue;
    }
    auto answer = parse_object(p.reply, "idle sync");
    auto* rooms = answer.if_contains("rooms");
    bool no_rooms = !rooms || (rooms->is_object() && rooms->as_object().empty());
    (no_rooms && string_field(answer, "next") == run.since[p.user] ? empty : other)++;
    held_ms.push_back(seconds_between(p.sent_at, p.answered_at) * 1000);
  }
  std::printf("  answers: %zu empty with next == since (a timeout), %zu with something else\n", empty, other);
  if (!held_ms.empty()) std::printf("  held for (ms): %s\n", latency_line(held_ms).c_str());
  errors.print("poll");
}

awaitable<void> idle_workload(Env& env, IdleOptions options) {
  IdleRun run{options};
  std::printf(
      "idle: %zu long polls (timeout %u ms) from %zu users (%zu polls per user, sharing its token), each on "
      "its own connection\n",
      options.polls, options.poll_timeout_ms, options.users,
      (options.polls + options.users - 1) / options.users);
  run.users = co_await register_users(env, options.users, "i");
  HttpConnection setup(env.ex, env.server);
  auto room = co_await create_room(setup, run.users[0], "idle");
  co_await join_all(env, run.users, [&](std::size_t i) { return i == 0 ? std::string() : room; });
  run.since = co_await initial_syncs(env, run.users);
  for (std::size_t i = 0; i < options.polls; ++i) {
    run.polls.push_back(IdlePoll{std::make_unique<HttpConnection>(env.ex, env.server), i % options.users});
  }
  co_await sleep_for(std::chrono::seconds(1));
  auto base = print_rss(env, "before (users set up):", -1, 0);

  co_await idle_connect_all(run);
  co_await sleep_for(std::chrono::seconds(1));
  print_rss(env, "with the connections open, idle:", base, options.polls);

  WaitGroup group(env.ex);
  auto opened = now_ns();
  for (auto& p : run.polls) group.spawn(hold_poll(run, p));
  while (run.written + run.answered < options.polls) co_await sleep_for(std::chrono::milliseconds(10));
  std::printf("  %zu polls written in %.2f s\n", run.written, seconds_between(opened, now_ns()));
  co_await sleep_for(std::chrono::seconds(2));
  auto held = print_rss(env, "with every poll held:", base, options.polls);
  long peak = held;
  for (int s = 0; s < static_cast<int>(options.hold); ++s) {
    co_await sleep_for(std::chrono::seconds(1));
    peak = std::max(peak, rss_kib(env.server_pid));
  }
  std::printf(
      "  after holding %.0f s more: %zu answered early (before timeout - 1 s), peak RSS %ld KiB "
      "(%.2f KiB per poll over the baseline)\n",
      options.hold, early_answers(run), peak,
      static_cast<double>(peak - base) / static_cast<double>(options.polls));
  if (options.wait_answers) {
    std::printf("  waiting for the server to answer the polls at their timeout...\n");
    std::fflush(stdout);
    co_await group.wait();
    std::printf("  answered early in total: %zu\n", early_answers(run));
    idle_check_answers(run);
    print_rss(env, "after the answers (connections open):", base, options.polls);
  }
  for (auto& p : run.polls) p.conn->close();
  co_await group.wait();
  co_await sleep_for(std::chrono::seconds(2));
  print_rss(env, "after closing every connection:", base, options.polls);
  std::printf("  target: < 10 KiB of server memory per held poll\n");
}

// ---------------------------------------------------------------------------------
// Command line

// "http://HOST:PORT" (or HOST:PORT) to an endpoint.
tcp::endpoint resolve(asio::io_context& io, std::string url) {
  if (url.starts_with("http://")) url.erase(0, 7);
  while (url.ends_with('/')) url.pop_back();
  auto colon = url.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--url needs a port: http://127.0.0.1:PORT");
  tcp::resolver resolver(io);
  return *resolver.resolve(url.substr(0, colon), url.substr(colon + 1)).begin();
}

// Runs a workload to completion on one thread; returns the exit code.
int run(Env env, asio::io_context& io, std::function<awaitable<void>(Env&)> workload) {
  int code = 0;
  asio::co_spawn(
      io, [&]() -> awaitable<void> { co_await workload(env); },
      [&](std::exception_ptr error) {
        if (!error) return;
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "chat_load: %s\n", e.what());
        }
        code = 1;
      });
  io.run();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chat_load: load generator for the BarTAB chat API"};
  app.require_subcommand(1);
  std::string url;
  int server_pid = 0;
  std::string prefix = "lg" + std::to_string(getpid() % 100000);
  app.add_option("--url", url, "Server base URL, http://127.0.0.1:PORT")->required();
  app.add_option("--server-pid", server_pid, "PID of the server, for its RSS and CPU time");
  app.add_option("--prefix", prefix, "Prefix of the usernames this run registers");

  SendsOptions sends;
  auto* s = app.add_subcommand("sends", "Durable sends from concurrent senders");
  s->add_option("--senders", sends.senders, "Concurrent senders (one connection and user each)")
      ->capture_default_str();
  s->add_option("--rooms", sends.rooms, "Rooms the senders are spread over")->capture_default_str();
  s->add_option("--duration", sends.duration, "Seconds measured")->capture_default_str();
  s->add_option("--warmup", sends.warmup, "Seconds of sending before measuring")->capture_default_str();
  s->add_option("--body-bytes", sends.body_bytes, "Filler bytes in each message body")->capture_default_str();

  FanoutOptions fanout;
  auto* f = app.add_subcommand("fanout", "Messages fanned out to long-polling members");
  f->add_option("--members", fanout.members, "Members of the room, each long-polling")->capture_default_str();
  f->add_option("--senders", fanout.senders, "Members that also send")->capture_default_str();
  f->add_option("--messages", fanout.messages, "Messages sent in total")->capture_default_str();
  f->add_option("--poll-timeout", fanout.poll_timeout_ms, "Sync timeout (ms)")->capture_default_str();
  f->add_option("--rate", fanout.rate, "Messages/s over all senders (0: closed loop)")->capture_default_str();
  f->add_option("--grace", fanout.grace, "Seconds to wait for late deliveries")->capture_default_str();

  IdleOptions idle;
  auto* i = app.add_subcommand("idle", "Idle long polls held open, server memory per poll");
  i->add_option("--polls", idle.polls, "Long polls held at once")->capture_default_str();
  i->add_option("--users", idle.users, "Users the polls are spread over")->capture_default_str();
  i->add_option("--poll-timeout", idle.poll_timeout_ms, "Sync timeout (ms)")->capture_default_str();
  i->add_option("--hold", idle.hold, "Seconds to hold every poll while sampling RSS")->capture_default_str();
  i->add_option("--connect-parallel", idle.connect_parallel, "Connects in flight at once")
      ->capture_default_str();
  i->add_option("--wait-answers", idle.wait_answers, "Wait for the timeout answers (true/false)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    asio::io_context io{1};
    Env env{io.get_executor(), resolve(io, url), prefix, server_pid};
    if (*s) return run(env, io, [sends](Env& e) { return sends_workload(e, sends); });
    if (*f) return run(env, io, [fanout](Env& e) { return fanout_workload(e, fanout); });
    return run(env, io, [idle](Env& e) { return idle_workload(e, idle); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chat_load: %s\n", e.what());
    return 1;
  }
}
