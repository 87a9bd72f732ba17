// The command-line contract: --version, --help, configuration errors at start-up.
#include <gtest/gtest.h>
#include <fstream>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Cli, VersionAndHelp) {
  auto version = run_bartab({"--version"});
  EXPECT_EQ(version.status.code, 0);
  EXPECT_TRUE(contains(version.output, "bartab 0.1.0")) << version.output;
  auto help = run_bartab({"--help"});
  EXPECT_EQ(help.status.code, 0);
  for (const char* word : {"up", "auth", "chat", "media"}) EXPECT_TRUE(contains(help.output, word));
  auto up_help = run_bartab({"up", "--help"});
  for (const char* flag : {"--port", "--data", "--registration", "--host", "--config", "--set"}) {
    EXPECT_TRUE(contains(up_help.output, flag)) << flag;
  }
}

TEST(Cli, NoOrUnknownSubcommandFails) {
  EXPECT_NE(run_bartab({}).status.code, 0);
  EXPECT_NE(run_bartab({"launch"}).status.code, 0);
  EXPECT_NE(run_bartab({"up", "--bogus"}).status.code, 0);
}

TEST(Cli, UnknownConfigKeyStopsStartUpNamingIt) {
  TempDir dir;
  auto file = dir.path() / "bartab.toml";
  std::ofstream(file) << "[server]\nport = 0\n[limits]\nmax_json_bites = 5\n";
  auto result = run_bartab({"chat", "--config", file.string()});
  EXPECT_TRUE(result.status.exited);
  EXPECT_EQ(result.status.code, 2);
  EXPECT_TRUE(contains(result.output, "limits.max_json_bites")) << result.output;
}

TEST(Cli, BadEnvironmentValueStopsStartUpNamingIt) {
  TempDir dir;
  auto result = run_bartab({"up", "--port", "0", "--data", dir.path().string()}, {"BARTAB_LOG_FORMAT=yaml"});
  EXPECT_EQ(result.status.code, 2);
  EXPECT_TRUE(contains(result.output, "log.format")) << result.output;
  EXPECT_TRUE(contains(result.output, "BARTAB_LOG_FORMAT")) << result.output;
}

TEST(Cli, BadFlagValueStopsStartUp) {
  TempDir dir;
  auto result = run_bartab({"up", "--port", "99999", "--data", dir.path().string()});
  EXPECT_EQ(result.status.code, 2);
  EXPECT_TRUE(contains(result.output, "server.port")) << result.output;
  auto reg = run_bartab({"up", "--port", "0", "--registration", "sometimes", "--data", dir.path().string()});
  EXPECT_EQ(reg.status.code, 2);
  EXPECT_TRUE(contains(reg.output, "auth.registration")) << reg.output;
  auto set = run_bartab({"up", "--set", "no-equals-sign"});
  EXPECT_EQ(set.status.code, 2);
}

TEST(Cli, MissingConfigFileFails) {
  auto result = run_bartab({"auth", "--config", "/nonexistent/bartab.toml"});
  EXPECT_NE(result.status.code, 0);
}

TEST(Cli, ConfigFileAndEnvironmentConfigureASingleService) {
  TempDir dir;
  auto file = dir.path() / "chat.toml";
  std::ofstream(file) << "[server]\nhost = \"127.0.0.1\"\nport = 1\ndata_dir = \""
                      << (dir.path() / "d").string() << "\"\n[chat]\nauth_url = \"http://127.0.0.1:8081\"\n";
  BartabProcess process({"chat", "--config", file.string()}, {"BARTAB_SERVER_PORT=0"});
  auto port = process.wait_listening();
  EXPECT_EQ(http(port, "GET", "/healthz").status, 200u);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "d")) << "the data directory is created";
}

TEST(Cli, PortInUseFailsClearly) {
  RunningServer first;
  TempDir dir;
  auto result = run_bartab(
      {"up", "--host", "127.0.0.1", "--port", std::to_string(first.port), "--data", dir.path().string()});
  EXPECT_NE(result.status.code, 0);
  EXPECT_TRUE(contains(result.output, "cannot listen")) << result.output;
}

}  // namespace
}  // namespace bartab::testing
