// Bad and hostile input against the real binary: every case gets a clear JSON error
// (or a dropped connection for stalling clients) and the server keeps serving.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

std::string code_of(const Reply& reply) {
  return std::string(boost::json::parse(reply.body).at("error").at("code").as_string());
}

class Limits : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RunningServer({"--set", "limits.header_timeout_ms=500", "--set",
                                 "limits.idle_timeout_ms=800", "--set", "limits.body_timeout_ms=800"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void TearDown() override {
    // Whatever the test did, the server is still answering.
    EXPECT_EQ(http(port(), "GET", "/healthz").status, 200u);
  }
  static std::uint16_t port() { return server_->port; }
  static RunningServer* server_;
};
RunningServer* Limits::server_ = nullptr;

TEST_F(Limits, OversizedHeaderIs431) {
  TestClient client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(17 * 1024, 'c') + "\r\n\r\n");
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 431u);
  EXPECT_EQ(code_of(reply), "request_header_fields_too_large");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(Limits, HeaderJustUnderTheLimitIsServed) {
  auto reply = http(port(), "GET", "/healthz", {{"X-Pad", std::string(15 * 1024, 'p')}});
  EXPECT_EQ(reply.status, 200u);
}

TEST_F(Limits, OversizedBodyIs413BeforeItIsRead) {
  TestClient client(port());
  // Declares 2 MiB but sends nothing: the answer must come from the declaration alone.
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n");
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 413u);
  EXPECT_EQ(code_of(reply), "payload_too_large");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(Limits, ChunkedBodyPastTheLimitIs413) {
  TestClient client(port());
  // A chunk announced at 2 MiB is refused from its size line alone.
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\nabc");
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 413u);
  EXPECT_EQ(code_of(reply), "payload_too_large");
  EXPECT_TRUE(client.closed_within(1000ms));
}

TEST_F(Limits, MalformedRequestLineIs400AndClosed) {
  for (std::string raw :
       {"GET\r\n\r\n", "GET /healthz\r\n\r\n", " / HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.1 extra\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n"}) {
    TestClient client(port());
    client.send_raw(raw);
    auto reply = client.read_reply();
    EXPECT_EQ(reply.status, 400u) << raw;
    EXPECT_EQ(code_of(reply), "bad_request");
    EXPECT_FALSE(reply.keep_alive);
    EXPECT_TRUE(client.closed_within(1000ms));
  }
}

TEST_F(Limits, UnsupportedHttpVersionIs400) {
  TestClient client(port());
  client.send_raw("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.read_reply().status, 400u);
}

TEST_F(Limits, UnknownRouteAndMethod) {
  EXPECT_EQ(http(port(), "GET", "/../../etc/passwd").status, 404u);
  EXPECT_EQ(http(port(), "PATCH", "/metrics").status, 405u);
  EXPECT_EQ(http(port(), "FROB", "/healthz").status, 405u);
}

TEST_F(Limits, SlowClientIsDropped) {
  TestClient client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\n");
  auto began = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    try {
      client.send_raw("X");  // one byte at a time, never finishing the head
    } catch (const std::runtime_error&) {
      closed = true;
      break;
    }
    closed = client.closed_within(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2500ms);
}

TEST_F(Limits, StalledBodyIsDropped) {
  TestClient client(port());
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-a-little");
  EXPECT_TRUE(client.closed_within(3000ms));
}

TEST_F(Limits, IdleKeepAliveConnectionIsClosed) {
  TestClient client(port());
  EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
  EXPECT_TRUE(client.closed_within(3000ms));
}

TEST_F(Limits, ManyConnectionsAtOnceAreAllServed) {
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(std::make_unique<TestClient>(port()));
  for (auto& c : clients) c->send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  for (auto& c : clients) EXPECT_EQ(c->read_reply().status, 200u);
}

}  // namespace
}  // namespace bartab::testing
