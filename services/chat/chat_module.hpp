// The chat service's entry point: mounts its routes and readiness checks on a host
// process (`bartab up` or `bartab chat`).
#pragma once

#include "core/service_host.hpp"

namespace bartab::chat {

core::ServiceHandle mount(core::ServiceHost& host);

}  // namespace bartab::chat
