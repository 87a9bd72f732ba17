// The two ways a BarTAB call fails: the server answered with an error (ApiError), or
// no answer came at all (TransportError: connect, timeout, reset).
#pragma once

#include <stdexcept>
#include <string>

namespace bartab::sdk {

// A non-2xx answer. `code()` is the server's `error.code` (`not_found`, `forbidden`...)
// or, from the token endpoint, the RFC 6749 `error` (`invalid_grant`...).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// No answer: the connection could not be made, timed out, or was reset.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The ApiError an error answer means, read from its body (either error shape; a body
// that is not JSON still gives the status and a generic code).
ApiError api_error_from_response(int status, const std::string& body);

}  // namespace bartab::sdk
