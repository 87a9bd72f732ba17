#include "examples/dice.hpp"

#include <charconv>

namespace bartab::examples {

namespace {

constexpr int kMaxDice = 100;
constexpr int kMaxSides = 1000;

std::optional<int> number(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

constexpr const char* kHelp =
    "commands: !roll NdM (roll N dice of M sides, e.g. !roll 2d6; up to 100 dice of 1000 sides), !help";

}  // namespace

std::optional<DiceSpec> parse_dice(std::string_view text) {
  auto d = text.find_first_of("dD");
  if (d == std::string_view::npos) return std::nullopt;
  DiceSpec spec;
  if (d > 0) {
    auto count = number(text.substr(0, d));
    if (!count) return std::nullopt;
    spec.count = *count;
  }
  auto sides = number(text.substr(d + 1));
  if (!sides) return std::nullopt;
  spec.sides = *sides;
  if (spec.count < 1 || spec.count > kMaxDice || spec.sides < 2 || spec.sides > kMaxSides)
    return std::nullopt;
  return spec;
}

std::vector<int> roll(const DiceSpec& spec, const std::function<int(int)>& roll_one) {
  std::vector<int> dice;
  dice.reserve(static_cast<std::size_t>(spec.count));
  for (int i = 0; i < spec.count; ++i) dice.push_back(roll_one(spec.sides));
  return dice;
}

std::string describe_roll(const DiceSpec& spec, const std::vector<int>& dice) {
  std::string text = std::to_string(spec.count) + "d" + std::to_string(spec.sides) + ": ";
  int total = 0;
  for (std::size_t i = 0; i < dice.size(); ++i) {
    if (i > 0) text += " + ";
    text += std::to_string(dice[i]);
    total += dice[i];
  }
  if (dice.size() > 1) text += " = " + std::to_string(total);
  return text;
}

std::optional<std::string> answer_command(std::string_view body, const std::function<int(int)>& roll_one) {
  body = trim(body);
  if (body == "!help") return std::string(kHelp);
  if (body != "!roll" && body.substr(0, 6) != "!roll ") return std::nullopt;
  auto spec = parse_dice(trim(body.substr(5)));
  if (!spec) return std::string("usage: !roll NdM, e.g. !roll 2d6 (1 to 100 dice, 2 to 1000 sides)");
  return describe_roll(*spec, roll(*spec, roll_one));
}

}  // namespace bartab::examples
