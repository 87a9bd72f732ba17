// Starts the real `bartab` binary for end-to-end tests: on port 0, with a fresh data
// directory, its stderr captured so tests can wait for lines and read the logs.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace bartab::testing {

struct ExitStatus {
  bool exited = false;  // false: killed by a signal or still running at the deadline
  int code = -1;
  int signal = 0;
};

class BartabProcess {
 public:
  // Runs `bartab <args...>` with extra "NAME=value" environment entries; `program`
  // runs another binary of the project instead (the echo bot).
  BartabProcess(std::vector<std::string> args, std::vector<std::string> env = {}, std::string program = {});
  ~BartabProcess();
  BartabProcess(const BartabProcess&) = delete;
  BartabProcess& operator=(const BartabProcess&) = delete;

  // Waits for the "listening on HOST:PORT" line and returns the port; throws if the
  // process exits or does not get there within the timeout.
  std::uint16_t wait_listening(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits until captured stderr contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  std::string output() const;
  // Everything the process wrote, once its stderr closed (after it exited).
  std::string final_output(std::chrono::milliseconds timeout);

  void send_signal(int signo);
  ExitStatus wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  void read_stderr(int fd);

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
};

// Runs `bartab <args...>` to completion (for --version, bad configuration and the like).
struct CommandResult {
  ExitStatus status;
  std::string output;  // stdout and stderr together
};
CommandResult run_bartab(std::vector<std::string> args, std::vector<std::string> env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `bartab up --port 0 --host 127.0.0.1 --data DIR` plus extra arguments, listening.
// The all-in-one shape is also waited on until /readyz answers 200 (chat fetches the
// JWKS from the process itself a few milliseconds after it listens).
struct RunningServer {
  explicit RunningServer(std::vector<std::string> extra_args = {}, std::vector<std::string> env = {},
                         const std::string& shape = "up");
  TempDir data;
  BartabProcess process;
  std::uint16_t port;
};

// `bartab up` on a data directory the test keeps (for restarts), with open
// registration and a fixed public URL: tokens name it as their issuer, and the port
// changes from one start to the next. Waits until /readyz answers 200; SIGTERM on
// destruction.
class UpOnDirectory {
 public:
  explicit UpOnDirectory(const std::filesystem::path& dir);
  ~UpOnDirectory();
  UpOnDirectory(const UpOnDirectory&) = delete;
  UpOnDirectory& operator=(const UpOnDirectory&) = delete;
  std::uint16_t port() const { return port_; }
  BartabProcess& process() { return process_; }

 private:
  BartabProcess process_;
  std::uint16_t port_;
};

// A bash script run to its end (or killed at the timeout) in `dir`, in its own process
// group, which is ended afterwards (scripts may leave programs in the background).
// `env` entries ("NAME=value") are added to the environment.
struct ShellRun {
  int status = -1;  // the exit code; -1 when killed
  std::string out;
  std::string err;
};
ShellRun run_shell(const std::filesystem::path& dir, const std::string& script,
                   const std::vector<std::string>& env, std::chrono::seconds timeout);

// The environment of a script that uses the project's programs against a server on
// `port`: build/<preset>/bin first on PATH, BARTAB_URL, and HOME and XDG_CONFIG_HOME in
// `home` (so the CLI keeps its session there).
std::vector<std::string> client_environment(std::uint16_t port, const std::filesystem::path& home);

}  // namespace bartab::testing
