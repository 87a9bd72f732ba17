#include "services/media/service/media_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <vector>

#include "core/errors.hpp"
#include "core/offload.hpp"
#include "services/media/service/content_rules.hpp"

namespace bartab::media {

namespace asio = boost::asio;
using core::tokens::AccessClaims;

namespace {

constexpr std::size_t kReadChunk = 256 * 1024;

void require_scope(const AccessClaims& caller) {
  if (!caller.has_scope("media")) core::throw_forbidden("the token lacks the media scope");
}

[[noreturn]] void throw_too_large(std::string message) {
  throw core::ApiError(core::ErrorCode::payload_too_large, std::move(message));
}

std::string etag_of(const std::string& text) {
  return "\"" + text + "\"";
}

std::uint64_t file_size(const core::http::FileHandle& file) {
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) throw std::system_error(errno, std::generic_category(), "fstat");
  return static_cast<std::uint64_t>(info.st_size);
}

FitMethod fit(const ThumbnailRequest& request) {
  return request.crop ? FitMethod::crop : FitMethod::scale;
}

// What thumbnails of a source type are encoded as (see Thumbnailer::make).
std::string thumbnail_type(const std::string& source_type) {
  if (source_type == "image/jpeg" || source_type == "image/webp") return source_type;
  return "image/png";
}

[[noreturn]] void throw_thumbnail_error(const ThumbnailError& error) {
  switch (error.kind()) {
    case ThumbnailError::Kind::too_large:
      core::throw_bad_request("the image has too many pixels to make a thumbnail of");
    case ThumbnailError::Kind::bad_size:
      core::throw_bad_request("width and height must be between 1 and the largest thumbnail size");
    case ThumbnailError::Kind::not_image:
      core::throw_bad_request("the media is not an image that can be thumbnailed");
    case ThumbnailError::Kind::failed:
      break;
  }
  core::throw_bad_request("the image could not be decoded");
}

}  // namespace

MediaService::MediaService(StoreRunner& store, BlobStore& blobs, const Thumbnailer& thumbnailer,
                           asio::thread_pool& workers, SignedLinks links, const core::Clock& clock,
                           core::crypto::Random& random, MediaLimits limits)
    : store_(store),
      blobs_(blobs),
      thumbnailer_(thumbnailer),
      workers_(workers),
      links_(std::move(links)),
      clock_(clock),
      random_(random),
      limits_(limits) {}

std::string MediaService::new_media_id() {
  return "med_" + random_.token(18);
}

asio::awaitable<std::uint64_t> MediaService::usage(const std::string& user_id) {
  std::uint64_t used = 0;
  auto operation = store_.read([&](MediaStore& s) { used = s.usage(user_id); });
  co_await std::move(operation);
  co_return used;
}

asio::awaitable<MediaRecord> MediaService::upload(AccessClaims caller, NewUpload upload,
                                                  core::http::BodyStream& body) {
  require_scope(caller);
  auto used = co_await usage(caller.sub);
  auto room_left = used >= limits_.quota_bytes ? 0 : limits_.quota_bytes - used;
  auto allowed = std::min(limits_.max_upload_bytes, room_left);
  auto refuse = [&]() {
    if (allowed == limits_.max_upload_bytes)
      throw_too_large("the upload is larger than " + std::to_string(allowed) + " bytes");
    throw_too_large("the upload would exceed the storage quota of " + std::to_string(limits_.quota_bytes) +
                    " bytes (" + std::to_string(used) + " used)");
  };
  if (auto declared = body.declared_length(); declared && *declared > allowed) refuse();

  auto temp = blobs_.create_temp();
  core::crypto::Sha256 hash;
  std::string head;
  std::uint64_t size = 0;
  std::vector<char> buffer(kReadChunk);
  for (;;) {
    auto read = body.read_some(buffer);
    auto n = co_await std::move(read);
    if (n == 0) break;
    size += n;
    if (size > allowed) refuse();
    std::string_view piece(buffer.data(), n);
    hash.update(piece);
    if (head.size() < kSniffBytes) head.append(piece.substr(0, kSniffBytes - head.size()));
    temp.write(piece);
  }

  MediaRecord record;
  record.media_id = new_media_id();
  record.sha256 = hash.hex_digest();
  record.size = size;
  record.content_type = stored_content_type(upload.declared_type, sniff_content_type(head));
  record.name = std::move(upload.name);
  record.uploader = caller.sub;
  record.is_public = upload.is_public;
  record.created_ms = clock_.now_ms();
  bool image = thumbnailable(record.content_type);
  auto prepare = core::run_on(workers_, [&]() -> std::optional<ImageInfo> {
    // Bytes the blob store already holds need no fsync: the temporary file is dropped.
    // (Should that blob go before the commit, install() syncs the file then.)
    if (!blobs_.contains(record.sha256)) temp.sync();
    if (!image) return std::nullopt;
    return thumbnailer_.probe(temp.path());
  });
  auto info = co_await std::move(prepare);
  if (info) {
    record.width = info->width;
    record.height = info->height;
  }
  co_await commit_upload(record, temp);
  co_return record;
}

// The quota is checked again inside the transaction (concurrent uploads of one user
// all passed the first check); the file moves into place only once the row is
// written, and a COMMIT that fails after the move leaves an unreferenced blob that is
// removed at once (and by the start-up sweep after a crash).
asio::awaitable<void> MediaService::commit_upload(const MediaRecord& record, TempFile& temp) {
  bool installed = false;
  auto write = store_.write([&](MediaStore& s) {
    auto used = s.usage(record.uploader);
    if (used + record.size > limits_.quota_bytes) {
      throw_too_large("the upload would exceed the storage quota of " + std::to_string(limits_.quota_bytes) +
                      " bytes");
    }
    s.insert(record);
    installed = blobs_.install(temp, record.sha256);
  });
  try {
    co_await std::move(write);
    co_return;
  } catch (...) {
    if (!installed) throw;
  }
  // Only a failed COMMIT after the rename gets here.
  auto cleanup = store_.read([&](MediaStore& s) {
    if (s.references(record.sha256) == 0) blobs_.remove(record.sha256);
  });
  co_await std::move(cleanup);
  throw core::ApiError(core::ErrorCode::internal, "the upload could not be committed");
}

asio::awaitable<MediaRecord> MediaService::find(const std::string& media_id) {
  std::optional<MediaRecord> record;
  auto operation = store_.read([&](MediaStore& s) { record = s.find(media_id); });
  co_await std::move(operation);
  if (!record) core::throw_not_found("no media " + media_id);
  co_return std::move(*record);
}

Reader MediaService::token_reader(const AccessClaims& caller) {
  require_scope(caller);
  return {Reader::Kind::token, 0};
}

Reader MediaService::link_reader(const std::string& media_id, std::string_view exp,
                                 std::string_view sig) const {
  return {Reader::Kind::link, links_.verify(media_id, exp, sig)};
}

asio::awaitable<OpenedFile> MediaService::open(std::string media_id, Reader reader) {
  auto record = co_await find(media_id);
  if (reader.kind == Reader::Kind::anonymous && !record.is_public) {
    throw core::ApiError(core::ErrorCode::unauthorized, "this media needs a token or a signed link");
  }
  auto file = blobs_.open(record.sha256);
  if (!file) {
    spdlog::error("media {} lost its blob {}", record.media_id, record.sha256);
    core::throw_not_found("no media " + media_id);
  }
  OpenedFile out{std::move(record), std::move(*file), 0, {}, {}};
  out.size = out.record.size;
  out.content_type = out.record.content_type;
  out.etag = etag_of(out.record.sha256);
  co_return out;
}

asio::awaitable<OpenedFile> MediaService::thumbnail(std::string media_id, Reader reader,
                                                    ThumbnailRequest request) {
  auto record = co_await find(media_id);
  if (reader.kind == Reader::Kind::anonymous && !record.is_public) {
    throw core::ApiError(core::ErrorCode::unauthorized, "this media needs a token or a signed link");
  }
  if (!thumbnailable(record.content_type)) {
    core::throw_bad_request("only PNG, JPEG, GIF and WebP images have thumbnails");
  }
  auto variant = thumbnail_variant(request.width, request.height, request.crop);
  auto etag = etag_of(record.sha256 + "-" + variant);
  if (auto cached = blobs_.open_thumbnail(record.sha256, variant)) {
    auto size = file_size(*cached);
    auto type = thumbnail_type(record.content_type);  // before `record` moves
    co_return OpenedFile{std::move(record), std::move(*cached), size, std::move(type), etag};
  }
  auto make = core::run_on(workers_, [&] { return make_thumbnail(record, request, variant); });
  auto made = co_await std::move(make);
  made.etag = etag;
  co_return made;
}

// On the pool: decodes (after the thumbnailer's header check) and encodes, then keeps
// the result unless the blob has enough cached variants already.
OpenedFile MediaService::make_thumbnail(const MediaRecord& record, const ThumbnailRequest& request,
                                        const std::string& variant) {
  auto temp = blobs_.create_temp();
  Thumbnail made;
  try {
    made = thumbnailer_.make(blobs_.blob_path(record.sha256), temp.path(), request.width, request.height,
                             fit(request));
  } catch (const ThumbnailError& error) {
    throw_thumbnail_error(error);
  }
  std::optional<core::http::FileHandle> file;
  if (blobs_.thumbnail_count(record.sha256) < limits_.cached_variants) {
    blobs_.install_thumbnail(temp, record.sha256, variant);
    file = blobs_.open_thumbnail(record.sha256, variant);
  } else {
    // Served from the temporary file, which the open descriptor outlives.
    file = temp.reopen();
  }
  if (!file) throw std::runtime_error("the thumbnail vanished before it could be opened");
  auto size = file_size(*file);
  return OpenedFile{record, std::move(*file), size, made.content_type, {}};
}

asio::awaitable<SignedLinks::Link> MediaService::create_link(AccessClaims caller, std::string media_id,
                                                             std::int64_t lifetime_s) {
  require_scope(caller);
  if (lifetime_s < SignedLinks::kMinLifetimeS || lifetime_s > SignedLinks::kMaxLifetimeS) {
    core::throw_bad_request("expires_in must be between 1 and 604800 seconds");
  }
  auto record = co_await find(media_id);
  co_return links_.make(record.media_id, lifetime_s);
}

asio::awaitable<void> MediaService::remove(AccessClaims caller, std::string media_id) {
  require_scope(caller);
  std::string sha256;
  auto write = store_.write_then(
      [&](MediaStore& s) {
        auto record = s.find(media_id);
        if (!record) core::throw_not_found("no media " + media_id);
        if (record->uploader != caller.sub && !caller.has_scope("admin")) {
          core::throw_forbidden("only the uploader or an administrator may delete this media");
        }
        s.remove(media_id);
        sha256 = record->sha256;
      },
      // Right after the COMMIT, on the store's thread: no upload can add a reference
      // between the count and the unlink.
      [&](MediaStore& s) {
        if (s.references(sha256) == 0) blobs_.remove(sha256);
      });
  co_await std::move(write);
}

core::CheckResult MediaService::check_database() {
  return store_.check();
}

}  // namespace bartab::media
