// The chat service's route list (API.md, Chat section).
#pragma once

#include <vector>

#include "core/http/router.hpp"
#include "core/tokens/verifier.hpp"
#include "services/chat/service/chat_service.hpp"
#include "services/chat/service/sync_service.hpp"

namespace bartab::chat {

std::vector<core::http::RouteSpec> chat_routes(ChatService& service, SyncService& sync,
                                               core::tokens::TokenVerifier& verifier);

}  // namespace bartab::chat
