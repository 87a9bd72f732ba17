#include "core/http/cors.hpp"

#include <algorithm>

namespace bartab::core::http {

std::optional<std::string> Cors::allow_origin(std::string_view origin) const {
  if (origins_.empty() || origin.empty()) return std::nullopt;
  for (const auto& allowed : origins_) {
    if (allowed == "*") return std::string("*");
    if (allowed == origin) return std::string(origin);
  }
  return std::nullopt;
}

bool Cors::varies_by_origin() const {
  return !origins_.empty() && std::find(origins_.begin(), origins_.end(), "*") == origins_.end();
}

std::string Cors::allow_headers(std::string_view requested) {
  auto is_token_list = [](std::string_view s) {
    return !s.empty() && s.size() <= 1024 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_' || c == ',' || c == ' ';
    });
  };
  if (is_token_list(requested)) return std::string(requested);
  return "Authorization, Content-Type, X-Request-Id, Range, If-None-Match";
}

}  // namespace bartab::core::http
