#include "services/media/store/blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <system_error>

namespace bartab::media {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Makes a rename or unlink in `dir` durable.
void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open " + dir.string());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) throw_errno("fsync " + dir.string());
}

std::optional<core::http::FileHandle> open_for_reading(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  return core::http::FileHandle(fd);
}

void check_address(const std::string& sha256) {
  // A programmer error: only hashes the server computed reach here.
  assert(is_sha256_hex(sha256) && "blob addresses are sha256 hex digests");
  if (!is_sha256_hex(sha256)) throw std::invalid_argument("not a sha256 address");
}

}  // namespace

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return false;
  }
  return true;
}

std::string thumbnail_variant(std::uint32_t width, std::uint32_t height, bool crop) {
  return std::to_string(width) + "x" + std::to_string(height) + (crop ? "-crop" : "-scale");
}

TempFile::TempFile(TempFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      removed_(other.removed_),
      synced_(other.synced_) {
  other.removed_ = true;
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (removed_) return;
  std::error_code ignored;
  fs::remove(path_, ignored);
}

void TempFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + path_.string());
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void TempFile::sync() {
  if (synced_) return;
  if (::fsync(fd_) != 0) throw_errno("fsync " + path_.string());
  synced_ = true;
}

std::optional<core::http::FileHandle> TempFile::reopen() const {
  return open_for_reading(path_);
}

void TempFile::installed() {
  removed_ = true;
}

BlobStore::BlobStore(fs::path root, core::crypto::Random& random) : root_(std::move(root)), random_(random) {
  for (const char* dir : {"blobs", "thumbs", "tmp"}) fs::create_directories(root_ / dir);
}

TempFile BlobStore::create_temp() {
  for (;;) {
    auto path = root_ / "tmp" / ("upload-" + core::crypto::hex_encode(random_.bytes(12).data(), 12));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return TempFile(std::move(path), fd);
    if (errno != EEXIST) throw_errno("create " + path.string());
  }
}

fs::path BlobStore::blob_path(const std::string& sha256) const {
  check_address(sha256);
  return root_ / "blobs" / sha256.substr(0, 2) / sha256;
}

fs::path BlobStore::thumbnail_dir(const std::string& sha256) const {
  check_address(sha256);
  return root_ / "thumbs" / sha256;
}

bool BlobStore::install(TempFile& temp, const std::string& sha256) {
  auto target = blob_path(sha256);
  if (fs::exists(target)) return false;  // deduplicated: the temp file goes with `temp`
  temp.sync();
  fs::create_directories(target.parent_path());
  if (::rename(temp.path().c_str(), target.c_str()) != 0) throw_errno("rename to " + target.string());
  temp.installed();
  sync_directory(target.parent_path());
  return true;
}

bool BlobStore::contains(const std::string& sha256) const {
  return fs::exists(blob_path(sha256));
}

std::optional<core::http::FileHandle> BlobStore::open(const std::string& sha256) const {
  return open_for_reading(blob_path(sha256));
}

void BlobStore::remove(const std::string& sha256) {
  std::error_code ignored;
  fs::remove_all(thumbnail_dir(sha256), ignored);
  auto path = blob_path(sha256);
  if (!fs::remove(path, ignored)) return;
  sync_directory(path.parent_path());
}

std::optional<core::http::FileHandle> BlobStore::open_thumbnail(const std::string& sha256,
                                                                const std::string& variant) const {
  return open_for_reading(thumbnail_dir(sha256) / variant);
}

void BlobStore::install_thumbnail(TempFile& temp, const std::string& sha256, const std::string& variant) {
  auto dir = thumbnail_dir(sha256);
  fs::create_directories(dir);
  auto target = dir / variant;
  if (::rename(temp.path().c_str(), target.c_str()) != 0) throw_errno("rename to " + target.string());
  temp.installed();
}

std::size_t BlobStore::thumbnail_count(const std::string& sha256) const {
  std::error_code ec;
  fs::directory_iterator it(thumbnail_dir(sha256), ec);
  if (ec) return 0;
  std::size_t n = 0;
  for (; it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

std::size_t BlobStore::sweep(const std::function<bool(const std::string&)>& referenced) {
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp")) fs::remove(entry.path(), ignored);
  std::size_t removed = 0;
  for (const auto& prefix : fs::directory_iterator(root_ / "blobs")) {
    if (!prefix.is_directory()) continue;
    for (const auto& blob : fs::directory_iterator(prefix.path())) {
      auto name = blob.path().filename().string();
      if (!is_sha256_hex(name) || referenced(name)) continue;
      fs::remove_all(thumbnail_dir(name), ignored);
      if (fs::remove(blob.path(), ignored)) ++removed;
    }
  }
  for (const auto& dir : fs::directory_iterator(root_ / "thumbs")) {
    auto name = dir.path().filename().string();
    if (!is_sha256_hex(name) || !contains(name)) fs::remove_all(dir.path(), ignored);
  }
  return removed;
}

}  // namespace bartab::media
