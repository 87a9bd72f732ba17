// Signed, expiring links to media: `<public_url>/v1/media/<id>?exp=<unix s>&sig=<mac>`
// where the MAC is HMAC-SHA256 under a key kept in media.db over the media id and the
// expiry. Nothing else is signed, so a link also opens the media's thumbnails with
// the thumbnail parameters added; changing the id or the expiry breaks the signature.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace bartab::media {

class SignedLinks {
 public:
  static constexpr std::int64_t kMinLifetimeS = 1;
  static constexpr std::int64_t kMaxLifetimeS = 7 * 24 * 3600;
  static constexpr std::int64_t kDefaultLifetimeS = 3600;

  SignedLinks(std::string key, std::string public_url, const core::Clock& clock)
      : key_(std::move(key)), public_url_(std::move(public_url)), clock_(clock) {}

  struct Link {
    std::string url;
    std::int64_t expires_at = 0;  // Unix seconds
  };
  // A link to `media_id` valid for `lifetime_s` (already checked to be in range).
  Link make(const std::string& media_id, std::int64_t lifetime_s) const;

  // Checks a link's query; throws ApiError forbidden when the signature does not match
  // or the link has expired. Returns the seconds it has left.
  std::int64_t verify(const std::string& media_id, std::string_view exp, std::string_view sig) const;

 private:
  std::string signature(const std::string& media_id, std::int64_t expires_at) const;

  std::string key_;
  std::string public_url_;
  const core::Clock& clock_;
};

}  // namespace bartab::media
