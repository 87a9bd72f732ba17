// Token verification (uncached signature check and the verifier's cache hit), token
// signing, and the Argon2id verification that bounds login latency.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/clock.hpp"
#include "core/crypto/crypto.hpp"
#include "core/tokens/jwt.hpp"
#include "core/tokens/verifier.hpp"

namespace {

using namespace bartab::core;

struct Fixture {
  Fixture() {
    crypto::init();
    key = crypto::ed25519_generate();
    keys["k1"] = key.public_key;
    claims.iss = "http://issuer";
    claims.sub = "usr_0123456789abcdefghij";
    claims.aud = {"bartab"};
    claims.iat = clock.now_s();
    claims.exp = claims.iat + 900;
    claims.jti = "jti0123456789abcdefghi";
    claims.scope = "chat media";
    claims.sid = "ses_0123456789abcdefghij";
    claims.kind = "user";
    claims.name = "alice";
    token = tokens::sign_access_token(claims, "k1", key);
  }
  SystemClock clock;
  crypto::Ed25519KeyPair key;
  tokens::KeySet keys;
  tokens::AccessClaims claims;
  std::string token;
};

void BM_SignAccessToken(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(tokens::sign_access_token(f.claims, "k1", f.key));
}
BENCHMARK(BM_SignAccessToken);

void BM_VerifyUncached(benchmark::State& state) {
  Fixture f;
  tokens::VerifyOptions options{"http://issuer", "bartab", f.clock.now_s(), 30};
  for (auto _ : state) benchmark::DoNotOptimize(tokens::verify_access_token(f.token, f.keys, options));
}
BENCHMARK(BM_VerifyUncached);

void BM_VerifyCached(benchmark::State& state) {
  Fixture f;
  tokens::TokenVerifier verifier({.issuer = "http://issuer"}, f.clock);
  verifier.set_keys(f.keys);
  boost::asio::io_context io;
  auto once = [&] {
    boost::asio::co_spawn(io, verifier.verify(f.token), boost::asio::detached);
    io.restart();
    io.run();
  };
  once();  // fills the cache
  for (auto _ : state) once();
}
BENCHMARK(BM_VerifyCached);

// The CPU floor of a login: one Argon2id verification at OWASP's minimum parameters.
void BM_PasswordVerifyOwaspMinimum(benchmark::State& state) {
  crypto::init();
  auto phc = crypto::password_hash("correct horse battery", crypto::PasswordParams{});
  for (auto _ : state) benchmark::DoNotOptimize(crypto::password_verify(phc, "correct horse battery"));
}
BENCHMARK(BM_PasswordVerifyOwaspMinimum)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
