// Cost of the per-request work the core does before a handler runs.
#include <benchmark/benchmark.h>

#include "core/http/request_id.hpp"
#include "core/http/router.hpp"
#include "core/json.hpp"

namespace {

using namespace bartab::core;
namespace bhttp = boost::beast::http;

http::Router make_router() {
  http::Router router;
  auto noop = [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::empty_response(204);
  };
  for (const char* p :
       {"/healthz", "/readyz", "/metrics", "/.well-known/bartab", "/v1/rooms", "/v1/rooms/public",
        "/v1/rooms/{room_id}", "/v1/rooms/{room_id}/members", "/v1/rooms/{room_id}/join",
        "/v1/rooms/{room_id}/send/{txn_id}", "/v1/rooms/{room_id}/events",
        "/v1/rooms/{room_id}/events/{event_id}", "/v1/sync", "/v1/media/{media_id}"}) {
    router.add({bhttp::verb::get, p, noop});
  }
  return router;
}

void BM_RouteLiteral(benchmark::State& state) {
  auto router = make_router();
  for (auto _ : state) benchmark::DoNotOptimize(router.match(bhttp::verb::get, "/healthz"));
}
BENCHMARK(BM_RouteLiteral);

void BM_RouteWithParams(benchmark::State& state) {
  auto router = make_router();
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match(bhttp::verb::get, "/v1/rooms/room_abcdef0123456789/send/txn%2042"));
  }
}
BENCHMARK(BM_RouteWithParams);

void BM_NewRequestId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(http::new_request_id());
}
BENCHMARK(BM_NewRequestId);

void BM_ParseJsonBody(benchmark::State& state) {
  std::string body =
      R"({"type":"message","content":{"body":"hello there, this is a message","format":"markdown"}})";
  for (auto _ : state) benchmark::DoNotOptimize(parse_json_object(body, JsonLimits{}));
}
BENCHMARK(BM_ParseJsonBody);

}  // namespace
