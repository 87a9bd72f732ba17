#include "services/chat/service/sync_token.hpp"

#include <charconv>
#include <vector>

#include "core/crypto/crypto.hpp"

namespace bartab::chat {

namespace {

// 128 bits of HMAC-SHA256 is plenty against forgery and keeps tokens short.
constexpr std::size_t kMacBytes = 16;

template <class Int>
std::optional<Int> parse_number(std::string_view text) {
  Int value{};
  // Digits only: from_chars would take a leading minus for the signed position.
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

SyncTokens::SyncTokens(std::string key, std::string epoch) : key_(std::move(key)), epoch_(std::move(epoch)) {}

std::string SyncTokens::mac(std::string_view body) const {
  auto full = core::crypto::hmac_sha256(key_, body);
  return core::crypto::base64url_encode(full.data(), kMacBytes);
}

// Shape: s<pos>_<typing>_<epoch>.<mac>
std::string SyncTokens::issue(SyncPosition position) const {
  auto body = "s" + std::to_string(position.pos) + "_" + std::to_string(position.typing) + "_" + epoch_;
  return body + "." + mac(body);
}

std::optional<SyncPosition> SyncTokens::parse(std::string_view token) const {
  if (token.size() > 128 || token.empty() || token[0] != 's') return std::nullopt;
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto body = token.substr(0, dot);
  if (!core::crypto::equal_constant_time(mac(body), token.substr(dot + 1))) return std::nullopt;
  auto first = body.find('_');
  auto second = first == std::string_view::npos ? first : body.find('_', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto pos = parse_number<std::int64_t>(body.substr(1, first - 1));
  auto typing = parse_number<std::uint64_t>(body.substr(first + 1, second - first - 1));
  if (!pos || !typing) return std::nullopt;
  bool same_run = body.substr(second + 1) == epoch_;
  return SyncPosition{*pos, same_run ? *typing : 0};
}

}  // namespace bartab::chat
