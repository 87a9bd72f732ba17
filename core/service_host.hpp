// What a process gives each service it hosts: where to register routes and readiness
// checks, the validated configuration (server.public_url already resolved), and a hook
// to run when the process starts draining.
#pragma once

#include <functional>

#include "core/config/config.hpp"
#include "core/http/router.hpp"
#include "core/ops/health.hpp"

namespace bartab::core {

struct ServiceHost {
  http::Router& router;
  HealthRegistry& health;
  const Config& config;
  std::function<void(std::function<void()>)> on_drain;
};

}  // namespace bartab::core
