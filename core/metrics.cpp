#include "core/metrics.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <cassert>
#include <fstream>

#include "core/version.hpp"

namespace bartab::core {
namespace {

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void HttpMetrics::configure(std::vector<RouteLabel> labels) {
  assert(!slots_ && "HttpMetrics::configure is called once");
  labels_ = std::move(labels);
  slots_ = std::make_unique<Slot[]>(labels_.size());
}

void HttpMetrics::record(std::size_t slot, unsigned status, std::chrono::microseconds latency) {
  auto& s = slots_[slot < labels_.size() ? slot : labels_.size() - 1];
  s.by_status[status < 600 ? status : 599].fetch_add(1, std::memory_order_relaxed);
  double seconds = static_cast<double>(latency.count()) / 1e6;
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) {
      s.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

void HttpMetrics::connection_opened() {
  connections_.fetch_add(1, std::memory_order_relaxed);
  connections_total_.fetch_add(1, std::memory_order_relaxed);
}
void HttpMetrics::connection_closed() {
  connections_.fetch_sub(1, std::memory_order_relaxed);
}
void HttpMetrics::request_started() {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}
void HttpMetrics::request_finished() {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

std::string HttpMetrics::render() const {
  std::string out;
  auto emit = [&out](std::string_view text) { out.append(text); };

  emit("# HELP bartab_http_requests_total HTTP requests answered, by route and status.\n");
  emit("# TYPE bartab_http_requests_total counter\n");
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    for (std::size_t status = 0; status < 600; ++status) {
      auto n = slots_[i].by_status[status].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += fmt::format("bartab_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                         escape_label(labels_[i].method), escape_label(labels_[i].route), status, n);
    }
  }

  emit("# HELP bartab_http_request_duration_seconds Time from request head to response sent.\n");
  emit("# TYPE bartab_http_request_duration_seconds histogram\n");
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const auto& s = slots_[i];
    auto count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    auto labels = fmt::format("method=\"{}\",route=\"{}\"", escape_label(labels_[i].method),
                              escape_label(labels_[i].route));
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBucketsSeconds.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      out += fmt::format("bartab_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         kBucketsSeconds[b], cumulative);
    }
    out += fmt::format("bartab_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, count);
    out += fmt::format("bartab_http_request_duration_seconds_sum{{{}}} {:.6f}\n", labels,
                       static_cast<double>(s.sum_micros.load(std::memory_order_relaxed)) / 1e6);
    out += fmt::format("bartab_http_request_duration_seconds_count{{{}}} {}\n", labels, count);
  }

  emit("# HELP bartab_http_connections Open client connections.\n");
  emit("# TYPE bartab_http_connections gauge\n");
  out += fmt::format("bartab_http_connections {}\n", connections_.load());
  emit("# HELP bartab_http_connections_total Client connections accepted.\n");
  emit("# TYPE bartab_http_connections_total counter\n");
  out += fmt::format("bartab_http_connections_total {}\n", connections_total_.load());
  emit("# HELP bartab_http_requests_in_flight Requests being handled now.\n");
  emit("# TYPE bartab_http_requests_in_flight gauge\n");
  out += fmt::format("bartab_http_requests_in_flight {}\n", in_flight_.load());

  emit("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
  emit("# TYPE process_resident_memory_bytes gauge\n");
  out += fmt::format("process_resident_memory_bytes {}\n", process_rss_bytes());
  emit("# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n");
  emit("# TYPE process_start_time_seconds gauge\n");
  out += fmt::format("process_start_time_seconds {}\n",
                     std::chrono::duration_cast<std::chrono::seconds>(started_.time_since_epoch()).count());
  emit("# HELP bartab_build_info Build information.\n");
  emit("# TYPE bartab_build_info gauge\n");
  out += fmt::format("bartab_build_info{{version=\"{}\"}} 1\n", kVersion);
  return out;
}

std::uint64_t process_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace bartab::core
