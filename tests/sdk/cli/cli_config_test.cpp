// The command-line client's session file: where it lives, a round trip, mode 0600 on
// every write, and refusals (a file others can read, a malformed one).
#include "cli/cli_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "support/temp_dir.hpp"

namespace bartab::cli {
namespace {

namespace fs = std::filesystem;

SavedSession sample() {
  return {"http://127.0.0.1:8080", "usr_1", "alice", "access.token", "refresh-token", 1'800'000'000};
}

fs::perms others_and_group(const fs::path& path) {
  return fs::status(path).permissions() & (fs::perms::group_all | fs::perms::others_all);
}

TEST(CliConfig, SaveThenLoadGivesTheSameSessionInAFileOnlyItsOwnerReads) {
  testing::TempDir dir;
  auto path = dir.path() / "nested" / "cli.json";
  save_session(path, sample());
  auto loaded = load_session(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->url, "http://127.0.0.1:8080");
  EXPECT_EQ(loaded->user_id, "usr_1");
  EXPECT_EQ(loaded->username, "alice");
  EXPECT_EQ(loaded->access_token, "access.token");
  EXPECT_EQ(loaded->refresh_token, "refresh-token");
  EXPECT_EQ(loaded->expires_at, 1'800'000'000);
  EXPECT_EQ(others_and_group(path), fs::perms::none);
  EXPECT_EQ(others_and_group(path.parent_path()), fs::perms::none) << "a folder it made is private too";
}

TEST(CliConfig, RewritingReplacesTheFileWholeAndLeavesNoTemporaryFiles) {
  testing::TempDir dir;
  auto path = dir.path() / "cli.json";
  save_session(path, sample());
  auto rotated = sample();
  rotated.refresh_token = "rotated";
  save_session(path, rotated);
  EXPECT_EQ(load_session(path)->refresh_token, "rotated");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);
}

TEST(CliConfig, AMissingFileIsNoSessionAndForgettingTwiceIsHarmless) {
  testing::TempDir dir;
  auto path = dir.path() / "cli.json";
  EXPECT_FALSE(load_session(path));
  EXPECT_FALSE(forget_session(path));
  save_session(path, sample());
  EXPECT_TRUE(forget_session(path));
  EXPECT_FALSE(load_session(path));
}

TEST(CliConfig, AFileOthersCanReadIsRefused) {
  testing::TempDir dir;
  auto path = dir.path() / "cli.json";
  save_session(path, sample());
  ::chmod(path.c_str(), 0644);
  EXPECT_THROW(load_session(path), std::runtime_error);
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(load_session(path));
}

TEST(CliConfig, MalformedFilesAreRefused) {
  testing::TempDir dir;
  auto path = dir.path() / "cli.json";
  for (const char* text : {"", "not json", "[]", R"({"url":"x"})", R"({"url":1,"user_id":"u","username":"n",
      "access_token":"a","refresh_token":"r"})"}) {
    { std::ofstream(path) << text; }
    ::chmod(path.c_str(), 0600);
    EXPECT_THROW(load_session(path), std::runtime_error) << text;
  }
}

TEST(CliConfig, ThePathComesFromTheFlagThenTheEnvironmentThenXdgThenHome) {
  const char* home = std::getenv("HOME");
  std::string saved_home = home ? home : "";
  EXPECT_EQ(config_path(std::string("/tmp/x.json")), fs::path("/tmp/x.json"));
  ::setenv("BARTAB_CLI_CONFIG", "/tmp/env.json", 1);
  EXPECT_EQ(config_path(std::nullopt), fs::path("/tmp/env.json"));
  ::unsetenv("BARTAB_CLI_CONFIG");
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(config_path(std::nullopt), fs::path("/tmp/xdg/bartab/cli.json"));
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/tmp/home", 1);
  EXPECT_EQ(config_path(std::nullopt), fs::path("/tmp/home/.config/bartab/cli.json"));
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace bartab::cli
