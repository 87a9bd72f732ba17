#include "services/media/service/signed_links.hpp"

#include <charconv>

#include "core/crypto/crypto.hpp"
#include "core/errors.hpp"

namespace bartab::media {

namespace {

// Canonical decimal seconds: digits only, no sign, no leading zero, so each link has
// exactly one spelling.
std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  if (text.front() == '+' || text.front() == '-') return std::nullopt;
  return value;
}

}  // namespace

std::string SignedLinks::signature(const std::string& media_id, std::int64_t expires_at) const {
  // Domain-separated, so this key's MACs mean nothing anywhere else.
  auto mac =
      core::crypto::hmac_sha256(key_, "bartab media link\n" + media_id + "\n" + std::to_string(expires_at));
  return core::crypto::base64url_encode(mac.data(), mac.size());
}

SignedLinks::Link SignedLinks::make(const std::string& media_id, std::int64_t lifetime_s) const {
  auto expires_at = clock_.now_s() + lifetime_s;
  auto url = public_url_ + "/v1/media/" + media_id + "?exp=" + std::to_string(expires_at) +
             "&sig=" + signature(media_id, expires_at);
  return {std::move(url), expires_at};
}

std::int64_t SignedLinks::verify(const std::string& media_id, std::string_view exp,
                                 std::string_view sig) const {
  auto expires_at = parse_seconds(exp);
  if (!expires_at || !core::crypto::equal_constant_time(sig, signature(media_id, *expires_at))) {
    core::throw_forbidden("the link's signature does not match");
  }
  auto left = *expires_at - clock_.now_s();
  if (left <= 0) core::throw_forbidden("the link has expired");
  return left;
}

}  // namespace bartab::media
