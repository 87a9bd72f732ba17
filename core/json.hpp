// JSON parsing of untrusted bodies with size and depth limits (Boost.JSON).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bartab::core {

struct JsonLimits {
  std::size_t max_depth = 64;
};

// Parses a whole document. Throws ApiError bad_request naming what is wrong (syntax,
// nesting past the depth limit, trailing bytes). Size is bounded earlier by the body
// limit of the route.
boost::json::value parse_json(std::string_view text, const JsonLimits& limits);

// Parses a body that must be a JSON object (every API request body is one).
boost::json::object parse_json_object(std::string_view text, const JsonLimits& limits);

// Fields of a request body: a required string (400 naming it when missing or not a
// string) and an optional one (absent or null is nullopt).
std::string required_string(const boost::json::object& body, std::string_view key);
std::optional<std::string> optional_string(const boost::json::object& body, std::string_view key);

}  // namespace bartab::core
