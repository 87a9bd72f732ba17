// The auth service's route list (API.md, Auth section).
#pragma once

#include <vector>

#include "core/http/router.hpp"
#include "services/auth/service/auth_service.hpp"

namespace bartab::auth {

std::vector<core::http::RouteSpec> auth_routes(AuthService& service);

}  // namespace bartab::auth
