#include "services/chat/chat_service.hpp"

#include <spdlog/spdlog.h>

namespace bartab::chat {

// The service's route list is registered here as it grows (api/ handlers over
// service/ logic over store/ interfaces); for now the shell only announces itself.
void mount(core::ServiceHost& host) {
  (void)host;
  spdlog::debug("chat service mounted");
}

}  // namespace bartab::chat
