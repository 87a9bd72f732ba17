#include "core/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <string>

#include "core/errors.hpp"

namespace bartab::core {

boost::json::value parse_json(std::string_view text, const JsonLimits& limits) {
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::error_code ec;
  auto value = boost::json::parse(text, ec, {}, options);
  if (ec == boost::json::error::too_deep) {
    throw_bad_request("JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  if (ec) throw_bad_request("invalid JSON: " + ec.message());
  return value;
}

boost::json::object parse_json_object(std::string_view text, const JsonLimits& limits) {
  if (text.empty()) throw_bad_request("a JSON object body is required");
  auto value = parse_json(text, limits);
  if (!value.is_object()) throw_bad_request("the body must be a JSON object");
  return std::move(value.as_object());
}

std::string required_string(const boost::json::object& body, std::string_view key) {
  const auto* v = body.if_contains(key);
  if (v == nullptr || !v->is_string()) throw_bad_request(std::string(key) + " is required (a string)");
  return std::string(v->get_string());
}

std::optional<std::string> optional_string(const boost::json::object& body, std::string_view key) {
  const auto* v = body.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw_bad_request(std::string(key) + " must be a string");
  return std::string(v->get_string());
}

}  // namespace bartab::core
