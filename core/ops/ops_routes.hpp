// The operational endpoints every process serves: /healthz, /readyz,
// /.well-known/bartab and /metrics.
#pragma once

#include <string>
#include <vector>

#include "core/http/router.hpp"
#include "core/metrics.hpp"
#include "core/ops/health.hpp"

namespace bartab::core {

struct Discovery {
  std::string version;
  std::string auth_url;
  std::string chat_url;
  std::string media_url;
};

// Route list of the operational endpoints. The referenced objects must outlive the
// server; `discovery` may be filled in after the port is bound, before serving.
std::vector<http::RouteSpec> ops_routes(const HealthRegistry& health, const HttpMetrics& metrics,
                                        const Discovery& discovery);

}  // namespace bartab::core
