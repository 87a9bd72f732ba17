// bartab-echo-bot: answers every message from others with "echo: <body>", as a reply to
// it. The example of the SDK's delivery guarantee: kill it at any moment, start it again
// with the same --state file, and every message gets exactly one echo.
//
//   bartab-echo-bot --url http://127.0.0.1:8080 --bot-id usr_... --api-key ... \
//                   --state echo.position [--join room_...]...
// BARTAB_BOT_ID and BARTAB_BOT_API_KEY may replace --bot-id and --api-key.
#include <iostream>

#include "bartab/sdk/bot.hpp"
#include "bartab/sdk/position_store.hpp"
#include "examples/bot_program.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace sdk = bartab::sdk;
namespace examples = bartab::examples;

namespace {

asio::awaitable<void> echo(sdk::Context& context, const sdk::Event& event) {
  const auto* body = event.content.if_contains("body");
  if (body == nullptr || !body->is_string()) co_return;
  json::object reply{{"body", "echo: " + std::string(body->as_string())}, {"reply_to", event.event_id}};
  auto replying = context.reply(std::move(reply));
  co_await std::move(replying);
}

}  // namespace

int main(int argc, char** argv) {
  examples::BotArguments arguments;
  try {
    arguments = examples::parse_bot_arguments(argc, argv, {});
  } catch (const std::invalid_argument& e) {
    if (*e.what() != '\0') std::cerr << "bartab-echo-bot: " << e.what() << "\n";
    std::cerr
        << "usage: bartab-echo-bot --url URL --bot-id ID --api-key KEY [--state FILE] [--join ROOM]...\n"
           "       (BARTAB_BOT_ID and BARTAB_BOT_API_KEY may replace --bot-id and --api-key)\n";
    return 2;
  }
  if (arguments.state_file.empty()) arguments.state_file = "echo-bot.position";
  sdk::Bot* running_bot = nullptr;
  return examples::run_bot_program(
      "bartab-echo-bot", arguments,
      [&](asio::io_context&, sdk::Client& client, const sdk::Session& session) -> asio::awaitable<void> {
        sdk::Bot bot(client, std::make_shared<sdk::FilePositionStore>(arguments.state_file));
        examples::Registered<sdk::Bot> registered(running_bot, bot);
        bot.on_message(echo);
        bot.on_ready(
            [user_id = session.user_id] { std::cerr << "echo bot ready as " << user_id << std::endl; });
        auto running = bot.run();
        co_await std::move(running);
      },
      [&] {
        if (running_bot) running_bot->stop();
      });
}
