#include "services/chat/chat_module.hpp"

#include <spdlog/spdlog.h>
#include <filesystem>

#include "core/tokens/verifier.hpp"
#include "services/chat/api/routes.hpp"
#include "services/chat/service/chat_service.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {

namespace {

// What the process keeps alive for chat until the server has stopped.
struct ChatState {
  std::unique_ptr<ChatService> service;
  std::unique_ptr<core::tokens::TokenVerifier> verifier;
};

core::tokens::VerifierOptions verifier_options(const core::Config& config) {
  core::tokens::VerifierOptions o;
  o.jwks_url = config.chat.auth_url + "/.well-known/jwks.json";
  o.issuer = config.services.auth_url;  // auth signs with its public URL as iss
  o.leeway_s = config.tokens.leeway;
  return o;
}

}  // namespace

core::ServiceHandle mount(core::ServiceHost& host) {
  auto state = std::make_shared<ChatState>();
  auto store = open_sqlite_store((std::filesystem::path(host.config.server.data_dir) / "chat.db").string());
  state->service = std::make_unique<ChatService>(std::move(store), host.clock, host.random);
  state->verifier = std::make_unique<core::tokens::TokenVerifier>(verifier_options(host.config), host.clock);
  state->verifier->start(host.executor);
  host.on_drain([verifier = state->verifier.get()] { verifier->stop(); });

  host.router.add_all(chat_routes(*state->service, *state->verifier));
  host.health.add("chat.database", [service = state->service.get()] { return service->check(); });
  host.health.add("chat.jwks", [verifier = state->verifier.get()] { return verifier->check(); });
  spdlog::debug("chat service mounted; verifying tokens with {}", host.config.chat.auth_url);
  return state;
}

}  // namespace bartab::chat
