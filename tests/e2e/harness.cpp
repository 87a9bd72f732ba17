#include "e2e/harness.hpp"

#include "support/test_client.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bartab::testing {

using namespace std::chrono_literals;

namespace {

pid_t spawn(const std::string& program, const std::vector<std::string>& args,
            const std::vector<std::string>& env, int out_fd) {
  std::vector<std::string> argv_storage{program.empty() ? std::string(BARTAB_BINARY) : program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "BARTAB_", 7) != 0) env_storage.emplace_back(*e);
  }
  env_storage.insert(env_storage.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_fd, STDERR_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

ExitStatus decode(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) {
    out.exited = true;
    out.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  return out;
}

}  // namespace

BartabProcess::BartabProcess(std::vector<std::string> args, std::vector<std::string> env,
                             std::string program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = spawn(program, args, env, fds[1]);
  ::close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] { read_stderr(fd); });
}

BartabProcess::~BartabProcess() {
  if (!exit_) {
    ::kill(pid_, SIGKILL);
    wait_exit(5s);
  }
  if (reader_.joinable()) reader_.join();
}

void BartabProcess::read_stderr(int fd) {
  char buf[4096];
  while (true) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      changed_.notify_all();
      break;
    }
    output_.append(buf, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
}

std::uint16_t BartabProcess::wait_listening(std::chrono::milliseconds timeout) {
  static const std::regex listening(R"(listening on [^ ]*:(\d+))");
  std::unique_lock lock(mutex_);
  std::smatch match;
  bool found =
      changed_.wait_for(lock, timeout, [&] { return std::regex_search(output_, match, listening) || eof_; });
  if (!found || (eof_ && !std::regex_search(output_, match, listening))) {
    throw std::runtime_error("bartab did not start listening; output:\n" + output_);
  }
  return static_cast<std::uint16_t>(std::stoi(match[1].str()));
}

bool BartabProcess::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return output_.find(text) != std::string::npos; });
}

std::string BartabProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

std::string BartabProcess::final_output(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return eof_; });
  return output_;
}

void BartabProcess::send_signal(int signo) {
  ::kill(pid_, signo);
}

ExitStatus BartabProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_) return *exit_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_ = decode(status);
      return *exit_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return ExitStatus{};
    std::this_thread::sleep_for(10ms);
  }
}

CommandResult run_bartab(std::vector<std::string> args, std::vector<std::string> env,
                         std::chrono::milliseconds timeout) {
  BartabProcess process(std::move(args), std::move(env));
  auto status = process.wait_exit(timeout);
  return {status, process.final_output(2s)};
}

RunningServer::RunningServer(std::vector<std::string> extra_args, std::vector<std::string> env,
                             const std::string& shape)
    : process(
          [&] {
            std::vector<std::string> args{shape, "--port", "0", "--host", "127.0.0.1"};
            if (shape == "up") {
              args.insert(args.end(), {"--data", data.path().string()});
            } else {
              args.insert(args.end(), {"--set", "server.data_dir=" + data.path().string()});
            }
            args.insert(args.end(), extra_args.begin(), extra_args.end());
            return args;
          }(),
          std::move(env)),
      port(process.wait_listening()) {
  if (shape != "up") return;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http(port, "GET", "/readyz").status == 200) return;
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("bartab up did not become ready; output:\n" + process.output());
}

UpOnDirectory::UpOnDirectory(const std::filesystem::path& dir)
    : process_({"up", "--port", "0", "--host", "127.0.0.1", "--data", dir.string(), "--registration", "open",
                "--set", "server.public_url=http://bartab.test"}),
      port_(process_.wait_listening()) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && http(port_, "GET", "/readyz").status != 200)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

UpOnDirectory::~UpOnDirectory() {
  process_.send_signal(SIGTERM);
  process_.wait_exit(std::chrono::seconds(10));
}

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ShellRun run_shell(const std::filesystem::path& dir, const std::string& script,
                   const std::vector<std::string>& env, std::chrono::seconds timeout) {
  auto script_path = dir / "script.sh";
  std::ofstream(script_path) << "set -euo pipefail\n" << script;
  auto out = (dir / "script.out").string();
  auto err = (dir / "script.err").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    for (const auto& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) ::_exit(126);
    if (!std::freopen("/dev/null", "r", stdin)) ::_exit(126);
    ::execlp("bash", "bash", script_path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool killed = false;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGTERM);  // whatever the script left running
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(-pid, SIGKILL);
  ShellRun run;
  run.status = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out);
  run.err = slurp(err);
  return run;
}

std::vector<std::string> client_environment(std::uint16_t port, const std::filesystem::path& home) {
  auto bin = std::filesystem::path(BARTAB_BINARY).parent_path().string();
  const char* path = std::getenv("PATH");
  return {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin"),
          "BARTAB_URL=http://127.0.0.1:" + std::to_string(port), "HOME=" + home.string(),
          "XDG_CONFIG_HOME=" + (home / ".config").string()};
}

}  // namespace bartab::testing
