// bartab-cli: the command-line client for people and scripts (RFD 0005). This file only
// parses the command line; the commands live in sdk/cli/.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"

namespace {

std::string default_url() {
  const char* url = std::getenv("BARTAB_URL");
  return url != nullptr && *url != '\0' ? url : "http://127.0.0.1:8080";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bartab::cli;
  CLI::App app{"bartab-cli: talk to a BarTAB Chat server from a shell or a script"};
  app.require_subcommand(1);
  Common common;
  std::string config;
  app.add_option("--config", config, "session file (default $XDG_CONFIG_HOME/bartab/cli.json)");
  app.add_flag("--json", common.json, "print one JSON document per line");

  LoginOptions login_options{default_url(), {}, false};
  auto* login_cmd = app.add_subcommand("login", "log in and keep the session (mode 0600)");
  login_cmd->add_option("--url", login_options.url,
                        "server URL (default $BARTAB_URL or http://127.0.0.1:8080)");
  login_cmd->add_option("--username,-u", login_options.username, "account name")->required();
  login_cmd->add_flag("--password-stdin", login_options.password_stdin,
                      "read the password from standard input");

  LoginOptions register_options{default_url(), {}, false};
  std::optional<std::string> invite;
  auto* register_cmd = app.add_subcommand("register", "create an account and keep its session");
  register_cmd->add_option("--url", register_options.url,
                           "server URL (default $BARTAB_URL or http://127.0.0.1:8080)");
  register_cmd->add_option("--username,-u", register_options.username, "account name")->required();
  register_cmd->add_option("--invite", invite, "invite code, when registration needs one");
  register_cmd->add_flag("--password-stdin", register_options.password_stdin,
                         "read the password from standard input");

  auto* logout_cmd = app.add_subcommand("logout", "end the session and forget it");
  auto* rooms_cmd = app.add_subcommand("rooms", "list the rooms you are in or invited to");

  std::string room_name;
  bool is_public = false;
  auto* create_cmd = app.add_subcommand("create", "create a room; prints its id");
  create_cmd->add_option("name", room_name, "room name")->required();
  create_cmd->add_flag("--public", is_public, "anyone signed in may join");

  std::string room_to_join;
  auto* join_cmd = app.add_subcommand("join", "join a room");
  join_cmd->add_option("room", room_to_join, "room id")->required();

  SendOptions send_options;
  auto* send_cmd = app.add_subcommand("send", "send a message; prints its event id");
  send_cmd->add_option("room", send_options.room, "room id")->required();
  send_cmd->add_option("text", send_options.words, "the message (none or -: standard input)");
  send_cmd->add_option("--txn", send_options.txn, "transaction id: resending with it appends nothing twice");

  TailOptions tail_options;
  auto* tail_cmd = app.add_subcommand("tail", "print a room's latest messages");
  tail_cmd->add_option("room", tail_options.room, "room id")->required();
  tail_cmd->add_option("-n,--lines", tail_options.lines, "how many (default 20)")->check(CLI::Range(1, 1000));
  tail_cmd->add_flag("-f,--follow", tail_options.follow, "keep printing new messages");

  UploadOptions upload_options;
  auto* upload_cmd = app.add_subcommand("upload", "upload a file; prints its media id");
  upload_cmd->add_option("file", upload_options.file, "the file")->required()->check(CLI::ExistingFile);
  upload_cmd->add_option("--type", upload_options.content_type, "its content type (the server also sniffs)");
  upload_cmd->add_option("--room", upload_options.room, "also post it to this room");

  std::string bot_name;
  auto* bot_cmd = app.add_subcommand("bot", "manage your bots");
  bot_cmd->require_subcommand(1);
  auto* bot_create_cmd = bot_cmd->add_subcommand("create", "create a bot account; prints its id and API key");
  bot_create_cmd->add_option("username", bot_name, "the bot's username")->required();

  CLI11_PARSE(app, argc, argv);
  if (!config.empty()) common.config = config;

  if (login_cmd->parsed()) return login(common, login_options);
  if (register_cmd->parsed()) return register_account(common, register_options, invite);
  if (logout_cmd->parsed()) return logout(common);
  if (rooms_cmd->parsed()) return rooms(common);
  if (create_cmd->parsed()) return create_room(common, room_name, is_public);
  if (join_cmd->parsed()) return join(common, room_to_join);
  if (send_cmd->parsed()) return send(common, send_options);
  if (tail_cmd->parsed()) return tail(common, tail_options);
  if (upload_cmd->parsed()) return upload(common, upload_options);
  if (bot_create_cmd->parsed()) return create_bot(common, bot_name);
  std::cerr << app.help();
  return 2;
}
