#include "examples/bot_program.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>

namespace bartab::examples {

namespace asio = boost::asio;

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

BotArguments parse_bot_arguments(int argc, char** argv, const std::vector<std::string>& extra_flags) {
  BotArguments arguments;
  arguments.bot_id = env_or_empty("BARTAB_BOT_ID");
  arguments.api_key = env_or_empty("BARTAB_BOT_API_KEY");
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") throw std::invalid_argument("");
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--url") {
      arguments.url = value;
    } else if (flag == "--bot-id") {
      arguments.bot_id = value;
    } else if (flag == "--api-key") {
      arguments.api_key = value;
    } else if (flag == "--state") {
      arguments.state_file = value;
    } else if (flag == "--join") {
      arguments.rooms_to_join.push_back(value);
    } else if (flag.rfind("--", 0) == 0 &&
               std::find(extra_flags.begin(), extra_flags.end(), flag.substr(2)) != extra_flags.end()) {
      arguments.extra[flag.substr(2)] = value;
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  if (arguments.bot_id.empty() || arguments.api_key.empty())
    throw std::invalid_argument("--bot-id and --api-key (or the environment) are required");
  return arguments;
}

int run_bot_program(
    const std::string& name, const BotArguments& arguments,
    const std::function<asio::awaitable<void>(asio::io_context&, sdk::Client&, const sdk::Session&)>& body,
    const std::function<void()>& stop) {
  asio::io_context io;
  sdk::Client client(io.get_executor(), arguments.url);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  auto main_task = [&]() -> asio::awaitable<void> {
    auto signing_in = client.login_bot(arguments.bot_id, arguments.api_key);
    auto session = co_await std::move(signing_in);
    for (const auto& room : arguments.rooms_to_join) {
      auto joining = client.join(room);
      co_await std::move(joining);
    }
    auto running = body(io, client, session);
    co_await std::move(running);
  };
  int exit_code = 0;
  asio::co_spawn(io, main_task(), [&](std::exception_ptr error) {
    signals.cancel();
    if (!error) return;
    exit_code = 1;
    try {
      std::rethrow_exception(error);
    } catch (const sdk::ApiError& e) {
      std::cerr << name << ": " << e.code() << ": " << e.what() << std::endl;
    } catch (const std::exception& e) {
      std::cerr << name << ": " << e.what() << std::endl;
    }
  });
  io.run();
  return exit_code;
}

}  // namespace bartab::examples
