// The chat service's entry point: opens chat.db, starts verifying tokens with the JWKS
// fetched from auth (chat is not ready until it holds one), and mounts its routes and
// readiness checks on a host process (`bartab up` or `bartab chat`).
#pragma once

#include "core/service_host.hpp"

namespace bartab::chat {

core::ServiceHandle mount(core::ServiceHost& host);

}  // namespace bartab::chat
