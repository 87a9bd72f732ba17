// bartab-echo-bot: answers every message from others with "echo: <body>", as a reply to
// it. The example of the SDK's delivery guarantee: kill it at any moment, start it again
// with the same --state file, and every message gets exactly one echo.
//
//   bartab-echo-bot --url http://127.0.0.1:8080 --bot-id usr_... --api-key KEY
//                   --state echo.position [--join room_...]...
// BARTAB_BOT_ID and BARTAB_BOT_API_KEY may replace --bot-id and --api-key.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "bartab/sdk/bot.hpp"
#include "bartab/sdk/client.hpp"
#include "bartab/sdk/position_store.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace sdk = bartab::sdk;

namespace {

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string bot_id;
  std::string api_key;
  std::string state_file = "echo-bot.position";
  std::vector<std::string> rooms_to_join;
};

constexpr const char* kUsage =
    "usage: bartab-echo-bot --url URL --bot-id ID --api-key KEY [--state FILE] [--join ROOM]...\n"
    "       (BARTAB_BOT_ID and BARTAB_BOT_API_KEY may replace --bot-id and --api-key)\n";

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Throws std::invalid_argument with the problem; the caller prints the usage.
Options parse_arguments(int argc, char** argv) {
  Options options;
  options.bot_id = env_or_empty("BARTAB_BOT_ID");
  options.api_key = env_or_empty("BARTAB_BOT_API_KEY");
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") throw std::invalid_argument("");
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--url") {
      options.url = value;
    } else if (flag == "--bot-id") {
      options.bot_id = value;
    } else if (flag == "--api-key") {
      options.api_key = value;
    } else if (flag == "--state") {
      options.state_file = value;
    } else if (flag == "--join") {
      options.rooms_to_join.push_back(value);
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  if (options.bot_id.empty() || options.api_key.empty())
    throw std::invalid_argument("--bot-id and --api-key (or the environment) are required");
  return options;
}

asio::awaitable<void> echo(sdk::Context& context, const sdk::Event& event) {
  const auto* body = event.content.if_contains("body");
  if (body == nullptr || !body->is_string()) co_return;
  json::object reply{{"body", "echo: " + std::string(body->as_string())}, {"reply_to", event.event_id}};
  auto replying = context.reply(std::move(reply));
  co_await std::move(replying);
}

asio::awaitable<void> run_bot(sdk::Client& client, sdk::Bot& bot, const Options& options) {
  auto signing_in = client.login_bot(options.bot_id, options.api_key);
  auto session = co_await std::move(signing_in);
  for (const auto& room : options.rooms_to_join) {
    auto joining = client.join(room);
    co_await std::move(joining);
  }
  bot.on_ready([user_id = session.user_id] { std::cerr << "echo bot ready as " << user_id << std::endl; });
  auto running = bot.run();
  co_await std::move(running);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::invalid_argument& e) {
    if (*e.what() != '\0') std::cerr << "bartab-echo-bot: " << e.what() << "\n";
    std::cerr << kUsage;
    return 2;
  }
  asio::io_context io;
  sdk::Client client(io.get_executor(), options.url);
  sdk::Bot bot(client, std::make_shared<sdk::FilePositionStore>(options.state_file));
  bot.on_message(echo);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) bot.stop();
  });
  int exit_code = 0;
  asio::co_spawn(io, run_bot(client, bot, options), [&](std::exception_ptr error) {
    signals.cancel();
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << "bartab-echo-bot: " << e.what() << std::endl;
    }
    exit_code = 1;
  });
  io.run();
  return exit_code;
}
