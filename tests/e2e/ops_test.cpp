// The operational endpoints of the real binary, in each process shape.
#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <csignal>
#include <thread>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

boost::json::value json_of(const Reply& reply) {
  return boost::json::parse(reply.body);
}

TEST(Ops, HealthzAnswersOk) {
  RunningServer server;
  auto reply = http(server.port, "GET", "/healthz");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(json_of(reply), boost::json::parse(R"({"status":"ok"})"));
  EXPECT_EQ(reply.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_FALSE(reply.header("X-Request-Id").empty());
}

TEST(Ops, ReadyzReportsChecksAndFailsWhenTheDataDirectoryGoes) {
  RunningServer server;
  auto ready = http(server.port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u);
  EXPECT_EQ(json_of(ready).at("status").as_string(), "ready");
  EXPECT_EQ(json_of(ready).at("checks").at("disk").at("status").as_string(), "ok");

  std::filesystem::remove_all(server.data.path());
  auto failing = http(server.port, "GET", "/readyz");
  EXPECT_EQ(failing.status, 503u);
  auto body = json_of(failing);
  EXPECT_EQ(body.at("checks").at("disk").at("status").as_string(), "fail");
  EXPECT_FALSE(body.at("checks").at("disk").at("detail").as_string().empty());
  EXPECT_EQ(body.at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(http(server.port, "GET", "/healthz").status, 200u) << "liveness does not depend on readiness";
}

TEST(Ops, WellKnownNamesVersionAndServiceUrls) {
  RunningServer server;
  auto body = json_of(http(server.port, "GET", "/.well-known/bartab"));
  EXPECT_EQ(body.at("version").as_string(), "0.1.0");
  auto base = "http://127.0.0.1:" + std::to_string(server.port);
  for (const char* svc : {"auth", "chat", "media"})
    EXPECT_EQ(body.at("services").at(svc).as_string(), base) << svc;
}

TEST(Ops, WellKnownUsesTheConfiguredPublicUrls) {
  RunningServer server({"--set", "server.public_url=https://chat.example.org/"},
                       {"BARTAB_SERVICES_MEDIA_URL=https://media.example.org"});
  auto body = json_of(http(server.port, "GET", "/.well-known/bartab"));
  EXPECT_EQ(body.at("services").at("auth").as_string(), "https://chat.example.org");
  EXPECT_EQ(body.at("services").at("chat").as_string(), "https://chat.example.org");
  EXPECT_EQ(body.at("services").at("media").as_string(), "https://media.example.org");
}

TEST(Ops, MetricsExposeRequestsConnectionsAndMemory) {
  RunningServer server;
  http(server.port, "GET", "/healthz");
  http(server.port, "GET", "/healthz");
  http(server.port, "GET", "/does-not-exist");
  // Requests are recorded once their answer is written, a moment after the client has
  // it: scrape until the last one shows.
  Reply reply;
  for (int i = 0; i < 200; ++i) {
    reply = http(server.port, "GET", "/metrics");
    if (reply.body.find("status=\"404\"} 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.header("Content-Type").starts_with("text/plain; version=0.0.4"));
  const auto& text = reply.body;
  EXPECT_NE(text.find("bartab_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("route=\"unmatched\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(
      text.find(
          "bartab_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 2"),
      std::string::npos);
  EXPECT_NE(text.find("\nbartab_http_connections "), std::string::npos);
  EXPECT_EQ(text.find("\nbartab_http_connections 0\n"), std::string::npos)
      << "the scrape's own connection counts";
  EXPECT_NE(text.find("bartab_http_requests_in_flight 1\n"), std::string::npos) << "the scrape itself";
  auto rss = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(rss, std::string::npos);
  EXPECT_GT(std::stoull(text.substr(rss + 31)), 1u << 20);
}

TEST(Ops, EverySingleServiceShapeServesTheOperationalEndpoints) {
  for (const char* shape : {"auth", "chat", "media"}) {
    RunningServer server({}, {}, shape);
    for (const char* path : {"/healthz", "/.well-known/bartab", "/metrics"}) {
      EXPECT_EQ(http(server.port, "GET", path).status, 200u) << shape << " " << path;
    }
    // Alone, chat and media have no auth to fetch a JWKS from: they answer, but are
    // not ready.
    auto ready = http(server.port, "GET", "/readyz");
    bool needs_auth = std::string(shape) != "auth";
    EXPECT_EQ(ready.status, needs_auth ? 503u : 200u) << shape << ": " << ready.body;
    EXPECT_NE(server.process.output().find("(" + std::string(shape) + ")"), std::string::npos);
  }
}

TEST(Ops, UnknownRoutesAndMethodsGetTheErrorEnvelope) {
  RunningServer server;
  auto missing = http(server.port, "GET", "/v1/nothing-here");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(json_of(missing).at("error").at("code").as_string(), "not_found");
  auto wrong = http(server.port, "POST", "/healthz");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.header("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(json_of(wrong).at("error").at("code").as_string(), "method_not_allowed");
}

TEST(Ops, RequestIdIsEchoedOrMade) {
  RunningServer server;
  EXPECT_EQ(http(server.port, "GET", "/healthz", {{"X-Request-Id", "abc-123"}}).header("X-Request-Id"),
            "abc-123");
  auto a = http(server.port, "GET", "/healthz").header("X-Request-Id");
  auto b = http(server.port, "GET", "/healthz").header("X-Request-Id");
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
}

TEST(Ops, AccessLogHasOneLinePerRequest) {
  RunningServer server;
  http(server.port, "GET", "/healthz", {{"X-Request-Id", "log-me-1"}});
  ASSERT_TRUE(server.process.wait_for_output("id=log-me-1", 2s)) << server.process.output();
  auto out = server.process.output();
  auto line = out.substr(out.rfind('\n', out.find("id=log-me-1")) + 1);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find("GET /healthz 200 15B "), std::string::npos) << line;
  EXPECT_NE(line.find("us id=log-me-1"), std::string::npos) << line;
}

TEST(Ops, JsonLogFormatWritesOneObjectPerLine) {
  RunningServer server({"--set", "log.format=json"});
  http(server.port, "GET", "/healthz", {{"X-Request-Id", "json-1"}});
  ASSERT_TRUE(server.process.wait_for_output("json-1", 2s));
  std::istringstream lines(server.process.output());
  std::string line;
  bool saw_access = false;
  int count = 0;
  while (std::getline(lines, line)) {
    // The one-time admin invite is a plain line in every format, for operators to find.
    if (line.empty() || line.starts_with("admin invite: ")) continue;
    auto value = boost::json::parse(line);  // throws if any line is not JSON
    ++count;
    const auto& obj = value.as_object();
    EXPECT_TRUE(obj.contains("ts"));
    EXPECT_TRUE(obj.contains("level"));
    if (obj.at("logger").as_string() == "access" && obj.at("request_id").as_string() == "json-1") {
      saw_access = true;
      EXPECT_EQ(obj.at("method").as_string(), "GET");
      EXPECT_EQ(obj.at("route").as_string(), "/healthz");
      EXPECT_EQ(obj.at("status").as_int64(), 200);
      EXPECT_EQ(obj.at("bytes").as_int64(), 15);
      EXPECT_TRUE(obj.at("us").is_int64());
    }
  }
  EXPECT_GE(count, 2);
  EXPECT_TRUE(saw_access);
}

TEST(Ops, CorsPreflightWorksWhenConfigured) {
  RunningServer server({"--set", "server.cors_origins=https://app.example"});
  auto preflight = http(server.port, "OPTIONS", "/readyz",
                        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(preflight.status, 204u);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
  auto simple = http(server.port, "GET", "/healthz", {{"Origin", "https://app.example"}});
  EXPECT_EQ(simple.header("Access-Control-Allow-Origin"), "https://app.example");
  auto refused = http(server.port, "OPTIONS", "/readyz",
                      {{"Origin", "https://other.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(refused.status, 403u);
}

TEST(Ops, SigtermAndSigintDrainAndExitZero) {
  for (int signo : {SIGTERM, SIGINT}) {
    RunningServer server;
    TestClient idle(server.port);
    EXPECT_EQ(idle.request("GET", "/healthz").status, 200u);
    // A request whose head is half sent when the signal comes is still answered.
    TestClient busy(server.port);
    busy.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(100ms);
    server.process.send_signal(signo);
    std::this_thread::sleep_for(100ms);
    busy.send_raw("\r\n");
    auto reply = busy.read_reply();
    EXPECT_EQ(reply.status, 200u);
    EXPECT_FALSE(reply.keep_alive);
    EXPECT_TRUE(idle.closed_within(2000ms));
    auto status = server.process.wait_exit(5s);
    EXPECT_TRUE(status.exited) << "signal " << signo;
    EXPECT_EQ(status.code, 0);
    EXPECT_NE(server.process.output().find("bartab stopped"), std::string::npos);
  }
}

TEST(Ops, ShutdownTimeoutClosesStuckConnectionsAndExitsZero) {
  RunningServer server({"--set", "server.shutdown_timeout_ms=300"});
  TestClient stuck(server.port);
  stuck.send_raw("GET /healthz HTTP/1.1\r\n");  // never finished
  std::this_thread::sleep_for(100ms);
  server.process.send_signal(SIGTERM);
  auto status = server.process.wait_exit(5s);
  EXPECT_TRUE(status.exited) << "signal " << status.signal << "\n" << server.process.output();
  EXPECT_EQ(status.code, 0);
  EXPECT_NE(server.process.output().find("shutdown timeout"), std::string::npos);
}

TEST(Ops, SecondSignalStopsAtOnce) {
  RunningServer server({"--set", "server.shutdown_timeout_ms=30000"});
  TestClient stuck(server.port);
  stuck.send_raw("GET /healthz HTTP/1.1\r\n");
  std::this_thread::sleep_for(100ms);
  server.process.send_signal(SIGTERM);
  ASSERT_TRUE(server.process.wait_for_output("draining", 2s));
  server.process.send_signal(SIGTERM);
  auto status = server.process.wait_exit(3s);
  EXPECT_TRUE(status.exited) << "signal " << status.signal;
  EXPECT_EQ(status.code, 0);
}

}  // namespace
}  // namespace bartab::testing
