#include "services/auth/auth_module.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <iostream>

#include "core/coro.hpp"
#include "services/auth/api/routes.hpp"

namespace bartab::auth {

namespace {

// How often the running service re-reads its signing keys, so a rotation made by
// `bartab admin rotate-keys` takes effect without a restart.
constexpr auto kKeyReloadInterval = std::chrono::seconds(5);

AuthOptions options_from(const core::Config& c) {
  AuthOptions o;
  o.issuer = c.server.public_url;
  o.registration = c.auth.registration;
  o.access_token_ttl_s = c.auth.access_token_ttl;
  o.refresh_token_ttl_s = c.auth.refresh_token_ttl;
  o.leeway_s = c.tokens.leeway;
  o.key_publish_delay_s = c.auth.key_publish_delay;
  o.invite_ttl_s = c.auth.invite_ttl;
  o.login_failures_per_minute = c.ratelimit.login_failures_per_minute;
  o.register_per_hour = c.ratelimit.register_per_hour;
  o.password.mem_limit = static_cast<std::size_t>(c.auth.argon2_memory_kib) * 1024;
  o.password.ops_limit = c.auth.argon2_iterations;
  return o;
}

// auth.db holds the private signing keys: readable by the service's user only.
std::string private_db_path(const std::string& data_dir) {
  auto path = (std::filesystem::path(data_dir) / "auth.db").string();
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  ::chmod(path.c_str(), 0600);
  return path;
}

boost::asio::awaitable<void> reload_keys_periodically(std::shared_ptr<AuthService> service,
                                                      std::shared_ptr<boost::asio::steady_timer> timer) {
  while (true) {
    timer->expires_after(kKeyReloadInterval);
    auto [ec] = co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    try {
      co_await service->reload_keys();
    } catch (const std::exception& e) {
      spdlog::warn("reloading signing keys failed: {}", e.what());
    }
  }
}

}  // namespace

std::unique_ptr<AuthService> open_service(const core::Config& config, const core::Clock& clock,
                                          core::crypto::Random& random) {
  auto store = open_sqlite_store(private_db_path(config.server.data_dir));
  return std::make_unique<AuthService>(options_from(config), std::move(store), clock, random);
}

core::ServiceHandle mount(core::ServiceHost& host) {
  std::shared_ptr<AuthService> service = open_service(host.config, host.clock, host.random);
  if (auto invite = service->prepare()) {
    // One plain line, whatever the log format, for the operator (and scripts) to find.
    std::cerr << "admin invite: " << *invite << std::endl;
  }
  host.router.add_all(auth_routes(*service));
  host.health.add("auth.database", [s = service.get()] { return s->check(); });

  auto timer = std::make_shared<boost::asio::steady_timer>(host.executor);
  boost::asio::co_spawn(host.executor, reload_keys_periodically(service, timer),
                        core::log_exceptions("key reload"));
  host.on_drain([timer] { timer->cancel(); });
  return service;
}

}  // namespace bartab::auth
