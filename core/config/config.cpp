#include "core/config/config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

extern char** environ;

namespace bartab::core {
namespace {

// A value before it is typed: its text, whether TOML already gave it a type, and
// where it came from (for error messages).
struct RawValue {
  enum class Kind { text, toml_string, toml_integer, toml_boolean, toml_array, toml_other };
  Kind kind = Kind::text;
  std::string text;
  std::vector<std::string> items;  // for toml_array of strings
  std::string source;
};

using Setter = std::function<void(Config&, const RawValue&, const std::string& key)>;

[[noreturn]] void fail(const std::string& key, const RawValue& raw, const std::string& what) {
  throw ConfigError("configuration key " + key + " (from " + raw.source + "): " + what);
}

std::string expect_string(const std::string& key, const RawValue& raw) {
  if (raw.kind != RawValue::Kind::text && raw.kind != RawValue::Kind::toml_string) {
    fail(key, raw, "expected a string");
  }
  return raw.text;
}

template <class Section, class Field>
Setter member(Section Config::*section, Field Section::*field,
              std::function<Field(const std::string&, const RawValue&)> convert) {
  return [=](Config& config, const RawValue& raw, const std::string& key) {
    (config.*section).*field = convert(key, raw);
  };
}

template <class Int>
std::function<Int(const std::string&, const RawValue&)> integer(std::uint64_t min, std::uint64_t max) {
  return [=](const std::string& key, const RawValue& raw) -> Int {
    if (raw.kind != RawValue::Kind::text && raw.kind != RawValue::Kind::toml_integer) {
      fail(key, raw, "expected an integer");
    }
    std::uint64_t value = 0;
    const auto* begin = raw.text.data();
    const auto* end = begin + raw.text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (raw.text.empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
      fail(key, raw,
           "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" +
               raw.text + "'");
    }
    return static_cast<Int>(value);
  };
}

std::function<bool(const std::string&, const RawValue&)> boolean() {
  return [](const std::string& key, const RawValue& raw) {
    if (raw.kind != RawValue::Kind::text && raw.kind != RawValue::Kind::toml_boolean) {
      fail(key, raw, "expected true or false");
    }
    if (raw.text == "true" || raw.text == "1") return true;
    if (raw.text == "false" || raw.text == "0") return false;
    fail(key, raw, "expected true or false, got '" + raw.text + "'");
  };
}

std::function<std::string(const std::string&, const RawValue&)> one_of(std::vector<std::string> choices) {
  return [choices](const std::string& key, const RawValue& raw) {
    auto value = expect_string(key, raw);
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return value;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    fail(key, raw, "expected one of " + list + ", got '" + value + "'");
  };
}

std::function<std::string(const std::string&, const RawValue&)> non_empty_text() {
  return [](const std::string& key, const RawValue& raw) {
    auto value = expect_string(key, raw);
    if (value.empty()) fail(key, raw, "must not be empty");
    return value;
  };
}

// An absolute http(s) URL without a trailing slash, or empty for "the default".
// `http_only`: for URLs the server itself fetches from (its client speaks plain HTTP).
std::function<std::string(const std::string&, const RawValue&)> base_url(bool http_only = false) {
  return [http_only](const std::string& key, const RawValue& raw) {
    auto value = expect_string(key, raw);
    if (value.empty()) return value;
    if (http_only && !value.starts_with("http://")) {
      fail(key, raw,
           "the server fetches from this URL over plain http:// (https is not supported yet), got '" + value +
               "'");
    }
    bool scheme_ok = value.starts_with("http://") || value.starts_with("https://");
    auto rest = value.substr(value.find("://") + 3);
    if (!scheme_ok || rest.empty() || rest.find_first_of(" ?#") != std::string::npos) {
      fail(key, raw, "expected an absolute http:// or https:// URL, got '" + value + "'");
    }
    while (value.ends_with('/')) value.pop_back();
    return value;
  };
}

std::function<std::vector<std::string>(const std::string&, const RawValue&)> origin_list() {
  return [](const std::string& key, const RawValue& raw) {
    std::vector<std::string> items = raw.items;
    if (raw.kind != RawValue::Kind::toml_array) {
      auto text = expect_string(key, raw);
      std::size_t start = 0;
      while (start <= text.size()) {
        auto comma = text.find(',', start);
        auto item = text.substr(start, comma - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    for (const auto& item : items) {
      bool ok = item == "*" || item.starts_with("http://") || item.starts_with("https://");
      if (!ok || item.ends_with('/')) {
        fail(key, raw, "expected '*' or origins like https://chat.example.org, got '" + item + "'");
      }
    }
    return items;
  };
}

const std::map<std::string, Setter>& schema() {
  static const std::map<std::string, Setter> table = [] {
    using C = Config;
    std::map<std::string, Setter> t;
    t["server.host"] = member(&C::server, &ServerConfig::host, non_empty_text());
    t["server.port"] = member(&C::server, &ServerConfig::port, integer<std::uint16_t>(0, 65535));
    t["server.public_url"] = member(&C::server, &ServerConfig::public_url, base_url());
    t["server.cors_origins"] = member(&C::server, &ServerConfig::cors_origins, origin_list());
    t["server.data_dir"] = member(&C::server, &ServerConfig::data_dir, non_empty_text());
    t["server.threads"] = member(&C::server, &ServerConfig::threads, integer<unsigned>(0, 256));
    t["server.shutdown_timeout_ms"] =
        member(&C::server, &ServerConfig::shutdown_timeout_ms, integer<std::uint32_t>(0, 600000));
    t["limits.max_json_bytes"] =
        member(&C::limits, &LimitsConfig::max_json_bytes, integer<std::uint64_t>(1024, 1ull << 30));
    t["limits.max_json_depth"] =
        member(&C::limits, &LimitsConfig::max_json_depth, integer<std::uint32_t>(1, 1024));
    t["limits.max_header_bytes"] =
        member(&C::limits, &LimitsConfig::max_header_bytes, integer<std::uint32_t>(1024, 1 << 20));
    t["limits.header_timeout_ms"] =
        member(&C::limits, &LimitsConfig::header_timeout_ms, integer<std::uint32_t>(100, 600000));
    t["limits.body_timeout_ms"] =
        member(&C::limits, &LimitsConfig::body_timeout_ms, integer<std::uint32_t>(100, 3600000));
    t["limits.idle_timeout_ms"] =
        member(&C::limits, &LimitsConfig::idle_timeout_ms, integer<std::uint32_t>(100, 3600000));
    t["log.level"] =
        member(&C::log, &LogConfig::level, one_of({"trace", "debug", "info", "warn", "error", "off"}));
    t["log.format"] = member(&C::log, &LogConfig::format, one_of({"text", "json"}));
    t["log.access"] = member(&C::log, &LogConfig::access, boolean());
    t["auth.registration"] =
        member(&C::auth, &AuthConfig::registration, one_of({"open", "invite", "closed"}));
    t["auth.access_token_ttl"] =
        member(&C::auth, &AuthConfig::access_token_ttl, integer<std::uint32_t>(10, 86400));
    t["auth.refresh_token_ttl"] =
        member(&C::auth, &AuthConfig::refresh_token_ttl, integer<std::uint32_t>(60, 31536000));
    t["auth.key_publish_delay"] =
        member(&C::auth, &AuthConfig::key_publish_delay, integer<std::uint32_t>(0, 86400));
    t["auth.invite_ttl"] = member(&C::auth, &AuthConfig::invite_ttl, integer<std::uint32_t>(60, 31536000));
    t["auth.argon2_memory_kib"] =
        member(&C::auth, &AuthConfig::argon2_memory_kib, integer<std::uint32_t>(19456, 4194304));
    t["auth.argon2_iterations"] =
        member(&C::auth, &AuthConfig::argon2_iterations, integer<std::uint32_t>(2, 64));
    t["tokens.leeway"] = member(&C::tokens, &TokensConfig::leeway, integer<std::uint32_t>(0, 300));
    t["ratelimit.login_failures_per_minute"] = member(
        &C::ratelimit, &RateLimitConfig::login_failures_per_minute, integer<std::uint32_t>(1, 1000000));
    t["ratelimit.register_per_hour"] =
        member(&C::ratelimit, &RateLimitConfig::register_per_hour, integer<std::uint32_t>(1, 1000000));
    t["chat.auth_url"] = member(&C::chat, &ChatConfig::auth_url, base_url(true));
    t["media.auth_url"] = member(&C::media, &MediaConfig::auth_url, base_url(true));
    t["media.max_upload_bytes"] =
        member(&C::media, &MediaConfig::max_upload_bytes, integer<std::uint64_t>(1, 1ull << 40));
    t["media.quota_bytes"] =
        member(&C::media, &MediaConfig::quota_bytes, integer<std::uint64_t>(1, 1ull << 50));
    t["services.auth_url"] = member(&C::services, &ServicesConfig::auth_url, base_url());
    t["services.chat_url"] = member(&C::services, &ServicesConfig::chat_url, base_url());
    t["services.media_url"] = member(&C::services, &ServicesConfig::media_url, base_url());
    return t;
  }();
  return table;
}

bool known_section(std::string_view section) {
  for (const auto& [key, setter] : schema()) {
    if (key.substr(0, key.find('.')) == section) return true;
  }
  return false;
}

void apply(Config& config, const std::string& key, const RawValue& raw) {
  auto it = schema().find(key);
  if (it == schema().end()) {
    throw ConfigError("unknown configuration key " + key + " (from " + raw.source + ")");
  }
  it->second(config, raw, key);
}

RawValue from_toml(const toml::node& node, const std::string& source) {
  RawValue raw;
  raw.source = source;
  if (auto s = node.value<std::string>(); s && node.is_string()) {
    raw.kind = RawValue::Kind::toml_string;
    raw.text = *s;
  } else if (node.is_integer()) {
    raw.kind = RawValue::Kind::toml_integer;
    auto v = node.value<std::int64_t>().value_or(0);
    raw.text = std::to_string(v);
  } else if (node.is_boolean()) {
    raw.kind = RawValue::Kind::toml_boolean;
    raw.text = node.value<bool>().value_or(false) ? "true" : "false";
  } else if (const auto* array = node.as_array(); array != nullptr) {
    raw.kind = RawValue::Kind::toml_array;
    for (const auto& item : *array) {
      if (!item.is_string()) {
        raw.kind = RawValue::Kind::toml_other;
        break;
      }
      raw.items.push_back(*item.value<std::string>());
    }
  } else {
    raw.kind = RawValue::Kind::toml_other;
  }
  return raw;
}

void apply_file(Config& config, const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError("cannot read configuration file " + path.string() + " (line " +
                      std::to_string(where.line) + "): " + std::string(e.description()));
  }
  for (const auto& [section, value] : root) {
    const auto* table = value.as_table();
    std::string section_name(section.str());
    if (table == nullptr) {
      throw ConfigError("unknown configuration key " + section_name + " (from " + path.string() +
                        "): top-level entries must be [sections]");
    }
    if (!known_section(section_name)) {
      throw ConfigError("unknown configuration section [" + section_name + "] (from " + path.string() + ")");
    }
    for (const auto& [key, node] : *table) {
      std::string full = section_name + "." + std::string(key.str());
      apply(config, full, from_toml(node, path.string()));
    }
  }
}

void apply_environment(Config& config, const std::vector<std::string>& environment) {
  constexpr std::string_view prefix = "BARTAB_";
  for (const auto& entry : environment) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || !entry.starts_with(prefix)) continue;
    auto name = entry.substr(0, eq);
    auto rest = name.substr(prefix.size());
    auto underscore = rest.find('_');
    if (underscore == std::string::npos) continue;
    std::string section = rest.substr(0, underscore);
    std::string key = rest.substr(underscore + 1);
    std::transform(section.begin(), section.end(), section.begin(), ::tolower);
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    if (!known_section(section)) continue;
    RawValue raw;
    raw.text = entry.substr(eq + 1);
    raw.source = name;
    apply(config, section + "." + key, raw);
  }
}

}  // namespace

Config load_config(const ConfigSources& sources) {
  Config config;
  for (const auto& [key, value] : sources.defaults) {
    RawValue raw;
    raw.text = value;
    raw.source = "built-in default";
    apply(config, key, raw);
  }
  if (sources.file) apply_file(config, *sources.file);
  apply_environment(config, sources.environment);
  for (const auto& [key, value] : sources.overrides) {
    RawValue raw;
    raw.text = value;
    raw.source = "command line";
    apply(config, key, raw);
  }
  return config;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const auto& [key, setter] : schema()) keys.push_back(key);
  return keys;
}

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace bartab::core
