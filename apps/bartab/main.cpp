// bartab: one binary, several process shapes. `bartab up` hosts every service in one
// process; `bartab auth|chat|media` hosts one. This file only parses the command line,
// loads the configuration and wires services onto the core HTTP server.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "core/config/config.hpp"
#include "core/http/server.hpp"
#include "core/logging.hpp"
#include "core/ops/ops_routes.hpp"
#include "core/service_host.hpp"
#include "core/version.hpp"
#include "services/auth/auth_module.hpp"
#include "services/chat/chat_module.hpp"
#include "services/media/media_module.hpp"

namespace {

using namespace bartab;

enum class Shape { all, auth, chat, media, admin_rotate_keys };

struct Options {
  Shape shape = Shape::all;
  std::optional<std::string> config_file;
  std::vector<std::pair<std::string, std::string>> defaults;
  std::vector<std::pair<std::string, std::string>> overrides;
};

std::string_view shape_name(Shape shape) {
  switch (shape) {
    case Shape::all:
      return "up";
    case Shape::auth:
      return "auth";
    case Shape::chat:
      return "chat";
    case Shape::media:
      return "media";
    case Shape::admin_rotate_keys:
      return "admin";
  }
  return "up";
}

core::http::ServerOptions server_options(const core::Config& config) {
  core::http::ServerOptions o;
  o.host = config.server.host;
  o.port = config.server.port;
  o.threads = config.server.threads;
  o.max_body_bytes = config.limits.max_json_bytes;
  o.max_header_bytes = config.limits.max_header_bytes;
  o.json.max_depth = config.limits.max_json_depth;
  o.header_timeout = std::chrono::milliseconds(config.limits.header_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(config.limits.body_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(config.limits.idle_timeout_ms);
  o.shutdown_timeout = std::chrono::milliseconds(config.server.shutdown_timeout_ms);
  o.cors_origins = config.server.cors_origins;
  return o;
}

// Fills in the URLs that default to the address the server actually bound. In the
// all-in-one shape chat and media fetch the JWKS from this very process, over the
// address it listens on (not the public URL, which may be a proxy's).
void resolve_urls(core::Config& config, std::uint16_t port, Shape shape) {
  if (config.server.public_url.empty()) config.server.public_url = "http://127.0.0.1:" + std::to_string(port);
  for (auto* url : {&config.services.auth_url, &config.services.chat_url, &config.services.media_url}) {
    if (url->empty()) *url = config.server.public_url;
  }
  const auto& host = config.server.host;
  bool any_address = host == "0.0.0.0" || host == "::" || host == "localhost";
  auto self = "http://" + (any_address ? std::string("127.0.0.1") : host) + ":" + std::to_string(port);
  auto jwks_source = shape == Shape::all ? self : config.services.auth_url;
  if (config.chat.auth_url.empty()) config.chat.auth_url = jwks_source;
  if (config.media.auth_url.empty()) config.media.auth_url = jwks_source;
}

core::Config load(const Options& options) {
  core::ConfigSources sources{options.defaults, {}, core::process_environment(), options.overrides};
  if (options.config_file) sources.file = *options.config_file;
  core::Config config = core::load_config(sources);
  std::error_code ec;
  std::filesystem::create_directories(config.server.data_dir, ec);
  if (ec)
    throw core::ConfigError("cannot create data directory " + config.server.data_dir + ": " + ec.message());
  return config;
}

// `bartab admin rotate-keys`: publishes a new signing key in the data directory's
// auth database; a running server picks it up within seconds (no restart).
int rotate_keys(const Options& options) {
  auto config = load(options);
  core::init_logging(config.log);
  core::SystemClock clock;
  core::crypto::SystemRandom random;
  auto service = auth::open_service(config, clock, random);
  auto kid = service->rotate_keys_blocking();
  std::cout << "new signing key " << kid << " is published now and signs in " << config.auth.key_publish_delay
            << " s\n";
  return 0;
}

int serve(const Options& options) {
  auto config = load(options);
  core::init_logging(config.log);

  core::http::Router router;
  core::HealthRegistry health;
  core::HttpMetrics metrics;
  core::http::Server server(server_options(config), router, metrics);
  try {
    server.listen();
  } catch (const boost::system::system_error& e) {
    throw core::ConfigError("cannot listen on " + config.server.host + ":" +
                            std::to_string(config.server.port) + ": " + e.code().message());
  }
  resolve_urls(config, server.port(), options.shape);

  auto data_dir = config.server.data_dir;
  health.add("disk", [data_dir] { return core::check_data_dir(data_dir); });
  core::SystemClock clock;
  core::crypto::SystemRandom random;
  core::ServiceHost host{router,
                         health,
                         config,
                         [&server](std::function<void()> hook) { server.on_drain(std::move(hook)); },
                         server.main_context().get_executor(),
                         clock,
                         random};
  std::vector<core::ServiceHandle> services;
  if (options.shape == Shape::all || options.shape == Shape::auth) services.push_back(auth::mount(host));
  if (options.shape == Shape::all || options.shape == Shape::chat) services.push_back(chat::mount(host));
  if (options.shape == Shape::all || options.shape == Shape::media) services.push_back(media::mount(host));

  core::Discovery discovery{core::kVersion, config.services.auth_url, config.services.chat_url,
                            config.services.media_url};
  router.add_all(core::ops_routes(health, metrics, discovery));

  spdlog::info("bartab {} ({}) listening on {}:{}, public URL {}", core::kVersion, shape_name(options.shape),
               config.server.host, server.port(), config.server.public_url);
  server.run();
  spdlog::info("bartab stopped");
  return 0;
}

// Flags every serving subcommand takes.
void add_common_flags(CLI::App& cmd, Options& options, std::vector<std::string>& sets) {
  cmd.add_option("--config", options.config_file, "TOML configuration file")->check(CLI::ExistingFile);
  cmd.add_option("--set", sets, "Set a configuration key: section.key=value (repeatable)");
}

void add_flag_override(CLI::App& cmd, Options& options, const std::string& flag, const std::string& key,
                       const std::string& help) {
  cmd.add_option_function<std::string>(
      flag, [&options, key](const std::string& value) { options.overrides.emplace_back(key, value); }, help);
}

}  // namespace

// glibc's defaults hand memory back to the kernel eagerly: its mmap threshold adapts
// upward one free at a time and each thread arena's heap is trimmed with madvise as
// soon as 128 KiB lie free at its top. Under load that is a TLB-shootdown storm on
// the database thread (a third of its time in the chat send benchmark). Fixed
// thresholds keep a few MiB per arena around instead.
void tune_malloc() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

int main(int argc, char** argv) {
  tune_malloc();
  CLI::App app{"bartab: a lightweight, self-hostable group chat server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("bartab ") + bartab::core::kVersion);

  Options options;
  std::vector<std::string> sets;

  auto* up = app.add_subcommand("up", "Run auth, chat and media in one process (SQLite under --data)");
  add_common_flags(*up, options, sets);
  add_flag_override(*up, options, "--port", "server.port", "Port to listen on (default 8080; 0 picks one)");
  add_flag_override(*up, options, "--host", "server.host", "Address to listen on (default 0.0.0.0)");
  add_flag_override(*up, options, "--data", "server.data_dir", "Data directory (default ./data)");
  add_flag_override(*up, options, "--registration", "auth.registration", "open, invite (default) or closed");
  up->callback([&] { options.shape = Shape::all; });

  struct Single {
    const char* name;
    Shape shape;
    const char* port;
  };
  for (const auto& single : {Single{"auth", Shape::auth, "8081"}, Single{"chat", Shape::chat, "8082"},
                             Single{"media", Shape::media, "8083"}}) {
    auto* cmd = app.add_subcommand(single.name, std::string("Run the ") + single.name + " service alone");
    add_common_flags(*cmd, options, sets);
    add_flag_override(*cmd, options, "--port", "server.port",
                      std::string("Port to listen on (default ") + single.port + ")");
    add_flag_override(*cmd, options, "--host", "server.host", "Address to listen on (default 0.0.0.0)");
    cmd->callback([&options, single] {
      options.shape = single.shape;
      options.defaults.emplace_back("server.port", single.port);
    });
  }

  auto* admin = app.add_subcommand("admin", "Administer a server's data directory");
  admin->require_subcommand(1);
  auto* rotate = admin->add_subcommand("rotate-keys", "Publish a new token-signing key (no restart needed)");
  add_common_flags(*rotate, options, sets);
  add_flag_override(*rotate, options, "--data", "server.data_dir", "Data directory (default ./data)");
  rotate->callback([&options] { options.shape = Shape::admin_rotate_keys; });

  CLI11_PARSE(app, argc, argv);
  for (const auto& set : sets) {
    auto eq = set.find('=');
    if (eq == std::string::npos) {
      std::cerr << "bartab: --set takes section.key=value, got '" << set << "'\n";
      return 2;
    }
    options.overrides.emplace_back(set.substr(0, eq), set.substr(eq + 1));
  }

  try {
    bartab::core::crypto::init();
    if (options.shape == Shape::admin_rotate_keys) return rotate_keys(options);
    return serve(options);
  } catch (const bartab::core::ConfigError& e) {
    std::cerr << "bartab: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bartab: fatal: " << e.what() << "\n";
    return 1;
  }
}
