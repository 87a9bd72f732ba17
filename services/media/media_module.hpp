// The media service's entry point: mounts its routes and readiness checks on a host
// process (`bartab up` or `bartab media`).
#pragma once

#include "core/service_host.hpp"

namespace bartab::media {

core::ServiceHandle mount(core::ServiceHost& host);

}  // namespace bartab::media
