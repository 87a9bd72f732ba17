// The command bot's dice: "!roll 2d6" parsed, rolled and written out. Pure, so the
// rules are tested without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bartab::examples {

struct DiceSpec {
  int count = 1;  // 1 ... 100
  int sides = 6;  // 2 ... 1000
};

// "2d6", "d20" (one die), "10d100"; nullopt for anything else or out of range.
std::optional<DiceSpec> parse_dice(std::string_view text);

// `roll(sides)` gives 1 ... sides; injected so tests are repeatable.
std::vector<int> roll(const DiceSpec& spec, const std::function<int(int sides)>& roll_one);

// "2d6: 3 + 5 = 8"
std::string describe_roll(const DiceSpec& spec, const std::vector<int>& dice);

// The bot's answer to a message body, or nullopt when it is not a command for it:
// "!help" lists the commands, "!roll NdM" rolls, "!roll" with a bad spec explains.
std::optional<std::string> answer_command(std::string_view body,
                                          const std::function<int(int sides)>& roll_one);

}  // namespace bartab::examples
