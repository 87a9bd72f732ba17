// A small HTTP/1.1 test client on Beast with a deadline on every operation, so a test
// can send raw or malformed bytes, read one reply, or see the server close the socket.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bartab::testing {

struct Reply {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = true;

  // A header's value by case-insensitive name, or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class TestClient {
 public:
  explicit TestClient(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Sends bytes as they are.
  void send_raw(std::string_view bytes);
  // Reads one response; throws std::runtime_error on timeout or when the connection
  // closes first. `head_request` tells the parser the response has no body.
  Reply read_reply(bool head_request = false);
  // A complete request on this connection.
  Reply request(std::string_view method, std::string_view target, const Headers& headers = {},
                std::string_view body = {});
  // True when the server closes the connection (EOF or reset) within `wait`.
  bool closed_within(std::chrono::milliseconds wait);

 private:
  boost::asio::io_context context_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

// One request on a fresh connection.
Reply http(std::uint16_t port, std::string_view method, std::string_view target, const Headers& headers = {},
           std::string_view body = {});

}  // namespace bartab::testing
