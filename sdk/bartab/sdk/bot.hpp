// A bot on top of a Client: follows /v1/sync and hands each event to the handlers
// registered for it, with at-least-once delivery that looks exactly-once from outside.
//
//  - Position: after every handler of a sync batch has returned, the batch's `next` is
//    saved in the PositionStore; a restart resumes from the saved position, so no event
//    is missed, and at most the batch in hand at a crash is delivered again.
//  - Replies: Context::reply() and Context::send() use a txn_id derived from the event
//    answered (reply_txn_id: "re.<event_id>.<n>"). The server appends one event per
//    (session, room, txn_id), and a bot's API key always gets the same session, so a
//    batch delivered again produces no second reply.
//  - First run (no saved position): an initial sync, whose `next` is saved at once; the
//    snapshot's events are history and are NOT dispatched unless
//    BotOptions::replay_history is set.
//  - A handler that throws: a TransportError (the server is unreachable) stops the batch
//    without saving, and the same batch is fetched and dispatched again after a backoff
//    (replies are deduplicated, so nothing is said twice). Any other exception is logged
//    and the bot moves on, since a poison event that always throws must not wedge it.
//  - The bot ignores its own events (sender == its user id).
//  - Invites are joined automatically (BotOptions::auto_join_invites) before on_invite.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bartab/sdk/client.hpp"
#include "bartab/sdk/position_store.hpp"
#include "bartab/sdk/types.hpp"

namespace bartab::sdk {

// What a handler gets besides the event: the client and replies that are safe to repeat.
// One Context per event, shared by all its handlers, so reply numbers never collide.
class Context {
 public:
  Context(Client& client, const Event& event) : room_id(event.room_id), client_(client), event_(event) {}

  const std::string room_id;

  Client& client() { return client_; }
  const Event& event() const { return event_; }

  // A `message` into the event's room; adds `reply_to` (the answered event) unless the
  // content has one.
  boost::asio::awaitable<SendResult> reply(boost::json::object content);
  // A `message` {body, reply_to}.
  boost::asio::awaitable<SendResult> reply_text(std::string body);
  // Any sendable type into the event's room, with the next derived txn_id.
  boost::asio::awaitable<SendResult> send(std::string type, boost::json::object content);

 private:
  Client& client_;
  const Event& event_;
  int replies_ = 0;  // sends made for this event so far: the n of the next txn_id
};

struct BotOptions {
  std::chrono::milliseconds poll_timeout{std::chrono::seconds(30)};
  int sync_limit = 100;  // events per room per sync answer
  bool replay_history = false;
  bool auto_join_invites = true;
  std::chrono::milliseconds min_backoff{std::chrono::milliseconds(200)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(10)};
  // Where the bot reports handler failures and retries; stderr by default.
  std::function<void(const std::string&)> log;
};

class Bot {
 public:
  using Handler = std::function<boost::asio::awaitable<void>(Context&, const Event&)>;
  using InviteHandler = std::function<boost::asio::awaitable<void>(Client&, const Invite&)>;

  Bot(Client& client, std::shared_ptr<PositionStore> positions, BotOptions options = {});

  void on_message(Handler handler);
  void on(std::string type, Handler handler);
  void on_member(Handler handler);
  void on_invite(InviteHandler handler);
  // Called once the bot knows where it stands (after the first sync or loading the
  // saved position), before waiting for events.
  void on_ready(std::function<void()> callback);

  // Follows the stream until stop(). The Client must be signed in.
  boost::asio::awaitable<void> run();
  // Ends run(): a held poll is cancelled; a batch being handled finishes and is saved.
  void stop();
  bool stopping() const { return stopping_; }

 private:
  boost::asio::awaitable<std::string> starting_position();
  boost::asio::awaitable<void> handle_batch(const SyncResponse& batch);
  boost::asio::awaitable<void> dispatch(const Event& event);
  boost::asio::awaitable<void> accept_invites(const SyncResponse& batch);
  boost::asio::awaitable<void> back_off();
  std::vector<Handler*> handlers_for(const Event& event);
  void log(const std::string& line) const;

  Client& client_;
  std::shared_ptr<PositionStore> positions_;
  BotOptions options_;
  std::vector<Handler> message_handlers_;
  std::vector<Handler> member_handlers_;
  std::multimap<std::string, Handler> typed_handlers_;
  std::vector<InviteHandler> invite_handlers_;
  std::function<void()> on_ready_;
  std::chrono::milliseconds backoff_{0};
  std::unique_ptr<boost::asio::steady_timer> backoff_timer_;
  bool stopping_ = false;
};

}  // namespace bartab::sdk
