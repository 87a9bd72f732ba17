// Where a bot keeps its place in the event stream (the last sync `next` whose events
// were all handled), so a restart neither misses nor repeats a batch.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace bartab::sdk {

class PositionStore {
 public:
  virtual ~PositionStore() = default;
  // The saved position, or nothing on a first run.
  virtual std::optional<std::string> load() = 0;
  // Must be durable when it returns: the bot acts as if it never sees the batch again.
  virtual void save(const std::string& position) = 0;
};

// A position in one file, replaced atomically and durably: written to a temporary file
// in the same directory, fsynced, renamed over the old one, and the directory fsynced.
// A crash at any point leaves either the old position or the new one.
class FilePositionStore : public PositionStore {
 public:
  explicit FilePositionStore(std::filesystem::path path);
  std::optional<std::string> load() override;
  void save(const std::string& position) override;  // throws std::system_error

 private:
  std::filesystem::path path_;
};

// In memory only: for tests and bots that always start from the present.
class MemoryPositionStore : public PositionStore {
 public:
  std::optional<std::string> load() override { return position_; }
  void save(const std::string& position) override { position_ = position; }

 private:
  std::optional<std::string> position_;
};

}  // namespace bartab::sdk
