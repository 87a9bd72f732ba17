// Typed errors for untrusted input and I/O failures. Handlers and services throw
// ApiError; the HTTP layer maps it to a status and the JSON envelope of API.md in one
// place (to_status / error_body), so no handler builds an error response by hand.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bartab::core {

enum class ErrorCode {
  bad_request,
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  payload_too_large,
  request_header_fields_too_large,
  unsupported_media_type,
  range_not_satisfiable,
  rate_limited,
  internal,
  unavailable,
};

// The wire name of a code ("bad_request", ...).
std::string_view code_name(ErrorCode code);

// The HTTP status a code maps to (400, 401, ...).
unsigned to_status(ErrorCode code);

class ApiError : public std::runtime_error {
 public:
  using Header = std::pair<std::string, std::string>;

  ApiError(ErrorCode code, std::string message, std::vector<Header> headers = {})
      : std::runtime_error(std::move(message)), code_(code), headers_(std::move(headers)) {}

  ErrorCode code() const { return code_; }
  // Extra response headers the error demands (Allow, Retry-After, WWW-Authenticate).
  const std::vector<Header>& headers() const { return headers_; }

 private:
  ErrorCode code_;
  std::vector<Header> headers_;
};

// Shorthands for the errors every layer raises.
[[noreturn]] void throw_bad_request(std::string message);
[[noreturn]] void throw_not_found(std::string message);
[[noreturn]] void throw_forbidden(std::string message);

// The JSON envelope {"error":{"code":..,"message":..}} as a string.
std::string error_body(ErrorCode code, std::string_view message);

}  // namespace bartab::core
