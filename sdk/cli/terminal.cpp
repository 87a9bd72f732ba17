#include "cli/terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

namespace bartab::cli {

namespace {

// Restores the terminal's settings on every way out.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) throw std::runtime_error("standard input is not a terminal");
    termios quiet = saved_;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  ~EchoOff() { ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_); }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
};

}  // namespace

std::string read_password_from_terminal(const std::string& prompt) {
  if (!::isatty(STDIN_FILENO)) {
    throw std::runtime_error("no terminal to ask for the password; use --password-stdin");
  }
  std::cerr << prompt << std::flush;
  std::string line;
  {
    EchoOff quiet;
    std::getline(std::cin, line);
  }
  std::cerr << "\n";
  return line;
}

std::string read_line_from_stdin() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace bartab::cli
