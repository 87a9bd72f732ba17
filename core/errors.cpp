#include "core/errors.hpp"

#include <boost/json.hpp>

namespace bartab::core {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::method_not_allowed:
      return "method_not_allowed";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::request_header_fields_too_large:
      return "request_header_fields_too_large";
    case ErrorCode::unsupported_media_type:
      return "unsupported_media_type";
    case ErrorCode::range_not_satisfiable:
      return "range_not_satisfiable";
    case ErrorCode::rate_limited:
      return "rate_limited";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::unavailable:
      return "unavailable";
  }
  return "internal";
}

unsigned to_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::request_header_fields_too_large:
      return 431;
    case ErrorCode::unsupported_media_type:
      return 415;
    case ErrorCode::range_not_satisfiable:
      return 416;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::internal:
      return 500;
    case ErrorCode::unavailable:
      return 503;
  }
  return 500;
}

void throw_bad_request(std::string message) {
  throw ApiError(ErrorCode::bad_request, std::move(message));
}

void throw_not_found(std::string message) {
  throw ApiError(ErrorCode::not_found, std::move(message));
}

void throw_forbidden(std::string message) {
  throw ApiError(ErrorCode::forbidden, std::move(message));
}

std::string error_body(ErrorCode code, std::string_view message) {
  boost::json::object inner;
  inner["code"] = code_name(code);
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

}  // namespace bartab::core
