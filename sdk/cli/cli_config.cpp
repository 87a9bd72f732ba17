#include "cli/cli_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace bartab::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) throw std::runtime_error("the session file lacks " + std::string(key));
  return std::string(v->get_string());
}

void write_all(int fd, const std::string& text, const fs::path& path) {
  std::string_view rest = text;
  while (!rest.empty()) {
    auto n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "write " + path.string());
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

fs::path config_path(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  if (auto explicit_path = env("BARTAB_CLI_CONFIG")) return *explicit_path;
  if (auto xdg = env("XDG_CONFIG_HOME")) return fs::path(*xdg) / "bartab" / "cli.json";
  auto home = env("HOME");
  if (!home) throw std::runtime_error("no HOME: give --config FILE");
  return fs::path(*home) / ".config" / "bartab" / "cli.json";
}

std::optional<SavedSession> load_session(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw std::system_error(errno, std::generic_category(), "stat " + path.string());
  }
  // Tokens are credentials: refuse a file others could have read (or written).
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error(path.string() + " is readable by others; chmod 600 it or log in again");
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto parsed = json::parse(text.str(), ec);
  if (ec || !parsed.is_object()) throw std::runtime_error(path.string() + " is not a session file");
  const auto& o = parsed.get_object();
  SavedSession s;
  s.url = text_of(o, "url");
  s.user_id = text_of(o, "user_id");
  s.username = text_of(o, "username");
  s.access_token = text_of(o, "access_token");
  s.refresh_token = text_of(o, "refresh_token");
  const auto* expires = o.if_contains("expires_at");
  if (expires != nullptr && expires->is_int64()) s.expires_at = expires->get_int64();
  return s;
}

void save_session(const fs::path& path, const SavedSession& s) {
  auto dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::exists(dir)) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  }
  json::object o{{"url", s.url},
                 {"user_id", s.user_id},
                 {"username", s.username},
                 {"access_token", s.access_token},
                 {"refresh_token", s.refresh_token},
                 {"expires_at", s.expires_at}};
  auto temp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + temp.string());
  try {
    write_all(fd, json::serialize(o) + "\n", temp);
    if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category(), "fsync " + temp.string());
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto error = errno;
    ::unlink(temp.c_str());
    throw std::system_error(error, std::generic_category(), "rename to " + path.string());
  }
}

bool forget_session(const fs::path& path) {
  std::error_code ec;
  return fs::remove(path, ec);
}

}  // namespace bartab::cli
