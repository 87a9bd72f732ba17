#include "services/media/media_module.hpp"

#include <spdlog/spdlog.h>

namespace bartab::media {

// The service's route list is registered here as it grows (api/ handlers over
// service/ logic over store/ interfaces); for now the shell only announces itself.
core::ServiceHandle mount(core::ServiceHost& host) {
  (void)host;
  spdlog::debug("media service mounted");
  return nullptr;
}

}  // namespace bartab::media
