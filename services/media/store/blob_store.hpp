// Media bytes on local disk, content-addressed:
//   ROOT/blobs/ab/abcdef...          an upload's bytes, named by their sha256
//   ROOT/thumbs/abcdef.../WxH-crop   thumbnails made from that blob, cached
//   ROOT/tmp/upload-...              files being written (uploads, thumbnails)
// Every path is made from a sha256 (checked: 64 lowercase hex digits), numbers, or
// names the server draws itself; nothing a client sends ever becomes part of a path.
// Files appear under blobs/ and thumbs/ only by rename(2) of a complete, synced file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto/crypto.hpp"
#include "core/http/message.hpp"

namespace bartab::media {

class BlobStore;

// A file under tmp/ being written; removed when dropped unless installed.
class TempFile {
 public:
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  ~TempFile();

  // Appends; throws std::system_error on an I/O failure (a full disk, say).
  void write(std::string_view bytes);
  // fsync: the bytes are on disk before the file is renamed into place. Once.
  void sync();
  bool synced() const { return synced_; }
  const std::filesystem::path& path() const { return path_; }
  // The file opened again for reading (the descriptor outlives the file's removal).
  std::optional<core::http::FileHandle> reopen() const;

 private:
  friend class BlobStore;
  TempFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  void installed();

  std::filesystem::path path_;
  int fd_ = -1;
  bool removed_ = false;
  bool synced_ = false;
};

// A thumbnail variant's file name: "320x240-scale".
std::string thumbnail_variant(std::uint32_t width, std::uint32_t height, bool crop);

class BlobStore {
 public:
  // Creates ROOT and its folders; throws std::system_error when it cannot.
  BlobStore(std::filesystem::path root, core::crypto::Random& random);

  TempFile create_temp();

  // Moves a temp file to the blob's place (syncing it first if it was not), or drops
  // it when that blob already exists (deduplication), and makes the rename durable.
  // True when a new blob was installed.
  bool install(TempFile& temp, const std::string& sha256);
  bool contains(const std::string& sha256) const;
  // The blob opened for reading; nullopt when it is not there.
  std::optional<core::http::FileHandle> open(const std::string& sha256) const;
  std::filesystem::path blob_path(const std::string& sha256) const;
  // Removes a blob and its cached thumbnails.
  void remove(const std::string& sha256);

  std::optional<core::http::FileHandle> open_thumbnail(const std::string& sha256,
                                                       const std::string& variant) const;
  // Moves a finished thumbnail into the cache (a concurrent twin may win: same bytes).
  void install_thumbnail(TempFile& temp, const std::string& sha256, const std::string& variant);
  std::size_t thumbnail_count(const std::string& sha256) const;

  // Start-up clean-up: drops unfinished files under tmp/, and every blob (with its
  // thumbnails) that `referenced` says nothing points at. Returns how many blobs went.
  std::size_t sweep(const std::function<bool(const std::string& sha256)>& referenced);

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path thumbnail_dir(const std::string& sha256) const;

  std::filesystem::path root_;
  core::crypto::Random& random_;
};

// True for 64 lowercase hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace bartab::media
