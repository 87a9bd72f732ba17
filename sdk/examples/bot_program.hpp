// What every example program shares: the flags that name the server and the bot's
// credentials, and a main loop that signs in, joins rooms, runs until SIGINT/SIGTERM
// and turns failures into an exit code. Each example adds only its own handlers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bartab/sdk/client.hpp"

namespace bartab::examples {

struct BotArguments {
  std::string url = "http://127.0.0.1:8080";
  std::string bot_id;   // --bot-id or BARTAB_BOT_ID
  std::string api_key;  // --api-key or BARTAB_BOT_API_KEY
  std::string state_file;
  std::vector<std::string> rooms_to_join;
  std::map<std::string, std::string> extra;  // the program's own flags, by name
};

// Parses --url, --bot-id, --api-key, --state, --join (repeatable) and the program's
// `extra_flags` (each takes a value). Throws std::invalid_argument naming the problem
// (an empty message for --help).
BotArguments parse_bot_arguments(int argc, char** argv, const std::vector<std::string>& extra_flags);

// Points `slot` at `target` while it lives: how a program's stop callback reaches a Bot
// or an acceptor that lives in the body coroutine's frame. Objects with timers or
// sockets must live there, so they go before the io_context does.
template <class T>
class Registered {
 public:
  Registered(T*& slot, T& target) : slot_(slot) { slot_ = &target; }
  ~Registered() { slot_ = nullptr; }
  Registered(const Registered&) = delete;
  Registered& operator=(const Registered&) = delete;

 private:
  T*& slot_;
};

// Signs the client in as the bot, joins the rooms, then runs `body` until it returns;
// SIGINT and SIGTERM call `stop`. Returns the process's exit code (1 on an error,
// printed with the program's name).
int run_bot_program(const std::string& name, const BotArguments& arguments,
                    const std::function<boost::asio::awaitable<void>(boost::asio::io_context&, sdk::Client&,
                                                                     const sdk::Session&)>& body,
                    const std::function<void()>& stop);

}  // namespace bartab::examples
