// The request a handler receives and the response it returns.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/json.hpp"

namespace bartab::core::http {

namespace bhttp = boost::beast::http;

using StringResponse = bhttp::response<bhttp::string_body>;

// An open file descriptor, closed when the last owner lets go.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle();
  FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A body streamed from a file: `length` bytes from `offset` (the server sends them
// with sendfile, so the bytes never pass through user space). The head's
// Content-Length is set from `length`.
struct FileResponse : bhttp::response<bhttp::empty_body> {
  FileHandle file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// Bodies come either from memory or from a file (media).
using Response = std::variant<StringResponse, FileResponse>;

// The status line and headers of either kind of response.
bhttp::response_header<>& head(Response& response);

struct PathParam {
  std::string name;
  std::string value;  // percent-decoded
};

// The body of a request on a route that streams it (RouteOptions::stream_body): read
// piece by piece straight off the socket, within the route's body limit and the
// server's body timeout, so it is never whole in memory. `Expect: 100-continue` is
// answered on the first read, after the handler has authenticated the request.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Fills the front of `into` with the next bytes of the body; 0 once it is complete.
  // Throws ApiError: payload_too_large past the route's limit, bad_request when the
  // body is malformed, stalls or the client goes away.
  virtual boost::asio::awaitable<std::size_t> read_some(std::span<char> into) = 0;
  // The Content-Length the client declared, if any (chunked bodies have none).
  virtual std::optional<std::uint64_t> declared_length() const = 0;
};

struct Request {
  bhttp::request<bhttp::string_body> message;
  std::vector<PathParam> params;
  std::string request_id;
  boost::asio::ip::address remote;
  JsonLimits json_limits;
  // Set only on routes with RouteOptions::stream_body (whose `message` has no body).
  BodyStream* body_stream = nullptr;

  // A path parameter by name; asserts that the route declares it.
  std::string_view param(std::string_view name) const;
  // A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  // The body as a JSON object, enforcing the JSON content type and depth limit.
  boost::json::object json_object() const;
};

// A JSON response with the API's content type.
Response json_response(unsigned status, const boost::json::value& body);
// An empty response (204 and the like).
Response empty_response(unsigned status);

}  // namespace bartab::core::http
