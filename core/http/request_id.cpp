#include "core/http/request_id.hpp"

#include <algorithm>
#include <cctype>
#include <random>

namespace bartab::core::http {

bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

std::string new_request_id() {
  // Not a secret, only unique enough to find a request in the logs.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(24, '0');
  auto a = rng();
  auto b = rng();
  for (int i = 0; i < 16; ++i) id[i] = kHex[(a >> (i * 4)) & 0xf];
  for (int i = 0; i < 8; ++i) id[16 + i] = kHex[(b >> (i * 4)) & 0xf];
  return id;
}

}  // namespace bartab::core::http
