// The auth service's entry point: mounts its routes and readiness checks on a host
// process (`bartab up` or `bartab auth`).
#pragma once

#include "core/service_host.hpp"

namespace bartab::auth {

void mount(core::ServiceHost& host);

}  // namespace bartab::auth
