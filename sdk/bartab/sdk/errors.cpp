// Maps an error answer's status and body to an ApiError.
#include "bartab/sdk/errors.hpp"

#include <boost/json.hpp>

namespace bartab::sdk {

namespace json = boost::json;

namespace {

// The code a status means when the body names none (a proxy's HTML page, say).
std::string code_for_status(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 416:
      return "range_not_satisfiable";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "http_" + std::to_string(status);
  }
}

std::string string_or(const json::object& object, std::string_view key, std::string fallback) {
  const auto* found = object.if_contains(key);
  if (found == nullptr || !found->is_string()) return fallback;
  return std::string(found->as_string());
}

}  // namespace

ApiError api_error_from_response(int status, const std::string& body) {
  auto fallback_code = code_for_status(status);
  auto fallback_message = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return {status, fallback_code, fallback_message};
  const auto& object = parsed.as_object();
  const auto* error = object.if_contains("error");
  if (error == nullptr) return {status, fallback_code, fallback_message};
  // RFC 6749 (the token endpoint): {"error": "invalid_grant", "error_description": "..."}
  if (error->is_string()) {
    auto code = std::string(error->as_string());
    return {status, code, string_or(object, "error_description", code)};
  }
  // Everything else: {"error": {"code": "...", "message": "..."}}
  if (!error->is_object()) return {status, fallback_code, fallback_message};
  auto code = string_or(error->as_object(), "code", fallback_code);
  return {status, code, string_or(error->as_object(), "message", code)};
}

}  // namespace bartab::sdk
