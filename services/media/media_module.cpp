#include "services/media/media_module.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>

#include "core/tokens/verifier.hpp"
#include "services/media/api/routes.hpp"
#include "services/media/service/media_service.hpp"
#include "services/media/store/store_runner.hpp"

namespace bartab::media {

namespace {

// What the process keeps alive for media until the server has stopped. The pool goes
// first (joined), so no thumbnail job outlives the stores it uses.
struct MediaState {
  std::unique_ptr<StoreRunner> store;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<Thumbnailer> thumbnailer;
  std::unique_ptr<core::tokens::TokenVerifier> verifier;
  std::unique_ptr<MediaService> service;
  std::unique_ptr<boost::asio::thread_pool> workers;

  ~MediaState() {
    if (workers) workers->join();
  }
};

core::tokens::VerifierOptions verifier_options(const core::Config& config) {
  core::tokens::VerifierOptions o;
  o.jwks_url = config.media.auth_url + "/.well-known/jwks.json";
  o.issuer = config.services.auth_url;  // auth signs with its public URL as iss
  o.leeway_s = config.tokens.leeway;
  return o;
}

// The signed links' MAC key lives in media.db, so links outlive restarts.
std::string link_key(StoreRunner& store, core::crypto::Random& random) {
  std::string key;
  store.run_blocking([&](MediaStore& s) {
    if (auto held = s.meta("link_key")) {
      key = *held;
      return;
    }
    auto fresh = random.bytes(32);
    key.assign(fresh.begin(), fresh.end());
    s.put_meta("link_key", key);
  });
  return key;
}

// Uploads cut short by a crash leave files under tmp/, and a crash between a blob's
// rename and its row's COMMIT leaves a blob nothing refers to: both go at start.
void sweep_blobs(StoreRunner& store, BlobStore& blobs) {
  std::size_t removed = 0;
  store.run_blocking([&](MediaStore& s) {
    removed = blobs.sweep([&s](const std::string& sha256) { return s.references(sha256) > 0; });
  });
  if (removed > 0) spdlog::info("media: removed {} blobs nothing refers to", removed);
}

// Decoding is CPU- and memory-heavy: at most this many images at once.
constexpr std::size_t kImageWorkers = 2;

}  // namespace

core::ServiceHandle mount(core::ServiceHost& host) {
  keep_vips_modules_out();  // now, before any thread of ours could read the environment
  auto state = std::make_shared<MediaState>();
  auto data = std::filesystem::path(host.config.server.data_dir);
  state->store = open_sqlite_store((data / "media.db").string());
  state->blobs = std::make_unique<BlobStore>(data / "media", host.random);
  sweep_blobs(*state->store, *state->blobs);
  state->thumbnailer = std::make_unique<Thumbnailer>(ThumbnailerOptions{});
  state->workers = std::make_unique<boost::asio::thread_pool>(kImageWorkers);

  MediaLimits limits;
  limits.max_upload_bytes = host.config.media.max_upload_bytes;
  limits.quota_bytes = host.config.media.quota_bytes;
  SignedLinks links(link_key(*state->store, host.random), host.config.server.public_url, host.clock);
  state->service =
      std::make_unique<MediaService>(*state->store, *state->blobs, *state->thumbnailer, *state->workers,
                                     std::move(links), host.clock, host.random, limits);
  state->verifier = std::make_unique<core::tokens::TokenVerifier>(verifier_options(host.config), host.clock);
  state->verifier->start(host.executor);
  host.on_drain([verifier = state->verifier.get()] { verifier->stop(); });

  host.router.add_all(media_routes(*state->service, *state->verifier, limits.max_upload_bytes));
  host.health.add("media.database", [service = state->service.get()] { return service->check_database(); });
  host.health.add("media.jwks", [verifier = state->verifier.get()] { return verifier->check(); });
  spdlog::debug("media service mounted; verifying tokens with {}", host.config.media.auth_url);
  return state;
}

}  // namespace bartab::media
