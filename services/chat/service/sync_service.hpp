// `/v1/sync` and typing notices. The initial sync is a snapshot read from the store;
// an incremental sync answers from memory when the room tails reach back to its
// token, from the store otherwise, and waits on the sync hub when nothing is new.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/tokens/jwt.hpp"
#include "services/chat/service/sync_hub.hpp"
#include "services/chat/service/sync_token.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {

struct SyncRequest {
  std::optional<std::string> since;
  std::chrono::milliseconds timeout{30000};
  std::optional<std::size_t> limit;
};

struct SyncAnswer {
  std::string next;
  SyncWindow window;
};

class SyncService {
 public:
  SyncService(StoreRunner& store, SyncHub& hub, SyncTokens tokens, const core::Clock& clock);

  boost::asio::awaitable<SyncAnswer> sync(core::tokens::AccessClaims caller, SyncRequest request);
  // PUT typing: members only; the notice lasts timeout_ms unless renewed or stopped.
  boost::asio::awaitable<void> typing(core::tokens::AccessClaims caller, std::string room_id, bool typing,
                                      std::int64_t timeout_ms);

  // Expires typing notices on a timer until stop().
  void start(const boost::asio::any_io_executor& executor);
  void stop();

 private:
  boost::asio::awaitable<SyncAnswer> snapshot(const std::string& user_id, std::size_t limit);
  boost::asio::awaitable<SyncWindow> window(const std::string& user_id, SyncPosition from, std::size_t limit);
  boost::asio::awaitable<void> ensure_view(const std::string& user_id);
  boost::asio::awaitable<void> expire_typing_loop();

  StoreRunner& store_;
  SyncHub& hub_;
  SyncTokens tokens_;
  const core::Clock& clock_;
  std::unique_ptr<boost::asio::steady_timer> sweeper_;
};

}  // namespace bartab::chat
