// What `bartab-cli` does, one function per command, on the SDK's Client. The command
// line itself is parsed in apps/bartab-cli/main.cpp; these take plain options and
// return the process's exit code (0 done, 1 refused by the server or failed).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bartab::cli {

struct Common {
  std::optional<std::string> config;  // --config FILE
  bool json = false;                  // --json: one JSON document per line
};

struct LoginOptions {
  std::string url;
  std::string username;
  bool password_stdin = false;
};

struct SendOptions {
  std::string room;
  std::vector<std::string> words;  // the message; none or "-": read standard input
  std::optional<std::string> txn;  // --txn: a retried script does not send twice
};

struct TailOptions {
  std::string room;
  int lines = 20;
  bool follow = false;
};

struct UploadOptions {
  std::string file;
  std::optional<std::string> content_type;
  std::optional<std::string> room;  // also post it to this room as a message
};

int login(const Common& common, const LoginOptions& options);
// Creates the account (with an invite when registration asks for one), then keeps the
// session as login does.
int register_account(const Common& common, const LoginOptions& options,
                     const std::optional<std::string>& invite);
int logout(const Common& common);
int rooms(const Common& common);
int create_room(const Common& common, const std::string& name, bool is_public);
int join(const Common& common, const std::string& room);
int send(const Common& common, const SendOptions& options);
int tail(const Common& common, const TailOptions& options);
int upload(const Common& common, const UploadOptions& options);
int create_bot(const Common& common, const std::string& username);

}  // namespace bartab::cli
