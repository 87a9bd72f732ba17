// The HTTP/1.1 server: Boost.Beast on C++20 coroutines, one io_context and thread per
// core. It owns the request lifecycle that every route shares: limits and timeouts
// (set right before each socket read), routing with 404/405, CORS, X-Request-Id,
// error mapping, metrics and the access log, keep-alive and graceful drain.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/http/cors.hpp"
#include "core/http/router.hpp"
#include "core/json.hpp"
#include "core/metrics.hpp"

namespace bartab::core::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;
  unsigned threads = 0;  // 0: one per core
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  JsonLimits json;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds shutdown_timeout{10000};
  std::vector<std::string> cors_origins;
  bool handle_signals = true;  // SIGINT/SIGTERM start a graceful drain
};

class Server {
 public:
  // The router must outlive the server and be complete when run() starts, which
  // configures `metrics` with one slot per route plus one for unmatched requests.
  Server(ServerOptions options, const Router& router, HttpMetrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (and takes over SIGINT/SIGTERM when handle_signals); throws
  // boost::system::system_error when the address cannot be used.
  void listen();
  std::uint16_t port() const { return port_; }

  // Runs the worker threads until the server has drained after a stop request.
  void run();

  // Starts a graceful drain from any thread: stop accepting, close idle connections,
  // run the drain hooks (services answer held long polls), let in-flight requests
  // finish, then stop after shutdown_timeout at the latest.
  void request_stop();
  bool draining() const { return draining_.load(); }

  // Called once on the first worker thread when a drain starts. Register before run().
  void on_drain(std::function<void()> hook);

  // The executor of the first worker (for services' background tasks and timers).
  boost::asio::io_context& main_context();

 private:
  struct Worker;
  struct Connection;
  class Session;

  void begin_drain();
  void finish_when_drained(std::chrono::steady_clock::time_point deadline);

  ServerOptions options_;
  const Router& router_;
  HttpMetrics& metrics_;
  Cors cors_;
  std::vector<std::unique_ptr<Worker>> workers_;
  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  // Installed by listen(), before anyone can learn the port: a signal that arrives
  // before run() is queued, not fatal.
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::vector<std::function<void()>> drain_hooks_;
};

// Metric labels for a router: one per route, then "unmatched".
std::vector<RouteLabel> metric_labels(const Router& router);

}  // namespace bartab::core::http
