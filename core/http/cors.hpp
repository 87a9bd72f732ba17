// Cross-origin rules (server.cors_origins): which origins may call the API from a
// browser, and the headers of preflight and ordinary responses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bartab::core::http {

class Cors {
 public:
  explicit Cors(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  // The Access-Control-Allow-Origin value for a request from `origin`, or nullopt when
  // that origin is not allowed (or CORS is off).
  std::optional<std::string> allow_origin(std::string_view origin) const;

  // Whether answers differ by Origin (an origin list rather than "*"), so caches must
  // key on it (Vary: Origin).
  bool varies_by_origin() const;

  // Access-Control-Allow-Headers for a preflight: the requested headers when they are
  // a plain token list, otherwise the headers the API uses.
  static std::string allow_headers(std::string_view requested);

  static constexpr std::string_view kExposeHeaders =
      "X-Request-Id, ETag, Retry-After, WWW-Authenticate, Content-Range, Content-Disposition, Location";
  static constexpr std::string_view kMaxAgeSeconds = "600";

 private:
  std::vector<std::string> origins_;
};

}  // namespace bartab::core::http
