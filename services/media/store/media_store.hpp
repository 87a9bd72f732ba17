// The media service's metadata: one record per upload, each user's byte usage, and
// the service's own settings (the signed-link key). The blobs themselves live on disk
// (BlobStore); this interface never touches files.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bartab::media {

struct MediaRecord {
  std::string media_id;
  std::string sha256;  // lowercase hex of the bytes: the blob's address
  std::uint64_t size = 0;
  std::string content_type;
  std::string name;  // the uploader's file name, cleaned; may be empty
  std::string uploader;
  bool is_public = false;
  std::optional<std::uint32_t> width;
  std::optional<std::uint32_t> height;
  std::int64_t created_ms = 0;
};

class MediaStore {
 public:
  virtual ~MediaStore() = default;

  // Runs `work` in one transaction (joining one already open).
  virtual void in_transaction(const std::function<void()>& work) = 0;

  virtual std::optional<MediaRecord> find(const std::string& media_id) = 0;
  // Inserts the record and adds its size to the uploader's usage.
  virtual void insert(const MediaRecord& record) = 0;
  // Deletes the record and subtracts its size from the uploader's usage; false when
  // there was none.
  virtual bool remove(const std::string& media_id) = 0;
  // How many records point at the blob.
  virtual std::uint64_t references(const std::string& sha256) = 0;
  virtual std::uint64_t usage(const std::string& user_id) = 0;

  virtual std::optional<std::string> meta(const std::string& key) = 0;
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
};

}  // namespace bartab::media
