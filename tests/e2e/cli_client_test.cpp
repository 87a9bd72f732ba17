// bartab-cli against a real `bartab up`: sessions kept in a 0600 file, rooms, sends
// (with --txn idempotent), tail and tail -f, uploads, and the refusals a script must
// be able to tell from success (exit code 1 with the server's error code).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "e2e/harness.hpp"
#include "support/temp_dir.hpp"

namespace bartab::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class CliClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new RunningServer({"--registration", "open"}); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  ShellRun sh(const std::string& script) {
    return run_shell(home_.path(), script, client_environment(server_->port, home_.path()), 60s);
  }

  fs::path config() const { return home_.path() / ".config" / "bartab" / "cli.json"; }

  static inline RunningServer* server_ = nullptr;
  TempDir home_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(CliClient, RegisterCreateSendTailAndUpload) {
  auto run = sh(R"(
printf 'correct horse battery\n' | bartab-cli register --username cli-alice --password-stdin
ROOM=$(bartab-cli create "CLI room")
echo "room=$ROOM"
bartab-cli --json rooms
bartab-cli send "$ROOM" hello from the shell
echo "piped text" | bartab-cli send "$ROOM"
FIRST=$(bartab-cli send "$ROOM" --txn retry-1 "only once")
SECOND=$(bartab-cli send "$ROOM" --txn retry-1 "only once")
[ "$FIRST" = "$SECOND" ] && echo "same event for the same txn"
printf 'file bytes' > notes.txt
bartab-cli --json upload notes.txt --room "$ROOM" --type text/plain
bartab-cli tail "$ROOM" -n 10
)");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "\"name\":\"CLI room\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "] cli-alice hello from the shell")) << "tail names the sender:\n" << run.out;
  EXPECT_TRUE(contains(run.out, "piped text")) << run.out;
  EXPECT_TRUE(contains(run.out, "same event for the same txn")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"media_id\":\"med_")) << run.out;
  EXPECT_TRUE(contains(run.out, "notes.txt")) << "the upload was posted to the room:\n" << run.out;
  auto tail_start = run.out.rfind("hello from the shell");
  EXPECT_EQ(run.out.find("only once", tail_start), run.out.rfind("only once")) << "one message for two sends";
  ASSERT_TRUE(fs::exists(config()));
  EXPECT_EQ(fs::status(config()).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
}

TEST_F(CliClient, TailFollowPrintsNewMessagesAsTheyCome) {
  auto run = sh(R"(
printf 'correct horse battery\n' | bartab-cli register --username cli-bob --password-stdin
ROOM=$(bartab-cli create "Followed")
bartab-cli tail -f "$ROOM" > follow.txt &
sleep 0.5
for i in 1 2 3; do bartab-cli send "$ROOM" "live $i" > /dev/null; done
for attempt in $(seq 50); do grep -q "live 3" follow.txt && break; sleep 0.1; done
cat follow.txt
)");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  auto one = run.out.find("live 1"), two = run.out.find("live 2"), three = run.out.find("live 3");
  ASSERT_NE(three, std::string::npos) << run.out;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST_F(CliClient, RefusalsExitWithOneAndTheServersReason) {
  auto run = sh(R"(
printf 'correct horse battery\n' | bartab-cli register --username cli-carol --password-stdin > /dev/null
if printf 'wrong password\n' | bartab-cli login --username cli-carol --password-stdin; then echo "login: accepted"; else echo "login: exit $?"; fi
if bartab-cli join room_doesnotexist; then echo "join: accepted"; else echo "join: exit $?"; fi
if bartab-cli send room_doesnotexist hi; then echo "send: accepted"; else echo "send: exit $?"; fi
chmod 644 "$XDG_CONFIG_HOME/bartab/cli.json"
if bartab-cli rooms; then echo "open file: accepted"; else echo "open file: exit $?"; fi
chmod 600 "$XDG_CONFIG_HOME/bartab/cli.json"
bartab-cli logout
if bartab-cli rooms; then echo "after logout: accepted"; else echo "after logout: exit $?"; fi
)");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "login: exit 1")) << run.out;
  EXPECT_TRUE(contains(run.err, "unauthorized") || contains(run.err, "invalid")) << run.err;
  EXPECT_TRUE(contains(run.out, "join: exit 1")) << run.out;
  EXPECT_TRUE(contains(run.err, "not_found")) << run.err;
  EXPECT_TRUE(contains(run.out, "send: exit 1")) << run.out;
  EXPECT_TRUE(contains(run.out, "open file: exit 1")) << run.out;
  EXPECT_TRUE(contains(run.err, "readable by others")) << run.err;
  EXPECT_TRUE(contains(run.out, "logged out")) << run.out;
  EXPECT_TRUE(contains(run.out, "after logout: exit 1")) << run.out;
  EXPECT_TRUE(contains(run.err, "not logged in")) << run.err;
  EXPECT_FALSE(fs::exists(config()));
}

}  // namespace
}  // namespace bartab::testing
