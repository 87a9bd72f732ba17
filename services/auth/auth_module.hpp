// The auth service's entry point: opens its store, prepares signing keys (printing a
// one-time admin invite when no admin exists) and mounts its routes and checks on a
// host process (`bartab up` or `bartab auth`).
#pragma once

#include <memory>
#include <string>

#include "core/service_host.hpp"
#include "services/auth/service/auth_service.hpp"

namespace bartab::auth {

core::ServiceHandle mount(core::ServiceHost& host);

// The service configured as a process would configure it (for `bartab admin`).
std::unique_ptr<AuthService> open_service(const core::Config& config, const core::Clock& clock,
                                          core::crypto::Random& random);

}  // namespace bartab::auth
