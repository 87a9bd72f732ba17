// One keep-alive HTTP/1.1 connection to the server (plain http://), with a deadline on
// every operation. Requests on it are serialised. A request that fails because a
// reused connection was dropped is sent once more on a fresh one when that is safe:
// always for idempotent methods (GET, HEAD, PUT, DELETE), for POST only when nothing
// was sent yet (the connection is checked for a peer close before a POST goes out).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bartab/sdk/async_mutex.hpp"

namespace bartab::sdk {

// Where a base URL `http://host[:port][/prefix]` points.
struct Endpoint {
  std::string host;
  std::string port;
  std::string host_header;  // host[:port] as written
  std::string base_path;    // the prefix without a trailing slash, often ""
};

// Throws std::invalid_argument for anything but an absolute http:// URL.
Endpoint parse_base_url(std::string_view url);

struct Outgoing {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;         // path and query, below the base path
  std::string authorization;  // the Authorization header, or empty
  std::string content_type;   // empty: no body
  std::string body;
  std::optional<std::filesystem::path> body_file;  // streamed from disk instead of `body`
  std::optional<std::filesystem::path> save_to;    // a 2xx answer's body goes to this file
  std::chrono::milliseconds timeout{0};            // 0: the connection's default
};

struct Incoming {
  unsigned status = 0;
  std::string body;  // empty when saved to a file
  std::string content_type;
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, Endpoint endpoint, std::chrono::milliseconds timeout,
                 std::size_t max_body_bytes);

  // Throws TransportError when no answer came; any status is an answer.
  boost::asio::awaitable<Incoming> request(Outgoing out);
  // Aborts what is in flight (it fails with TransportError) and drops the connection.
  void cancel();

 private:
  boost::asio::awaitable<void> connect();
  boost::asio::awaitable<Incoming> exchange(const Outgoing& out);
  boost::asio::awaitable<void> write(const Outgoing& out);
  boost::asio::awaitable<Incoming> read(const Outgoing& out);
  bool peer_closed();
  void drop();

  boost::asio::any_io_executor executor_;
  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::size_t max_body_bytes_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  AsyncMutex mutex_;
  std::uint64_t cancels_ = 0;  // cancel() calls so far: a cancelled request is not retried
};

}  // namespace bartab::sdk
