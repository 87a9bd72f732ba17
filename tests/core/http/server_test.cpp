// The shared request lifecycle of core/http/server.cpp, in process, against test routes.
#include "core/http/server.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <thread>

#include "core/errors.hpp"
#include "support/test_client.hpp"

namespace bartab::core::http {
namespace {

using namespace std::chrono_literals;
using bartab::testing::http;
using bartab::testing::TestClient;
using bhttp::verb;

std::string error_code_of(const bartab::testing::Reply& reply) {
  return std::string(boost::json::parse(reply.body).at("error").at("code").as_string());
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.handle_signals = false;
    if (options.header_timeout == 10000ms) options.header_timeout = 1000ms;
    if (options.idle_timeout == 60000ms) options.idle_timeout = 2000ms;
    options.max_header_bytes = 2048;
    options.max_body_bytes = 1024;
    options.json.max_depth = 4;
    router_.add_all({
        {verb::get, "/ok",
         [](Request& r) -> boost::asio::awaitable<Response> {
           co_return json_response(200, {{"q", r.query("q").value_or("-")}});
         }},
        {verb::post, "/echo",
         [](Request& r) -> boost::asio::awaitable<Response> {
           co_return json_response(200, r.json_object());
         }},
        {verb::post,
         "/big",
         [](Request& r) -> boost::asio::awaitable<Response> {
           co_return json_response(200, {{"size", r.message.body().size()}});
         },
         {.body_limit = 8192}},
        {verb::get, "/items/{id}",
         [](Request& r) -> boost::asio::awaitable<Response> {
           co_return json_response(200, {{"id", r.param("id")}});
         }},
        {verb::get, "/conflict",
         [](Request&) -> boost::asio::awaitable<Response> {
           throw ApiError(ErrorCode::rate_limited, "slow down", {{"Retry-After", "7"}});
           co_return empty_response(204);
         }},
        {verb::get, "/unauthorized",
         [](Request&) -> boost::asio::awaitable<Response> {
           throw ApiError(ErrorCode::unauthorized, "who are you");
           co_return empty_response(204);
         }},
        {verb::get, "/crash",
         [](Request&) -> boost::asio::awaitable<Response> {
           throw std::runtime_error("secret internal detail");
           co_return empty_response(204);
         }},
        {verb::get, "/slow",
         [](Request&) -> boost::asio::awaitable<Response> {
           boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 300ms);
           co_await timer.async_wait(boost::asio::use_awaitable);
           co_return json_response(200, {{"slow", true}});
         }},
    });
    server_ = std::make_unique<Server>(options, router_, metrics_);
    server_->listen();
    thread_ = std::thread([this] { server_->run(); });
  }

  void TearDown() override {
    if (server_) server_->request_stop();
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return server_->port(); }

  Router router_;
  HttpMetrics metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerTest, AnswersWithJsonDateAndRequestId) {
  start();
  auto reply = http(port(), "GET", "/ok?q=a%20b");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(boost::json::parse(reply.body).at("q").as_string(), "a b");
  EXPECT_EQ(reply.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(reply.header("X-Request-Id").size(), 24u);
  EXPECT_TRUE(reply.has_header("Date"));
}

TEST_F(ServerTest, EchoesAPlainRequestIdAndReplacesAnUnsafeOne) {
  start();
  EXPECT_EQ(http(port(), "GET", "/ok", {{"X-Request-Id", "trace-42.a:b_c"}}).header("X-Request-Id"),
            "trace-42.a:b_c");
  auto unsafe = http(port(), "GET", "/ok", {{"X-Request-Id", "bad id\x01"}}).header("X-Request-Id");
  EXPECT_EQ(unsafe.size(), 24u);
  auto too_long =
      http(port(), "GET", "/ok", {{"X-Request-Id", std::string(200, 'a')}}).header("X-Request-Id");
  EXPECT_EQ(too_long.size(), 24u);
}

TEST_F(ServerTest, PathParametersReachTheHandler) {
  start();
  auto reply = http(port(), "GET", "/items/a%2Fb");
  EXPECT_EQ(boost::json::parse(reply.body).at("id").as_string(), "a/b");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowedUseTheEnvelope) {
  start();
  auto missing = http(port(), "GET", "/missing");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_code_of(missing), "not_found");
  auto wrong = http(port(), "DELETE", "/ok");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(error_code_of(wrong), "method_not_allowed");
  EXPECT_EQ(wrong.header("Allow"), "GET, HEAD, OPTIONS");
  auto unknown = http(port(), "BREW", "/ok");
  EXPECT_EQ(unknown.status, 405u);
}

TEST_F(ServerTest, TypedErrorsMapToStatusAndHeaders) {
  start();
  auto limited = http(port(), "GET", "/conflict");
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.header("Retry-After"), "7");
  EXPECT_EQ(error_code_of(limited), "rate_limited");
  auto unauthorized = http(port(), "GET", "/unauthorized");
  EXPECT_EQ(unauthorized.status, 401u);
  EXPECT_TRUE(unauthorized.header("WWW-Authenticate").starts_with("Bearer"));
}

TEST_F(ServerTest, UnexpectedExceptionIs500WithoutDetail) {
  start();
  auto reply = http(port(), "GET", "/crash");
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(error_code_of(reply), "internal");
  EXPECT_EQ(reply.body.find("secret"), std::string::npos);
}

TEST_F(ServerTest, JsonBodiesAreCheckedForTypeSyntaxAndDepth) {
  start();
  EXPECT_EQ(http(port(), "POST", "/echo", {{"Content-Type", "application/json"}}, R"({"a":[1]})").status,
            200u);
  EXPECT_EQ(http(port(), "POST", "/echo", {}, R"({"a":1})").status, 200u) << "no Content-Type: taken as JSON";
  EXPECT_EQ(http(port(), "POST", "/echo", {{"Content-Type", "Application/JSON; charset=UTF-8"}}, R"({"a":1})")
                .status,
            200u)
      << "media types are case-insensitive";
  auto wrong_type = http(port(), "POST", "/echo", {{"Content-Type", "text/plain"}}, R"({"a":1})");
  EXPECT_EQ(wrong_type.status, 415u);
  EXPECT_EQ(error_code_of(wrong_type), "unsupported_media_type");
  auto broken = http(port(), "POST", "/echo", {{"Content-Type", "application/json"}}, R"({"a":)");
  EXPECT_EQ(broken.status, 400u);
  auto deep = http(port(), "POST", "/echo", {{"Content-Type", "application/json"}}, R"({"a":[[[[1]]]]})");
  EXPECT_EQ(deep.status, 400u);
  EXPECT_EQ(error_code_of(deep), "bad_request");
}

TEST_F(ServerTest, BodyLimitsArePerRoute) {
  start();
  std::string body(2000, 'x');
  auto over_default = http(port(), "POST", "/echo", {}, body);
  EXPECT_EQ(over_default.status, 413u);
  EXPECT_EQ(error_code_of(over_default), "payload_too_large");
  EXPECT_FALSE(over_default.keep_alive);
  auto within_route = http(port(), "POST", "/big", {}, body);
  EXPECT_EQ(within_route.status, 200u);
  EXPECT_EQ(boost::json::parse(within_route.body).at("size").as_int64(), 2000);
  EXPECT_EQ(http(port(), "POST", "/big", {}, std::string(9000, 'x')).status, 413u);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  start();
  TestClient client(port());
  std::string chunk(1500, 'x');
  client.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5dc\r\n" + chunk +
                  "\r\n0\r\n\r\n");
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 413u);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimAnswer) {
  start();
  TestClient client(port());
  client.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n");
  auto interim = client.read_reply();
  EXPECT_EQ(interim.status, 100u);
  client.send_raw(R"({"a":1})");
  EXPECT_EQ(client.read_reply().status, 200u);
}

TEST_F(ServerTest, OversizedHeadIs431AndClosed) {
  start();
  TestClient client(port());
  client.send_raw("GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 431u);
  EXPECT_EQ(error_code_of(reply), "request_header_fields_too_large");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(ServerTest, MalformedRequestIs400AndClosed) {
  start();
  for (std::string raw :
       {"GARBAGE\r\n\r\n", "GET /ok HTTP/9.9\r\n\r\n", "GET /ok HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /ok HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    TestClient client(port());
    client.send_raw(raw);
    auto reply = client.read_reply();
    EXPECT_EQ(reply.status, 400u) << raw;
    EXPECT_EQ(error_code_of(reply), "bad_request");
    EXPECT_TRUE(client.closed_within(1000ms)) << raw;
  }
}

TEST_F(ServerTest, AbsoluteFormTargetIsRefused) {
  start();
  EXPECT_EQ(http(port(), "GET", "http://example.org/ok").status, 400u);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  TestClient client(port());
  for (int i = 0; i < 20; ++i) {
    auto reply = client.request("GET", "/ok");
    ASSERT_EQ(reply.status, 200u);
    EXPECT_TRUE(reply.keep_alive);
  }
  auto close = client.request("GET", "/ok", {{"Connection", "close"}});
  EXPECT_FALSE(close.keep_alive);
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(ServerTest, HeadSendsHeadersOnly) {
  start();
  TestClient client(port());
  auto reply = client.request("HEAD", "/ok");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.header("Content-Length"), "9") << "the length a GET would have";
  // The connection is still in sync: the next reply parses.
  EXPECT_EQ(client.request("GET", "/ok").status, 200u);
}

TEST_F(ServerTest, SlowLorisIsDroppedAfterTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 400ms;
  start(options);
  TestClient client(port());
  client.send_raw("GET /ok HTTP/1.1\r\n");
  auto began = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    client.send_raw("X-A: b\r\n");  // a trickle, never finishing the head
    closed = client.closed_within(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1900ms);
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  start(options);
  TestClient client(port());
  EXPECT_EQ(client.request("GET", "/ok").status, 200u);
  EXPECT_TRUE(client.closed_within(3000ms));
}

TEST_F(ServerTest, CorsOffSendsNoCorsHeaders) {
  start();
  auto reply = http(port(), "GET", "/ok", {{"Origin", "https://app.example"}});
  EXPECT_FALSE(reply.has_header("Access-Control-Allow-Origin"));
  auto preflight = http(port(), "OPTIONS", "/ok",
                        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(preflight.status, 403u);
}

TEST_F(ServerTest, CorsAllowsListedOriginsAndAnswersPreflight) {
  ServerOptions options;
  options.cors_origins = {"https://app.example"};
  start(options);
  auto reply = http(port(), "GET", "/ok", {{"Origin", "https://app.example"}});
  EXPECT_EQ(reply.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(reply.header("Vary"), "Origin");
  EXPECT_NE(reply.header("Access-Control-Expose-Headers").find("X-Request-Id"), std::string::npos);

  auto preflight = http(port(), "OPTIONS", "/echo",
                        {{"Origin", "https://app.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.status, 204u);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Headers"), "authorization, content-type");
  EXPECT_FALSE(preflight.header("Access-Control-Max-Age").empty());

  auto other = http(port(), "OPTIONS", "/echo",
                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(other.status, 403u);
  EXPECT_FALSE(other.has_header("Access-Control-Allow-Origin"));
  auto evil = http(port(), "GET", "/ok", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(evil.has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(evil.header("Vary"), "Origin");
  EXPECT_EQ(http(port(), "GET", "/ok").header("Vary"), "Origin")
      << "caches must key on Origin even when absent";
  EXPECT_EQ(http(port(), "OPTIONS", "/nowhere",
                 {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}})
                .status,
            404u);
}

TEST_F(ServerTest, PlainOptionsListsTheAllowedMethods) {
  start();
  auto reply = http(port(), "OPTIONS", "/items/1");
  EXPECT_EQ(reply.status, 204u);
  EXPECT_EQ(reply.header("Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(ServerTest, MetricsCountRequestsByRoute) {
  start();
  http(port(), "GET", "/ok");
  http(port(), "GET", "/ok");
  http(port(), "GET", "/missing");
  // A request is recorded once its answer is written, a moment after the client has it.
  auto has_both = [this] {
    auto text = metrics_.render();
    return text.find("bartab_http_requests_total{method=\"GET\",route=\"/ok\",status=\"200\"} 2\n") !=
               std::string::npos &&
           text.find("route=\"unmatched\",status=\"404\"} 1\n") != std::string::npos;
  };
  for (int i = 0; i < 200 && !has_both(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(has_both()) << metrics_.render();
}

TEST_F(ServerTest, DrainClosesIdleConnectionsAndFinishesInFlightRequests) {
  start();
  TestClient idle(port());
  EXPECT_EQ(idle.request("GET", "/ok").status, 200u);
  TestClient busy(port());
  busy.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  server_->request_stop();
  auto reply = busy.read_reply();
  EXPECT_EQ(reply.status, 200u) << "the request in flight is answered";
  EXPECT_FALSE(reply.keep_alive) << "and told the connection closes";
  EXPECT_TRUE(idle.closed_within(1000ms));
  thread_.join();
  EXPECT_THROW(TestClient(port(), 500ms), std::runtime_error) << "no longer accepting";
}

}  // namespace
}  // namespace bartab::core::http
