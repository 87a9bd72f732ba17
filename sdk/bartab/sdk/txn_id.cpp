// Random and derived transaction ids.
#include "bartab/sdk/txn_id.hpp"

#include <array>
#include <random>

namespace bartab::sdk {

std::string random_txn_id() {
  // random_device reads the kernel's CSPRNG on Linux (getrandom).
  static thread_local std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (int word = 0; word < 4; ++word) {
    auto bits = device();
    for (int nibble = 0; nibble < 8; ++nibble) {
      id.push_back(kHex[bits & 0xF]);
      bits >>= 4;
    }
  }
  return id;
}

std::string reply_txn_id(std::string_view event_id, int n) {
  return "re." + std::string(event_id) + "." + std::to_string(n);
}

}  // namespace bartab::sdk
