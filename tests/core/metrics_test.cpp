#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace bartab::core {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Metrics, CountsByRouteAndStatusWithCumulativeHistogram) {
  HttpMetrics metrics;
  metrics.configure({{"GET", "/a"}, {"POST", "/b"}, {"-", "unmatched"}});
  metrics.record(0, 200, 300us);
  metrics.record(0, 200, 3ms);
  metrics.record(0, 404, 3ms);
  metrics.record(2, 431, 1ms);
  auto text = metrics.render();
  EXPECT_TRUE(contains(text, "bartab_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"));
  EXPECT_TRUE(contains(text, "bartab_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "bartab_http_requests_total{method=\"-\",route=\"unmatched\",status=\"431\"} 1\n"));
  EXPECT_FALSE(contains(text, "route=\"/b\"")) << "routes without requests stay silent";
  EXPECT_TRUE(contains(
      text, "bartab_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(contains(
      text, "bartab_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.005\"} 3\n"));
  EXPECT_TRUE(contains(
      text, "bartab_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "bartab_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 3\n"));
  EXPECT_TRUE(
      contains(text, "bartab_http_request_duration_seconds_sum{method=\"GET\",route=\"/a\"} 0.006300\n"));
}

TEST(Metrics, GaugesFollowConnectionsAndRequests) {
  HttpMetrics metrics;
  metrics.configure({{"-", "unmatched"}});
  metrics.connection_opened();
  metrics.connection_opened();
  metrics.connection_closed();
  metrics.request_started();
  auto text = metrics.render();
  EXPECT_TRUE(contains(text, "bartab_http_connections 1\n"));
  EXPECT_TRUE(contains(text, "bartab_http_connections_total 2\n"));
  EXPECT_TRUE(contains(text, "bartab_http_requests_in_flight 1\n"));
  EXPECT_TRUE(contains(text, "# TYPE process_resident_memory_bytes gauge\n"));
}

TEST(Metrics, ResidentMemoryIsReadFromProc) {
  EXPECT_GT(process_rss_bytes(), 1u << 20);
}

}  // namespace
}  // namespace bartab::core
