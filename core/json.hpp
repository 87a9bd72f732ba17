// JSON parsing of untrusted bodies with size and depth limits (Boost.JSON).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
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

}  // namespace bartab::core
