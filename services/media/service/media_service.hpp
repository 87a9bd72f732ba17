// The media service's rules: streamed, hashed, deduplicated uploads within the size
// limit and each user's quota; who may read what (a token, a signed link, or anyone
// for public media); thumbnails made on demand and cached; deletion that frees a blob
// only when nothing refers to it. Blocking work (fsync, image decoding) runs on a
// small pool, never on the HTTP threads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/crypto/crypto.hpp"
#include "core/http/message.hpp"
#include "core/ops/health.hpp"
#include "core/tokens/jwt.hpp"
#include "services/media/service/signed_links.hpp"
#include "services/media/service/thumbnailer.hpp"
#include "services/media/store/blob_store.hpp"
#include "services/media/store/store_runner.hpp"

namespace bartab::media {

struct MediaLimits {
  std::uint64_t max_upload_bytes = 52428800;
  std::uint64_t quota_bytes = 1073741824;
  // Thumbnail variants cached per blob; further sizes are made for each request and
  // not kept, so odd sizes cannot fill the disk.
  std::size_t cached_variants = 32;
};

struct NewUpload {
  std::optional<std::string> declared_type;  // normalised Content-Type, if any
  std::string name;                          // cleaned file name, may be empty
  bool is_public = false;
};

// How a read was authorised, which decides how long it may be cached.
struct Reader {
  enum class Kind { token, link, anonymous } kind = Kind::anonymous;
  std::int64_t link_seconds_left = 0;  // for links
};

struct OpenedFile {
  MediaRecord record;
  core::http::FileHandle file;
  std::uint64_t size = 0;
  std::string content_type;
  std::string etag;  // quoted, strong
};

struct ThumbnailRequest {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  bool crop = false;
};

class MediaService {
 public:
  MediaService(StoreRunner& store, BlobStore& blobs, const Thumbnailer& thumbnailer,
               boost::asio::thread_pool& workers, SignedLinks links, const core::Clock& clock,
               core::crypto::Random& random, MediaLimits limits);

  // Reads the body to its end, hashing and writing it to a temporary file, then
  // commits the record and moves the file into place. 413 past the size limit or the
  // quota (checked while the bytes arrive, Content-Length or not).
  boost::asio::awaitable<MediaRecord> upload(core::tokens::AccessClaims caller, NewUpload upload,
                                             core::http::BodyStream& body);

  // The media's bytes for a reader; 404 when unknown, 401 for an anonymous reader of
  // private media.
  boost::asio::awaitable<OpenedFile> open(std::string media_id, Reader reader);
  // A thumbnail no larger than the request; 400 for media that is not a PNG, JPEG,
  // GIF or WebP image, for sizes out of range and for images too large to decode.
  boost::asio::awaitable<OpenedFile> thumbnail(std::string media_id, Reader reader, ThumbnailRequest request);

  // Checks a signed link's query for `media_id` (403 when altered or expired).
  Reader link_reader(const std::string& media_id, std::string_view exp, std::string_view sig) const;
  // A caller with the media scope holding a valid token.
  static Reader token_reader(const core::tokens::AccessClaims& caller);

  boost::asio::awaitable<SignedLinks::Link> create_link(core::tokens::AccessClaims caller,
                                                        std::string media_id, std::int64_t lifetime_s);
  // The uploader or an admin; the blob goes when the last record using it does.
  boost::asio::awaitable<void> remove(core::tokens::AccessClaims caller, std::string media_id);

  core::CheckResult check_database();
  std::uint32_t max_thumbnail_dimension() const { return thumbnailer_.options().max_dimension; }

 private:
  boost::asio::awaitable<MediaRecord> find(const std::string& media_id);
  boost::asio::awaitable<std::uint64_t> usage(const std::string& user_id);
  boost::asio::awaitable<void> commit_upload(const MediaRecord& record, TempFile& temp);
  OpenedFile make_thumbnail(const MediaRecord& record, const ThumbnailRequest& request,
                            const std::string& variant);
  std::string new_media_id();

  StoreRunner& store_;
  BlobStore& blobs_;
  const Thumbnailer& thumbnailer_;
  boost::asio::thread_pool& workers_;
  SignedLinks links_;
  const core::Clock& clock_;
  core::crypto::Random& random_;
  MediaLimits limits_;
};

}  // namespace bartab::media
