// Process configuration: defaults < TOML file < BARTAB_<SECTION>_<KEY> environment
// variables < command-line overrides. Every key is declared once in config.cpp's schema;
// an unknown key or a bad value stops start-up with a ConfigError naming the key and
// where the value came from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bartab::core {

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  std::string public_url;                 // empty: http://127.0.0.1:PORT once the port is bound
  std::vector<std::string> cors_origins;  // empty: no CORS headers; "*" allows any
  std::string data_dir = "./data";
  unsigned threads = 0;  // 0: one per core
  std::uint32_t shutdown_timeout_ms = 10000;
};

struct LimitsConfig {
  std::uint64_t max_json_bytes = 1 << 20;
  std::uint32_t max_json_depth = 64;
  std::uint32_t max_header_bytes = 16 << 10;
  std::uint32_t header_timeout_ms = 10000;  // whole request head, so slow-loris is dropped
  std::uint32_t body_timeout_ms = 30000;
  std::uint32_t idle_timeout_ms = 60000;  // keep-alive wait between requests
};

struct LogConfig {
  std::string level = "info";
  std::string format = "text";  // text | json
  bool access = true;
};

struct AuthConfig {
  std::string registration = "invite";  // open | invite | closed
  std::uint32_t access_token_ttl = 900;
  std::uint32_t refresh_token_ttl = 2592000;
  std::uint32_t key_publish_delay = 60;     // s a rotated-in key is published before it signs
  std::uint32_t invite_ttl = 604800;        // s an invite stays usable
  std::uint32_t argon2_memory_kib = 19456;  // OWASP minimum: 19 MiB
  std::uint32_t argon2_iterations = 2;      // OWASP minimum
};

struct TokensConfig {
  std::uint32_t leeway = 30;
};

struct RateLimitConfig {
  std::uint32_t login_failures_per_minute = 10;
  std::uint32_t register_per_hour = 20;
};

struct ChatConfig {
  std::string auth_url;  // where chat fetches the JWKS; empty: services.auth_url
};

struct MediaConfig {
  std::string auth_url;  // where media fetches the JWKS; empty: services.auth_url
  std::uint64_t max_upload_bytes = 52428800;
  std::uint64_t quota_bytes = 1073741824;
};

// Public base URLs of the services, published at /.well-known/bartab. Empty means
// server.public_url (one origin, as behind the reverse proxy of the Docker shape).
struct ServicesConfig {
  std::string auth_url;
  std::string chat_url;
  std::string media_url;
};

struct Config {
  ServerConfig server;
  LimitsConfig limits;
  LogConfig log;
  AuthConfig auth;
  TokensConfig tokens;
  RateLimitConfig ratelimit;
  ChatConfig chat;
  MediaConfig media;
  ServicesConfig services;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ConfigSources {
  // ("section.key", value) pairs applied first: defaults of a process shape (the port
  // of `bartab chat`, say) that the file, environment and flags may still override.
  std::vector<std::pair<std::string, std::string>> defaults;
  std::optional<std::filesystem::path> file;
  // "NAME=value" strings, as in environ. Only BARTAB_<SECTION>_<KEY> names whose
  // section is known are read; any other name is left alone.
  std::vector<std::string> environment;
  // ("section.key", value) pairs from the command line, applied last.
  std::vector<std::pair<std::string, std::string>> overrides;
};

// Builds and validates the configuration; throws ConfigError.
Config load_config(const ConfigSources& sources);

// Every key the schema knows, as "section.key" (for --help and docs).
std::vector<std::string> config_keys();

// The current process environment as "NAME=value" strings.
std::vector<std::string> process_environment();

}  // namespace bartab::core
