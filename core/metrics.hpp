// Prometheus metrics of the HTTP layer and the process. Counters are lock-free
// atomics in slots fixed at start-up (one per route plus one for unmatched requests),
// so recording a request never takes a lock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bartab::core {

struct RouteLabel {
  std::string method;
  std::string route;
};

class HttpMetrics {
 public:
  // One slot per label; record() takes the slot index. Called once, by the server,
  // before the first request (routes are known only once every service registered).
  void configure(std::vector<RouteLabel> labels);

  void record(std::size_t slot, unsigned status, std::chrono::microseconds latency);
  void connection_opened();
  void connection_closed();
  void request_started();
  void request_finished();

  std::int64_t open_connections() const { return connections_.load(); }
  std::int64_t in_flight() const { return in_flight_.load(); }

  // The Prometheus text exposition (version 0.0.4), process metrics included.
  std::string render() const;

  static constexpr std::array<double, 14> kBucketsSeconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                             0.1,    0.25,  0.5,    1,     2.5,  10,    60};

 private:
  struct Slot {
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
    std::array<std::atomic<std::uint64_t>, kBucketsSeconds.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };

  std::vector<RouteLabel> labels_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::int64_t> connections_{0};
  std::atomic<std::uint64_t> connections_total_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
};

// Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown.
std::uint64_t process_rss_bytes();

}  // namespace bartab::core
