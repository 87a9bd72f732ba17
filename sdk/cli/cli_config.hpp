// The command-line client's saved session: the server URL and the tokens of the
// account logged in, in one JSON file readable by its owner only (mode 0600).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace bartab::cli {

struct SavedSession {
  std::string url;
  std::string user_id;
  std::string username;
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_at = 0;  // Unix seconds of the access token's expiry
};

// --config, else $BARTAB_CLI_CONFIG, else $XDG_CONFIG_HOME/bartab/cli.json, else
// ~/.config/bartab/cli.json.
std::filesystem::path config_path(const std::optional<std::string>& flag);

// nullopt when there is no file; throws std::runtime_error when it is unreadable,
// not ours to trust (group or world can read it) or malformed.
std::optional<SavedSession> load_session(const std::filesystem::path& path);

// Writes atomically (a temporary file in the same folder, created 0600, then renamed),
// creating the folder (0700) when needed.
void save_session(const std::filesystem::path& path, const SavedSession& session);

// Removes the file; false when there was none.
bool forget_session(const std::filesystem::path& path);

}  // namespace bartab::cli
