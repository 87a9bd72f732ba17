#include "services/chat/chat_module.hpp"

#include <spdlog/spdlog.h>
#include <filesystem>

#include "core/tokens/verifier.hpp"
#include "services/chat/api/routes.hpp"
#include "services/chat/service/chat_service.hpp"
#include "services/chat/service/sync_hub.hpp"
#include "services/chat/service/sync_service.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {

namespace {

// What the process keeps alive for chat until the server has stopped. Declared so
// that destruction stops the store's thread (which publishes into the hub) before
// the hub goes, and the services before the store.
struct ChatState {
  std::unique_ptr<SyncHub> hub;
  std::unique_ptr<StoreRunner> store;
  std::unique_ptr<ChatService> service;
  std::unique_ptr<SyncService> sync;
  std::unique_ptr<core::tokens::TokenVerifier> verifier;
};

core::tokens::VerifierOptions verifier_options(const core::Config& config) {
  core::tokens::VerifierOptions o;
  o.jwks_url = config.chat.auth_url + "/.well-known/jwks.json";
  o.issuer = config.services.auth_url;  // auth signs with its public URL as iss
  o.leeway_s = config.tokens.leeway;
  return o;
}

// The sync tokens' MAC key lives in chat.db, so tokens outlive restarts; the epoch
// changes every start (typing serials are per process).
SyncTokens sync_tokens(StoreRunner& store, core::crypto::Random& random) {
  std::string key;
  store.run_blocking([&](ChatStore& s) {
    auto held = s.meta("sync_token_key");
    if (held) {
      key = *held;
      return;
    }
    auto fresh = random.bytes(32);
    key.assign(fresh.begin(), fresh.end());
    s.put_meta("sync_token_key", key);
  });
  return SyncTokens(key, random.token(6));
}

}  // namespace

core::ServiceHandle mount(core::ServiceHost& host) {
  auto state = std::make_shared<ChatState>();
  state->store = open_sqlite_store((std::filesystem::path(host.config.server.data_dir) / "chat.db").string());
  std::int64_t boot_mark = 0;
  state->store->run_blocking([&](ChatStore& s) { boot_mark = s.max_pos(); });
  state->hub = std::make_unique<SyncHub>(boot_mark, HubOptions{});
  state->store->on_commit([hub = state->hub.get()](Changes& changes) { hub->publish(changes); });
  state->service = std::make_unique<ChatService>(*state->store, host.clock, host.random);
  state->sync = std::make_unique<SyncService>(*state->store, *state->hub,
                                              sync_tokens(*state->store, host.random), host.clock);
  state->sync->start(host.executor);
  state->verifier = std::make_unique<core::tokens::TokenVerifier>(verifier_options(host.config), host.clock);
  state->verifier->start(host.executor);
  host.on_drain([verifier = state->verifier.get(), hub = state->hub.get(), sync = state->sync.get()] {
    hub->drain();  // held long polls answer now
    sync->stop();
    verifier->stop();
  });

  host.router.add_all(chat_routes(*state->service, *state->sync, *state->verifier));
  host.health.add("chat.database", [service = state->service.get()] { return service->check(); });
  host.health.add("chat.jwks", [verifier = state->verifier.get()] { return verifier->check(); });
  spdlog::debug("chat service mounted; verifying tokens with {}", host.config.chat.auth_url);
  return state;
}

}  // namespace bartab::chat
