// FilePositionStore: atomic, durable replacement of a one-line file.
#include "bartab/sdk/position_store.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace bartab::sdk {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Closes the descriptor however the scope ends.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t written = 0;
  while (written < data.size()) {
    auto n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write " + path);
    written += static_cast<std::size_t>(n);
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot open directory " + dir.string());
  if (::fsync(fd.get()) != 0) throw_errno("cannot fsync directory " + dir.string());
}

}  // namespace

FilePositionStore::FilePositionStore(std::filesystem::path path) : path_(std::move(path)) {}

std::optional<std::string> FilePositionStore::load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  auto position = contents.str();
  while (!position.empty() && (position.back() == '\n' || position.back() == '\r')) position.pop_back();
  if (position.empty()) return std::nullopt;
  return position;
}

void FilePositionStore::save(const std::string& position) {
  auto dir = path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
  auto temp = path_;
  temp += ".tmp";
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw_errno("cannot create " + temp.string());
    write_all(fd.get(), position + "\n", temp.string());
    if (::fsync(fd.get()) != 0) throw_errno("cannot fsync " + temp.string());
  }
  if (::rename(temp.c_str(), path_.c_str()) != 0) throw_errno("cannot rename " + temp.string());
  fsync_directory(dir);
}

}  // namespace bartab::sdk
