// Reading a secret for the command-line client: from the terminal without echo, or
// one line from standard input (for scripts: --password-stdin).
#pragma once

#include <string>

namespace bartab::cli {

// Prompts on stderr and reads a line from the terminal with echo off; throws
// std::runtime_error when standard input is not a terminal.
std::string read_password_from_terminal(const std::string& prompt);

// One line from standard input, without its line ending.
std::string read_line_from_stdin();

}  // namespace bartab::cli
