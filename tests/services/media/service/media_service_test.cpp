// MediaService below HTTP, on a real SQLite store, BlobStore, Thumbnailer and worker
// pool: uploads (hashing, sniffing, image dimensions, the size limit and the quota,
// aborted bodies, deduplication), who may read, link and delete what, signed links'
// lifetimes, and thumbnails with their bounded cache. Every refusal is checked to
// leave nothing behind on disk.
#include "services/media/service/media_service.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>

#include "core/clock.hpp"
#include "core/crypto/crypto.hpp"
#include "core/errors.hpp"
#include "core/tokens/jwt.hpp"
#include "support/temp_dir.hpp"

namespace bartab::media {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using core::ErrorCode;
using core::tokens::AccessClaims;

constexpr std::uint64_t kMaxUpload = 1000;
constexpr std::uint64_t kQuota = 2500;

// Repeatable randomness (ids, temp names): a counter spread over the bytes.
class CountingRandom final : public core::crypto::Random {
 public:
  void fill(std::uint8_t* out, std::size_t n) override {
    auto value = ++counter_;
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * (i % 8)));
  }

 private:
  std::atomic<std::uint64_t> counter_{0};
};

// A request body served from a string in chunks of a chosen size, with an optional
// Content-Length; told to, it fails after some bytes like a client that went away.
class FakeBody final : public core::http::BodyStream {
 public:
  explicit FakeBody(std::string data, std::size_t chunk = 64 * 1024)
      : data_(std::move(data)), chunk_(chunk) {}

  FakeBody& declare(std::uint64_t length) {
    declared_ = length;
    return *this;
  }
  FakeBody& declare_own_length() { return declare(data_.size()); }
  FakeBody& fail_after(std::size_t bytes) {
    fail_after_ = bytes;
    return *this;
  }

  asio::awaitable<std::size_t> read_some(std::span<char> into) override {
    ++reads_;
    std::size_t end = data_.size();
    if (fail_after_) {
      if (served_ >= *fail_after_) throw core::ApiError(ErrorCode::bad_request, "the client went away");
      end = std::min(end, *fail_after_);
    }
    std::size_t n = std::min({chunk_, into.size(), end - served_});
    std::memcpy(into.data(), data_.data() + served_, n);
    served_ += n;
    co_return n;
  }
  std::optional<std::uint64_t> declared_length() const override { return declared_; }

  std::size_t served() const { return served_; }
  std::size_t reads() const { return reads_; }

 private:
  std::string data_;
  std::size_t chunk_;
  std::optional<std::uint64_t> declared_;
  std::optional<std::size_t> fail_after_;
  std::size_t served_ = 0;
  std::size_t reads_ = 0;
};

AccessClaims caller(const std::string& sub, const std::string& scope = "chat media") {
  AccessClaims claims;
  claims.sub = sub;
  claims.scope = scope;
  claims.kind = "user";
  return claims;
}

const AccessClaims kAlice = caller("usr_alice");
const AccessClaims kBob = caller("usr_bob");
const AccessClaims kAdmin = caller("usr_admin", "chat media admin");
const Reader kAnonymous{};

std::string bytes_of(std::size_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(generator() & 0xff);
  out[0] = 'x';  // never a magic number
  return out;
}

// Runs a coroutine to its end on a fresh io_context; returns its result or rethrows.
template <class T>
T run(asio::awaitable<T> operation) {
  asio::io_context io;
  auto result = asio::co_spawn(io, std::move(operation), asio::use_future);
  io.run();
  return result.get();
}

// The ApiError code a coroutine ends with; nullopt when it succeeds.
template <class T>
std::optional<ErrorCode> error_of(asio::awaitable<T> operation) {
  try {
    run(std::move(operation));
    return std::nullopt;
  } catch (const core::ApiError& e) {
    return e.code();
  }
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  off_t at = 0;
  for (;;) {
    auto n = ::pread(fd, buffer, sizeof buffer, at);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t files_under(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
  return n;
}

ino_t inode_of(int fd) {
  struct stat info {};
  EXPECT_EQ(::fstat(fd, &info), 0);
  return info.st_ino;
}

ino_t inode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

class MediaServiceTest : public ::testing::Test {
 protected:
  MediaServiceTest() { make_service({.max_upload_bytes = kMaxUpload, .quota_bytes = kQuota}); }

  void make_service(MediaLimits limits) {
    service_.reset();
    service_ = std::make_unique<MediaService>(*store_, blobs_, thumbnailer_, pool_,
                                              SignedLinks("link key", "https://chat.example", clock_), clock_,
                                              random_, limits);
  }

  fs::path media_root() const { return dir_.path() / "media"; }
  std::size_t temp_files() const { return files_under(media_root() / "tmp"); }
  std::size_t blob_files() const { return files_under(media_root() / "blobs"); }
  std::size_t thumbnail_files() const { return files_under(media_root() / "thumbs"); }

  MediaRecord upload(const AccessClaims& who, FakeBody& body, std::optional<std::string> type = std::nullopt,
                     bool is_public = false, std::string name = "") {
    return run(service_->upload(who, NewUpload{std::move(type), std::move(name), is_public}, body));
  }
  MediaRecord upload(const AccessClaims& who, const std::string& bytes,
                     std::optional<std::string> type = std::nullopt, bool is_public = false) {
    FakeBody body(bytes);
    return upload(who, body, std::move(type), is_public);
  }
  std::optional<ErrorCode> upload_error(const AccessClaims& who, FakeBody& body) {
    return error_of(
        service_->upload(who, NewUpload{std::string("application/octet-stream"), "", false}, body));
  }

  std::uint64_t usage(const std::string& user_id) {
    std::uint64_t used = 0;
    store_->run_blocking([&](MediaStore& s) { used = s.usage(user_id); });
    return used;
  }
  std::optional<MediaRecord> stored(const std::string& media_id) {
    std::optional<MediaRecord> found;
    store_->run_blocking([&](MediaStore& s) { found = s.find(media_id); });
    return found;
  }

  OpenedFile open(const std::string& media_id, Reader reader) {
    return run(service_->open(media_id, reader));
  }
  OpenedFile thumbnail(const std::string& media_id, std::uint32_t width, std::uint32_t height,
                       bool crop = false, Reader reader = MediaService::token_reader(kAlice)) {
    return run(service_->thumbnail(media_id, reader, ThumbnailRequest{width, height, crop}));
  }
  std::optional<ErrorCode> thumbnail_error(const std::string& media_id, std::uint32_t width,
                                           std::uint32_t height,
                                           Reader reader = MediaService::token_reader(kAlice)) {
    return error_of(service_->thumbnail(media_id, reader, ThumbnailRequest{width, height, false}));
  }

  // An image file made with libvips through a saver the allowlist keeps. The grey
  // level is `seed`, so different seeds give different bytes.
  std::string image(int width, int height, int seed = 0, const char* extension = ".png") {
    VipsImage* black = nullptr;
    VipsImage* lit = nullptr;
    VipsImage* bytes = nullptr;
    EXPECT_EQ(vips_black(&black, width, height, "bands", 3, nullptr), 0) << vips_error_buffer();
    EXPECT_EQ(vips_linear1(black, &lit, 1.0, static_cast<double>(seed % 256), nullptr), 0);
    EXPECT_EQ(vips_cast_uchar(lit, &bytes, nullptr), 0);
    fs::path path = dir_.path() / ("source-" + std::to_string(++images_) + extension);
    int status = std::string(extension) == ".jpg" ? vips_jpegsave(bytes, path.c_str(), nullptr)
                                                  : vips_pngsave(bytes, path.c_str(), nullptr);
    EXPECT_EQ(status, 0) << vips_error_buffer();
    g_object_unref(bytes);
    g_object_unref(lit);
    g_object_unref(black);
    return read_file(path);
  }

  testing::TempDir dir_;
  CountingRandom random_;
  core::ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<StoreRunner> store_ = open_sqlite_store((dir_.path() / "media.db").string());
  BlobStore blobs_{dir_.path() / "media", random_};
  Thumbnailer thumbnailer_;
  asio::thread_pool pool_{2};
  std::unique_ptr<MediaService> service_;
  int images_ = 0;
};

// --- uploads ---

TEST_F(MediaServiceTest, UploadStoresTheRecordAndTheBlob) {
  std::string bytes = "hello, world\n";
  FakeBody body(bytes, 3);
  clock_.advance_ms(42);
  auto record = upload(kAlice, body, "text/plain", false, "hello.txt");

  EXPECT_EQ(record.media_id.rfind("med_", 0), 0u) << record.media_id;
  EXPECT_GT(record.media_id.size(), 4u);
  EXPECT_EQ(record.sha256, core::crypto::sha256_hex(bytes));
  EXPECT_EQ(record.size, bytes.size());
  EXPECT_EQ(record.content_type, "text/plain");
  EXPECT_EQ(record.name, "hello.txt");
  EXPECT_EQ(record.uploader, "usr_alice");
  EXPECT_FALSE(record.is_public);
  EXPECT_FALSE(record.width);
  EXPECT_FALSE(record.height);
  EXPECT_EQ(record.created_ms, 1'700'000'000'042);
  EXPECT_EQ(body.served(), bytes.size());

  auto saved = stored(record.media_id);
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->sha256, record.sha256);
  EXPECT_EQ(saved->size, record.size);
  EXPECT_EQ(saved->content_type, "text/plain");
  EXPECT_EQ(saved->name, "hello.txt");
  EXPECT_EQ(saved->created_ms, record.created_ms);

  EXPECT_TRUE(blobs_.contains(record.sha256));
  EXPECT_EQ(read_file(blobs_.blob_path(record.sha256)), bytes);
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(usage("usr_alice"), bytes.size());
}

TEST_F(MediaServiceTest, EachUploadGetsItsOwnId) {
  auto a = upload(kAlice, "first");
  auto b = upload(kAlice, "second");
  EXPECT_NE(a.media_id, b.media_id);
}

TEST_F(MediaServiceTest, APngUploadRecordsItsDimensionsAndSniffedType) {
  std::string png = image(64, 48);
  ASSERT_LE(png.size(), kMaxUpload);
  FakeBody body(png, 7);  // the sniffed head spans many reads
  auto record = upload(kAlice, body, "text/plain");
  EXPECT_EQ(record.content_type, "image/png");  // the bytes win over the declaration
  EXPECT_EQ(record.width, std::optional<std::uint32_t>(64));
  EXPECT_EQ(record.height, std::optional<std::uint32_t>(48));
  auto saved = stored(record.media_id);
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->content_type, "image/png");
  EXPECT_EQ(saved->width, std::optional<std::uint32_t>(64));
  EXPECT_EQ(saved->height, std::optional<std::uint32_t>(48));
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, UndeclaredTypesAreSniffedOrOctetStream) {
  EXPECT_EQ(upload(kAlice, image(8, 8)).content_type, "image/png");
  EXPECT_EQ(upload(kAlice, bytes_of(100, 1)).content_type, "application/octet-stream");
}

TEST_F(MediaServiceTest, AnImageThatCannotBeProbedHasNoDimensions) {
  std::string fake_png = std::string("\x89PNG\r\n\x1a\n", 8) + "not really a png";
  auto record = upload(kAlice, fake_png, "image/png");
  EXPECT_EQ(record.content_type, "image/png");
  EXPECT_FALSE(record.width);
  EXPECT_FALSE(record.height);
}

TEST_F(MediaServiceTest, AnUploadOfExactlyTheLimitIsAccepted) {
  FakeBody body(bytes_of(kMaxUpload, 2), 100);
  body.declare_own_length();
  auto record = upload(kAlice, body);
  EXPECT_EQ(record.size, kMaxUpload);
  EXPECT_TRUE(blobs_.contains(record.sha256));
}

TEST_F(MediaServiceTest, ADeclaredLengthOverTheLimitIsRefusedBeforeReading) {
  FakeBody body(bytes_of(kMaxUpload + 1, 3));
  body.declare_own_length();
  EXPECT_EQ(upload_error(kAlice, body), ErrorCode::payload_too_large);
  EXPECT_EQ(body.reads(), 0u);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(usage("usr_alice"), 0u);

  // The declaration alone is enough: a short body claiming to be long is refused too.
  FakeBody liar("tiny");
  liar.declare(std::uint64_t{1} << 40);
  EXPECT_EQ(upload_error(kAlice, liar), ErrorCode::payload_too_large);
  EXPECT_EQ(liar.reads(), 0u);
}

TEST_F(MediaServiceTest, AnUndeclaredBodyOverTheLimitIsRefusedWhileStreaming) {
  FakeBody body(bytes_of(kMaxUpload * 5, 4), 100);
  EXPECT_EQ(upload_error(kAlice, body), ErrorCode::payload_too_large);
  EXPECT_LE(body.served(), kMaxUpload + 100);  // stopped at the limit, not at the end
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(usage("usr_alice"), 0u);
}

TEST_F(MediaServiceTest, ABodyLongerThanItsDeclaredLengthIsStillCapped) {
  FakeBody body(bytes_of(kMaxUpload + 1, 5), 250);
  body.declare(10);
  EXPECT_EQ(upload_error(kAlice, body), ErrorCode::payload_too_large);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 0u);
}

TEST_F(MediaServiceTest, TheQuotaCountsEveryUploadAndRefusesTheOneThatWouldPassIt) {
  std::string kilobyte = bytes_of(1000, 6);
  upload(kAlice, kilobyte);
  upload(kAlice, kilobyte);  // deduplicated on disk, counted all the same
  EXPECT_EQ(usage("usr_alice"), 2000u);
  EXPECT_EQ(blob_files(), 1u);

  FakeBody streamed(bytes_of(501, 7), 100);  // 2501 > 2500, no Content-Length
  EXPECT_EQ(upload_error(kAlice, streamed), ErrorCode::payload_too_large);
  FakeBody declared(bytes_of(501, 7));
  declared.declare_own_length();
  EXPECT_EQ(upload_error(kAlice, declared), ErrorCode::payload_too_large);
  EXPECT_EQ(declared.reads(), 0u);
  EXPECT_EQ(usage("usr_alice"), 2000u);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 1u);

  auto last = upload(kAlice, bytes_of(500, 8));  // exactly to the quota
  EXPECT_EQ(usage("usr_alice"), kQuota);
  FakeBody one_more("x");
  EXPECT_EQ(upload_error(kAlice, one_more), ErrorCode::payload_too_large);

  // Another user has their own quota.
  EXPECT_NO_THROW(upload(kBob, kilobyte));
  EXPECT_EQ(usage("usr_bob"), 1000u);

  // Deleting frees what the upload counted.
  run(service_->remove(kAlice, last.media_id));
  EXPECT_EQ(usage("usr_alice"), 2000u);
  EXPECT_NO_THROW(upload(kAlice, bytes_of(500, 9)));
  EXPECT_EQ(usage("usr_alice"), kQuota);
}

TEST_F(MediaServiceTest, ConcurrentUploadsCannotPassTheQuotaTogether) {
  make_service({.max_upload_bytes = kMaxUpload, .quota_bytes = 1500});
  FakeBody first(bytes_of(1000, 10), 100);
  FakeBody second(bytes_of(1000, 11), 100);
  // Both read the user's usage before either commits: only the commit's own check can
  // refuse the second.
  asio::io_context io;
  auto a = asio::co_spawn(io, service_->upload(kAlice, NewUpload{}, first), asio::use_future);
  auto b = asio::co_spawn(io, service_->upload(kAlice, NewUpload{}, second), asio::use_future);
  io.run();
  int succeeded = 0;
  int refused = 0;
  for (auto* result : {&a, &b}) {
    try {
      result->get();
      ++succeeded;
    } catch (const core::ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::payload_too_large);
      ++refused;
    }
  }
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(usage("usr_alice"), 1000u);
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, AnAbortedBodyLeavesNothing) {
  FakeBody body(bytes_of(900, 12), 100);
  body.fail_after(500);
  EXPECT_EQ(upload_error(kAlice, body), ErrorCode::bad_request);
  EXPECT_EQ(body.served(), 500u);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(usage("usr_alice"), 0u);

  FakeBody at_once(bytes_of(900, 12), 100);
  at_once.fail_after(0);
  EXPECT_EQ(upload_error(kAlice, at_once), ErrorCode::bad_request);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, TheSameBytesTwiceMakeTwoRecordsAndOneBlob) {
  std::string bytes = bytes_of(300, 13);
  auto a = upload(kAlice, bytes, "application/octet-stream", false);
  auto b = upload(kBob, bytes, "application/octet-stream", true);
  EXPECT_NE(a.media_id, b.media_id);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(temp_files(), 0u);
  std::uint64_t references = 0;
  store_->run_blocking([&](MediaStore& s) { references = s.references(a.sha256); });
  EXPECT_EQ(references, 2u);
  EXPECT_EQ(stored(a.media_id)->uploader, "usr_alice");
  EXPECT_EQ(stored(b.media_id)->uploader, "usr_bob");
  EXPECT_TRUE(stored(b.media_id)->is_public);
}

TEST_F(MediaServiceTest, UploadNeedsTheMediaScope) {
  FakeBody body("bytes");
  EXPECT_EQ(upload_error(caller("usr_alice", "chat"), body), ErrorCode::forbidden);
  EXPECT_EQ(upload_error(caller("usr_alice", ""), body), ErrorCode::forbidden);
  EXPECT_EQ(upload_error(caller("usr_alice", "chat mediax admin"), body), ErrorCode::forbidden);
  EXPECT_EQ(body.reads(), 0u);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(blob_files(), 0u);
}

// --- reading ---

TEST_F(MediaServiceTest, OpenGivesTheBytesAndTheirHeaders) {
  std::string bytes = "some text";
  auto record = upload(kAlice, bytes, "text/plain");
  auto opened = open(record.media_id, MediaService::token_reader(kBob));
  EXPECT_EQ(opened.record.media_id, record.media_id);
  EXPECT_EQ(opened.size, bytes.size());
  EXPECT_EQ(opened.content_type, "text/plain");
  EXPECT_EQ(opened.etag, "\"" + record.sha256 + "\"");
  ASSERT_TRUE(opened.file.is_open());
  EXPECT_EQ(read_all(opened.file.get()), bytes);
}

TEST_F(MediaServiceTest, PrivateMediaNeedsATokenOrALink) {
  auto secret = upload(kAlice, "private bytes", "text/plain", false);
  auto shared = upload(kAlice, "public bytes", "text/plain", true);
  EXPECT_EQ(error_of(service_->open(secret.media_id, kAnonymous)), ErrorCode::unauthorized);
  EXPECT_EQ(read_all(open(shared.media_id, kAnonymous).file.get()), "public bytes");
  EXPECT_EQ(read_all(open(secret.media_id, MediaService::token_reader(kBob)).file.get()), "private bytes");
}

TEST_F(MediaServiceTest, TokenReadersNeedTheMediaScope) {
  EXPECT_EQ(MediaService::token_reader(kAlice).kind, Reader::Kind::token);
  try {
    MediaService::token_reader(caller("usr_alice", "chat"));
    ADD_FAILURE() << "a token without the media scope became a reader";
  } catch (const core::ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::forbidden);
  }
}

TEST_F(MediaServiceTest, OpeningUnknownMediaIsNotFound) {
  EXPECT_EQ(error_of(service_->open("med_nope", MediaService::token_reader(kAlice))), ErrorCode::not_found);
  EXPECT_EQ(error_of(service_->open("med_nope", kAnonymous)), ErrorCode::not_found);
}

TEST_F(MediaServiceTest, MediaWhoseBlobIsLostIsNotFound) {
  auto record = upload(kAlice, "soon lost", "text/plain", true);
  fs::remove(blobs_.blob_path(record.sha256));
  EXPECT_EQ(error_of(service_->open(record.media_id, kAnonymous)), ErrorCode::not_found);
}

// --- signed links ---

TEST_F(MediaServiceTest, CreateLinkChecksTheLifetime) {
  auto record = upload(kAlice, "linked", "text/plain");
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{604801}, std::int64_t{1} << 40}) {
    EXPECT_EQ(error_of(service_->create_link(kAlice, record.media_id, bad)), ErrorCode::bad_request) << bad;
  }
  auto shortest = run(service_->create_link(kAlice, record.media_id, 1));
  EXPECT_EQ(shortest.expires_at, clock_.now_s() + 1);
  auto longest = run(service_->create_link(kAlice, record.media_id, 604800));
  EXPECT_EQ(longest.expires_at, clock_.now_s() + 604800);
  EXPECT_EQ(longest.url.rfind("https://chat.example/v1/media/" + record.media_id + "?exp=", 0), 0u)
      << longest.url;
}

TEST_F(MediaServiceTest, CreateLinkNeedsTheScopeAndKnownMedia) {
  auto record = upload(kAlice, "linked", "text/plain");
  EXPECT_EQ(error_of(service_->create_link(caller("usr_alice", "chat"), record.media_id, 60)),
            ErrorCode::forbidden);
  EXPECT_EQ(error_of(service_->create_link(kAlice, "med_nope", 60)), ErrorCode::not_found);
}

TEST_F(MediaServiceTest, ALinkOpensPrivateMediaUntilItExpires) {
  auto record = upload(kAlice, "private", "text/plain", false);
  auto link = run(service_->create_link(kBob, record.media_id, 60));
  auto exp = link.url.substr(link.url.find("?exp=") + 5, link.url.find("&sig=") - link.url.find("?exp=") - 5);
  auto sig = link.url.substr(link.url.find("&sig=") + 5);

  auto reader = service_->link_reader(record.media_id, exp, sig);
  EXPECT_EQ(reader.kind, Reader::Kind::link);
  EXPECT_EQ(reader.link_seconds_left, 60);
  EXPECT_EQ(read_all(open(record.media_id, reader).file.get()), "private");

  auto other = upload(kAlice, "another", "text/plain", false);
  EXPECT_THROW(service_->link_reader(other.media_id, exp, sig), core::ApiError);
  clock_.advance_ms(60'000);
  try {
    service_->link_reader(record.media_id, exp, sig);
    ADD_FAILURE() << "an expired link was accepted";
  } catch (const core::ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::forbidden);
  }
}

// --- deletion ---

TEST_F(MediaServiceTest, TheUploaderDeletesTheirMedia) {
  auto record = upload(kAlice, "to delete", "text/plain");
  run(service_->remove(kAlice, record.media_id));
  EXPECT_FALSE(stored(record.media_id));
  EXPECT_FALSE(blobs_.contains(record.sha256));
  EXPECT_EQ(usage("usr_alice"), 0u);
  EXPECT_EQ(error_of(service_->open(record.media_id, MediaService::token_reader(kAlice))),
            ErrorCode::not_found);
  EXPECT_EQ(error_of(service_->remove(kAlice, record.media_id)), ErrorCode::not_found);
}

TEST_F(MediaServiceTest, OnlyTheUploaderOrAnAdminMayDelete) {
  auto record = upload(kAlice, "alice's", "text/plain");
  EXPECT_EQ(error_of(service_->remove(kBob, record.media_id)), ErrorCode::forbidden);
  EXPECT_EQ(error_of(service_->remove(caller("usr_admin", "chat admin"), record.media_id)),
            ErrorCode::forbidden);  // admin without the media scope
  EXPECT_TRUE(stored(record.media_id));
  EXPECT_TRUE(blobs_.contains(record.sha256));
  EXPECT_EQ(usage("usr_alice"), record.size);

  run(service_->remove(kAdmin, record.media_id));
  EXPECT_FALSE(stored(record.media_id));
  EXPECT_FALSE(blobs_.contains(record.sha256));
  EXPECT_EQ(usage("usr_alice"), 0u);  // charged back to the uploader
  EXPECT_EQ(usage("usr_admin"), 0u);
}

TEST_F(MediaServiceTest, DeletingUnknownMediaIsNotFound) {
  EXPECT_EQ(error_of(service_->remove(kAlice, "med_nope")), ErrorCode::not_found);
  EXPECT_EQ(error_of(service_->remove(kAdmin, "med_nope")), ErrorCode::not_found);
}

TEST_F(MediaServiceTest, TheBlobGoesOnlyWithTheLastReference) {
  std::string png = image(40, 30);
  auto a = upload(kAlice, png);
  auto b = upload(kBob, png);
  ASSERT_EQ(a.sha256, b.sha256);
  thumbnail(b.media_id, 16, 16);
  ASSERT_EQ(blobs_.thumbnail_count(a.sha256), 1u);

  run(service_->remove(kAlice, a.media_id));
  EXPECT_TRUE(blobs_.contains(a.sha256));
  EXPECT_EQ(blobs_.thumbnail_count(a.sha256), 1u);
  EXPECT_EQ(read_all(open(b.media_id, MediaService::token_reader(kBob)).file.get()), png);

  run(service_->remove(kBob, b.media_id));
  EXPECT_FALSE(blobs_.contains(a.sha256));
  EXPECT_EQ(blobs_.thumbnail_count(a.sha256), 0u);
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(thumbnail_files(), 0u);
}

TEST_F(MediaServiceTest, ARefusedDeleteKeepsTheBlob) {
  std::string bytes = "shared bytes";
  auto a = upload(kAlice, bytes);
  EXPECT_EQ(error_of(service_->remove(kBob, a.media_id)), ErrorCode::forbidden);
  EXPECT_TRUE(blobs_.contains(a.sha256));
  EXPECT_EQ(read_all(open(a.media_id, MediaService::token_reader(kAlice)).file.get()), bytes);
}

// --- thumbnails ---

TEST_F(MediaServiceTest, ThumbnailsOfNonImagesAreRefused) {
  auto text = upload(kAlice, "not an image", "text/plain");
  EXPECT_EQ(thumbnail_error(text.media_id, 32, 32), ErrorCode::bad_request);
  auto svg = upload(kAlice, R"(<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>)",
                    "image/svg+xml");
  EXPECT_EQ(thumbnail_error(svg.media_id, 32, 32), ErrorCode::bad_request);
  EXPECT_EQ(thumbnail_files(), 0u);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, ThumbnailsOfUnknownMediaAreNotFound) {
  EXPECT_EQ(thumbnail_error("med_nope", 32, 32), ErrorCode::not_found);
}

TEST_F(MediaServiceTest, ThumbnailsOfPrivateMediaNeedATokenOrALink) {
  std::string png = image(40, 30);
  auto secret = upload(kAlice, png, std::nullopt, false);
  auto shared = upload(kAlice, image(40, 30, 1), std::nullopt, true);
  EXPECT_EQ(thumbnail_error(secret.media_id, 16, 16, kAnonymous), ErrorCode::unauthorized);
  EXPECT_EQ(thumbnail_files(), 0u);
  auto made = thumbnail(shared.media_id, 16, 16, false, kAnonymous);
  EXPECT_EQ(made.content_type, "image/png");
}

TEST_F(MediaServiceTest, BadThumbnailSizesAreRefused) {
  auto record = upload(kAlice, image(40, 30));
  auto largest = service_->max_thumbnail_dimension();
  EXPECT_EQ(thumbnail_error(record.media_id, 0, 16), ErrorCode::bad_request);
  EXPECT_EQ(thumbnail_error(record.media_id, 16, 0), ErrorCode::bad_request);
  EXPECT_EQ(thumbnail_error(record.media_id, largest + 1, 16), ErrorCode::bad_request);
  EXPECT_EQ(thumbnail_files(), 0u);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, ABrokenImageGivesBadRequestAndLeavesNothing) {
  std::string png = image(200, 150, 7);
  auto record = upload(kAlice, png.substr(0, png.size() / 2), "image/png");
  ASSERT_EQ(record.content_type, "image/png");
  EXPECT_EQ(thumbnail_error(record.media_id, 32, 32), ErrorCode::bad_request);
  EXPECT_EQ(thumbnail_files(), 0u);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(MediaServiceTest, AThumbnailIsMadeOnceAndThenServedFromTheCache) {
  auto record = upload(kAlice, image(64, 48));
  auto first = thumbnail(record.media_id, 32, 32);
  EXPECT_EQ(first.content_type, "image/png");
  EXPECT_EQ(first.etag, "\"" + record.sha256 + "-32x32-scale\"");
  EXPECT_EQ(first.record.media_id, record.media_id);
  fs::path cached = media_root() / "thumbs" / record.sha256 / "32x32-scale";
  ASSERT_TRUE(fs::exists(cached));
  EXPECT_EQ(first.size, fs::file_size(cached));
  EXPECT_EQ(inode_of(first.file.get()), inode_of(cached));
  auto made = thumbnailer_.probe(cached);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->width, 32u);
  EXPECT_EQ(made->height, 24u);

  auto second = thumbnail(record.media_id, 32, 32);
  EXPECT_EQ(inode_of(second.file.get()), inode_of(cached));  // the same file, not made again
  EXPECT_EQ(second.size, first.size);
  EXPECT_EQ(second.etag, first.etag);
  EXPECT_EQ(second.content_type, "image/png");
  EXPECT_EQ(read_all(second.file.get()), read_file(cached));
  EXPECT_EQ(blobs_.thumbnail_count(record.sha256), 1u);
  EXPECT_EQ(temp_files(), 0u);

  auto cropped = thumbnail(record.media_id, 32, 32, true);
  EXPECT_EQ(cropped.etag, "\"" + record.sha256 + "-32x32-crop\"");
  EXPECT_EQ(blobs_.thumbnail_count(record.sha256), 2u);
}

TEST_F(MediaServiceTest, PastCachedVariantsThumbnailsAreServedButNotKept) {
  make_service({.max_upload_bytes = kMaxUpload, .quota_bytes = kQuota, .cached_variants = 2});
  auto record = upload(kAlice, image(64, 48));
  thumbnail(record.media_id, 16, 16);
  thumbnail(record.media_id, 24, 24);
  ASSERT_EQ(blobs_.thumbnail_count(record.sha256), 2u);

  auto extra = thumbnail(record.media_id, 32, 32);
  EXPECT_EQ(extra.content_type, "image/png");
  EXPECT_EQ(extra.etag, "\"" + record.sha256 + "-32x32-scale\"");
  std::string bytes = read_all(extra.file.get());
  EXPECT_EQ(bytes.size(), extra.size);
  EXPECT_EQ(bytes.rfind("\x89PNG\r\n\x1a\n", 0), 0u);
  EXPECT_EQ(blobs_.thumbnail_count(record.sha256), 2u);
  EXPECT_FALSE(fs::exists(media_root() / "thumbs" / record.sha256 / "32x32-scale"));
  EXPECT_EQ(temp_files(), 0u);  // served from a removed temp file's descriptor

  // Asked again, it is made again (and still not kept); cached ones are still served.
  auto again = thumbnail(record.media_id, 32, 32);
  EXPECT_NE(inode_of(again.file.get()), 0u);
  EXPECT_EQ(read_all(again.file.get()), bytes);
  EXPECT_EQ(blobs_.thumbnail_count(record.sha256), 2u);
  auto cached = thumbnail(record.media_id, 16, 16);
  EXPECT_EQ(inode_of(cached.file.get()), inode_of(media_root() / "thumbs" / record.sha256 / "16x16-scale"));
}

TEST_F(MediaServiceTest, ACachedJpegThumbnailKeepsItsType) {
  std::string jpeg = image(64, 48, 100, ".jpg");
  auto record = upload(kAlice, jpeg);
  ASSERT_EQ(record.content_type, "image/jpeg");
  auto first = thumbnail(record.media_id, 32, 32);
  EXPECT_EQ(first.content_type, "image/jpeg");
  auto second = thumbnail(record.media_id, 32, 32);  // from the cache
  EXPECT_EQ(second.record.media_id, record.media_id);
  EXPECT_EQ(second.content_type, "image/jpeg");
}

}  // namespace
}  // namespace bartab::media
