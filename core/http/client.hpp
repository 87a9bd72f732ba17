// A minimal HTTP/1.1 client for service-to-service calls (chat and media fetching the
// JWKS from auth): one request per connection, a deadline on the whole exchange and a
// bound on the response body. Plain http:// only for now (services talk on an internal
// network or loopback); https is refused with a clear error.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace bartab::core::http {

struct ClientReply {
  unsigned status = 0;
  std::string body;
  std::string content_type;
};

class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GET `url`; throws ClientError on a bad URL, network failure, timeout or oversized body.
boost::asio::awaitable<ClientReply> http_get(std::string url, std::chrono::milliseconds timeout,
                                             std::size_t max_body_bytes);

}  // namespace bartab::core::http
