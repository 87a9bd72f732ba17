// What a process gives each service it hosts: where to register routes and readiness
// checks, the validated configuration (server.public_url already resolved), an
// executor for background work, a hook run when the process starts draining, and the
// clock and randomness every service takes instead of reaching for globals.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>

#include "core/clock.hpp"
#include "core/config/config.hpp"
#include "core/crypto/crypto.hpp"
#include "core/http/router.hpp"
#include "core/ops/health.hpp"

namespace bartab::core {

struct ServiceHost {
  http::Router& router;
  HealthRegistry& health;
  const Config& config;
  std::function<void(std::function<void()>)> on_drain;
  boost::asio::any_io_executor executor;
  const Clock& clock;
  crypto::Random& random;
};

// What mount() returns: the service's state, kept alive by the process until the
// server has stopped.
using ServiceHandle = std::shared_ptr<void>;

}  // namespace bartab::core
