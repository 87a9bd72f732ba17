// Chat in its process shapes: it verifies tokens with the JWKS it fetches from auth
// and is not ready without one.
#include <boost/json.hpp>
#include <csignal>
#include <gtest/gtest.h>
#include <thread>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

std::string check_status(std::uint16_t port, const std::string& check) {
  auto body = boost::json::parse(http(port, "GET", "/readyz").body);
  const auto* checks = body.at("checks").as_object().if_contains(check);
  return checks ? std::string(checks->at("status").as_string()) : "absent";
}

bool becomes(std::uint16_t port, const std::string& check, const std::string& status, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check_status(port, check) == status) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(ChatShapes, AllInOneIsReadyOnceChatHoldsItsOwnJwks) {
  RunningServer server;
  EXPECT_TRUE(becomes(server.port, "chat.jwks", "ok", 5s));
  EXPECT_EQ(check_status(server.port, "chat.database"), "ok");
  EXPECT_EQ(http(server.port, "GET", "/readyz").status, 200u);
}

TEST(ChatShapes, ChatAloneIsNotReadyUntilAuthAnswersThenSurvivesAuthGoingAway) {
  TempDir data;
  // Reserve a port for auth by starting it later on a known free port: start chat
  // first pointing at a port nobody listens on yet.
  RunningServer auth_probe({}, {}, "auth");
  auto auth_port = auth_probe.port;
  auth_probe.process.send_signal(SIGTERM);
  ASSERT_TRUE(auth_probe.process.wait_exit(5s).exited);

  auto auth_url = "http://127.0.0.1:" + std::to_string(auth_port);
  RunningServer chat({"--set", "chat.auth_url=" + auth_url, "--set", "services.auth_url=" + auth_url}, {}, "chat");
  auto not_ready = http(chat.port, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_EQ(check_status(chat.port, "chat.jwks"), "fail");
  EXPECT_NE(not_ready.body.find("not ready: chat.jwks"), std::string::npos) << not_ready.body;

  {
    BartabProcess auth({"auth", "--host", "127.0.0.1", "--port", std::to_string(auth_port), "--set",
                        "server.data_dir=" + data.path().string()});
    auth.wait_listening();
    EXPECT_TRUE(becomes(chat.port, "chat.jwks", "ok", 5s)) << "chat fetched auth's JWKS";
    EXPECT_EQ(http(chat.port, "GET", "/readyz").status, 200u);
    auth.send_signal(SIGTERM);
    ASSERT_TRUE(auth.wait_exit(5s).exited);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http(chat.port, "GET", "/readyz").status, 200u) << "a held JWKS keeps chat serving";
}

}  // namespace
}  // namespace bartab::testing
