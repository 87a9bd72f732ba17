// docs/bots.md is run as written: its `sh` blocks, in order, in one bash against a
// fresh `bartab up`, with build/<preset>/bin on PATH. The guide promises its last
// command shows the bot's answer; this test holds it to that.
#include <gtest/gtest.h>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "e2e/harness.hpp"
#include "support/temp_dir.hpp"

namespace bartab::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The bodies of the ```sh blocks, in order.
std::string sh_blocks(const fs::path& markdown) {
  std::ifstream in(markdown);
  std::string line, script;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```sh") {
      inside = true;
      continue;
    }
    if (inside && line == "```") {
      inside = false;
      continue;
    }
    if (inside) script += line + "\n";
  }
  return script;
}

TEST(BotsGuide, TheFiveMinuteGuideRunsAsWrittenAndTheBotAnswers) {
  auto script = sh_blocks(fs::path(BARTAB_SOURCE_DIR) / "docs" / "bots.md");
  ASSERT_NE(script.find("bartab-echo-bot"), std::string::npos) << "the guide lost its blocks:\n" << script;
  RunningServer server({"--registration", "open"});
  TempDir home;
  auto run = run_shell(home.path(), script, client_environment(server.port, home.path()), 60s);
  EXPECT_EQ(run.status, 0) << "stdout:\n" << run.out << "\nstderr:\n" << run.err;
  EXPECT_NE(run.out.find("hello, bot"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("echo: hello, bot"), std::string::npos) << "stdout:\n"
                                                                 << run.out << "\nstderr:\n"
                                                                 << run.err;
  auto config = home.path() / ".config" / "bartab" / "cli.json";
  ASSERT_TRUE(fs::exists(config));
  EXPECT_EQ(fs::status(config).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none)
      << "the session file is the owner's alone";
}

}  // namespace
}  // namespace bartab::testing
