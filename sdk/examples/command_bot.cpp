// bartab-command-bot: answers "!help" and "!roll NdM" (e.g. "!roll 2d6") in every room
// it is in. The dice rules are in dice.cpp; this file wires them to the SDK's Bot.
//
//   bartab-command-bot --url URL --bot-id ID --api-key KEY --state FILE [--join ROOM]...
#include <iostream>
#include <random>

#include "bartab/sdk/bot.hpp"
#include "bartab/sdk/position_store.hpp"
#include "examples/bot_program.hpp"
#include "examples/dice.hpp"

namespace asio = boost::asio;
namespace sdk = bartab::sdk;
namespace examples = bartab::examples;

int main(int argc, char** argv) {
  examples::BotArguments arguments;
  try {
    arguments = examples::parse_bot_arguments(argc, argv, {});
  } catch (const std::invalid_argument& e) {
    if (*e.what() != '\0') std::cerr << "bartab-command-bot: " << e.what() << "\n";
    std::cerr
        << "usage: bartab-command-bot --url URL --bot-id ID --api-key KEY [--state FILE] [--join ROOM]...\n";
    return 2;
  }
  if (arguments.state_file.empty()) arguments.state_file = "command-bot.position";
  std::mt19937 generator{std::random_device{}()};
  auto roll_one = [&generator](int sides) { return std::uniform_int_distribution<int>(1, sides)(generator); };
  sdk::Bot* running_bot = nullptr;
  return examples::run_bot_program(
      "bartab-command-bot", arguments,
      [&](asio::io_context&, sdk::Client& client, const sdk::Session& session) -> asio::awaitable<void> {
        sdk::Bot bot(client, std::make_shared<sdk::FilePositionStore>(arguments.state_file));
        examples::Registered<sdk::Bot> registered(running_bot, bot);
        // A re-delivered command is rolled again, but its reply keeps the first
        // roll's txn_id, so the room still shows one answer.
        bot.on_message([&roll_one](sdk::Context& context, const sdk::Event& event) -> asio::awaitable<void> {
          const auto* body = event.content.if_contains("body");
          if (body == nullptr || !body->is_string()) co_return;
          auto answer = examples::answer_command(body->get_string(), roll_one);
          if (!answer) co_return;
          auto replying = context.reply_text(*answer);
          co_await std::move(replying);
        });
        bot.on_ready(
            [user_id = session.user_id] { std::cerr << "command bot ready as " << user_id << std::endl; });
        auto running = bot.run();
        co_await std::move(running);
      },
      [&] {
        if (running_bot) running_bot->stop();
      });
}
