#include "services/chat/chat_module.hpp"

#include <spdlog/spdlog.h>

namespace bartab::chat {

// The service's route list is registered here as it grows (api/ handlers over
// service/ logic over store/ interfaces); for now the shell only announces itself.
core::ServiceHandle mount(core::ServiceHost& host) {
  (void)host;
  spdlog::debug("chat service mounted");
  return nullptr;
}

}  // namespace bartab::chat
