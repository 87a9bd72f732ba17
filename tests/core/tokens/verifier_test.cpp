// The token verifier against a JWKS served over HTTP by an in-process server.
#include "core/tokens/verifier.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "core/errors.hpp"
#include "core/http/server.hpp"

namespace bartab::core::tokens {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

std::string jwk(const std::string& kid, const crypto::Ed25519KeyPair& key) {
  return R"({"kty":"OKP","crv":"Ed25519","kid":")" + kid + R"(","x":")" +
         crypto::base64url_encode(key.public_key.data(), 32) + R"(","alg":"EdDSA","use":"sig"})";
}

// Serves GET /jwks with whatever document the test sets; counts requests.
class JwksServer {
 public:
  JwksServer() {
    router_.add({bhttp::verb::get, "/jwks", [this](http::Request&) -> boost::asio::awaitable<http::Response> {
                   ++hits;
                   std::lock_guard lock(mutex_);
                   co_return http::json_response(200, boost::json::parse(document_));
                 }});
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.threads = 1;
    options.handle_signals = false;
    server_ = std::make_unique<http::Server>(options, router_, metrics_);
    server_->listen();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~JwksServer() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    server_->request_stop();
    thread_.join();
  }
  void set(std::string document) {
    std::lock_guard lock(mutex_);
    document_ = std::move(document);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/jwks"; }
  std::atomic<int> hits{0};

 private:
  std::mutex mutex_;
  std::string document_ = R"({"keys":[]})";
  http::Router router_;
  HttpMetrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    k1_ = crypto::ed25519_generate();
    k2_ = crypto::ed25519_generate();
    jwks_.set(R"({"keys":[)" + jwk("k1", k1_) + "]}");
    options_.jwks_url = jwks_.url();
    options_.issuer = "http://issuer";
    options_.refetch_cooldown = 60s;
    options_.retry_interval = 20ms;
  }

  std::string token(const std::string& kid, const crypto::Ed25519KeyPair& key, std::int64_t ttl = 900) {
    AccessClaims c;
    c.iss = "http://issuer";
    c.sub = "usr_1";
    c.aud = {"bartab"};
    c.iat = clock_.now_s();
    c.exp = c.iat + ttl;
    c.jti = "j";
    c.scope = "chat";
    c.sid = "s";
    c.kind = "user";
    c.name = "alice";
    return sign_access_token(c, kid, key);
  }

  // Runs verify() to completion; returns the error code or nullopt on success.
  std::optional<ErrorCode> check(TokenVerifier& verifier, const std::string& t) {
    auto future = boost::asio::co_spawn(io_, verifier.verify(t), boost::asio::use_future);
    // The verifier's refresh timer keeps io_ busy: run until this answer is in.
    io_.restart();
    for (int i = 0; i < 500 && future.wait_for(0s) != std::future_status::ready; ++i) io_.run_for(10ms);
    try {
      future.get();
      return std::nullopt;
    } catch (const ApiError& e) {
      return e.code();
    }
  }

  void start_and_wait(TokenVerifier& verifier) {
    verifier.start(io_.get_executor());
    for (int i = 0; i < 200 && !verifier.ready(); ++i) io_.run_for(10ms);
    ASSERT_TRUE(verifier.ready());
  }

  ManualClock clock_{1'800'000'000'000};
  JwksServer jwks_;
  VerifierOptions options_;
  boost::asio::io_context io_;
  crypto::Ed25519KeyPair k1_, k2_;
};

TEST_F(VerifierTest, NotReadyUntilItHoldsAKeySet) {
  jwks_.set(R"({"keys":[]})");
  TokenVerifier verifier(options_, clock_);
  EXPECT_FALSE(verifier.ready());
  EXPECT_FALSE(verifier.check().ok);
  EXPECT_EQ(check(verifier, token("k1", k1_)), ErrorCode::unavailable);
  verifier.start(io_.get_executor());
  io_.restart();
  io_.run_for(100ms);
  EXPECT_FALSE(verifier.ready()) << "an empty key set is not a key set";
  jwks_.set(R"({"keys":[)" + jwk("k1", k1_) + "]}");
  for (int i = 0; i < 100 && !verifier.ready(); ++i) io_.run_for(10ms);
  EXPECT_TRUE(verifier.ready()) << "retries until the first success";
  verifier.stop();
}

TEST_F(VerifierTest, VerifiesAndCaches) {
  TokenVerifier verifier(options_, clock_);
  start_and_wait(verifier);
  auto t = token("k1", k1_);
  EXPECT_EQ(check(verifier, t), std::nullopt);
  EXPECT_EQ(check(verifier, t), std::nullopt);
  EXPECT_EQ(verifier.stats().cache_hits, 1u);
  EXPECT_EQ(check(verifier, token("k1", k2_)), ErrorCode::unauthorized) << "signed by an unpublished key";
  verifier.stop();
}

TEST_F(VerifierTest, CachedTokensStillExpire) {
  TokenVerifier verifier(options_, clock_);
  start_and_wait(verifier);
  auto t = token("k1", k1_, 60);
  EXPECT_EQ(check(verifier, t), std::nullopt);
  clock_.advance_ms(60'000 + 30'000);
  EXPECT_EQ(check(verifier, t), ErrorCode::unauthorized);
  verifier.stop();
}

TEST_F(VerifierTest, UnknownKidRefetchesAtMostOncePerCooldown) {
  TokenVerifier verifier(options_, clock_);
  start_and_wait(verifier);
  int before = jwks_.hits;
  jwks_.set(R"({"keys":[)" + jwk("k1", k1_) + "," + jwk("k2", k2_) + "]}");
  EXPECT_EQ(check(verifier, token("k2", k2_)), std::nullopt) << "a rotation learnt by refetching";
  EXPECT_EQ(jwks_.hits, before + 1);
  EXPECT_EQ(check(verifier, token("k3", k2_)), ErrorCode::unauthorized);
  EXPECT_EQ(check(verifier, token("k4", k2_)), ErrorCode::unauthorized);
  EXPECT_EQ(jwks_.hits, before + 1) << "no refetch storm from unknown kids";
  verifier.stop();
}

TEST_F(VerifierTest, KeepsServingWhenAuthGoesAway) {
  TokenVerifier verifier(options_, clock_);
  start_and_wait(verifier);
  jwks_.stop();
  EXPECT_EQ(check(verifier, token("k1", k1_)), std::nullopt);
  EXPECT_TRUE(verifier.ready());
  verifier.stop();
}

TEST(Jwks, ParsingKeepsOnlyEd25519SigningKeys) {
  crypto::init();
  auto k = crypto::ed25519_generate();
  auto x = crypto::base64url_encode(k.public_key.data(), 32);
  auto set = parse_jwks(R"({"keys":[{"kty":"RSA","kid":"r","n":"x","e":"AQAB"},)"
                        R"({"kty":"OKP","crv":"X25519","kid":"x","x":")" +
                        x +
                        R"("},)"
                        R"({"kty":"OKP","crv":"Ed25519","kid":"enc","x":")" +
                        x +
                        R"(","use":"enc"},)"
                        R"({"kty":"OKP","crv":"Ed25519","kid":"short","x":"AAAA"},)"
                        R"({"kty":"OKP","crv":"Ed25519","kid":"good","x":")" +
                        x + R"("}]})");
  ASSERT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.contains("good"));
  EXPECT_THROW(parse_jwks("[]"), std::runtime_error);
  EXPECT_THROW(parse_jwks(R"({"keys":[]})"), std::runtime_error);
  EXPECT_THROW(parse_jwks("{"), std::runtime_error);
}

}  // namespace
}  // namespace bartab::core::tokens
