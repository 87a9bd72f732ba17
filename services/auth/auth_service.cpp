#include "services/auth/auth_service.hpp"

#include <spdlog/spdlog.h>

namespace bartab::auth {

// The service's route list is registered here as it grows (api/ handlers over
// service/ logic over store/ interfaces); for now the shell only announces itself.
void mount(core::ServiceHost& host) {
  (void)host;
  spdlog::debug("auth service mounted");
}

}  // namespace bartab::auth
