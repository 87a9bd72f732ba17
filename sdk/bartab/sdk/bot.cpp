// Bot: the sync loop, dispatch, position saving and the failure policy (see bot.hpp).
#include "bartab/sdk/bot.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

#include "bartab/sdk/txn_id.hpp"

namespace bartab::sdk {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Failures that say nothing about the event: the server is unreachable, overloaded or
// restarting. The batch is tried again rather than skipped.
bool is_transient(const std::exception& error) {
  if (dynamic_cast<const TransportError*>(&error) != nullptr) return true;
  const auto* api = dynamic_cast<const ApiError*>(&error);
  return api != nullptr && (api->status() >= 500 || api->status() == 429);
}

}  // namespace

// --- Context --------------------------------------------------------------------

asio::awaitable<SendResult> Context::send(std::string type, json::object content) {
  auto txn_id = reply_txn_id(event_.event_id, replies_++);
  auto sending = client_.send_retrying(room_id, std::move(type), std::move(content), std::move(txn_id));
  co_return co_await std::move(sending);
}

asio::awaitable<SendResult> Context::reply(json::object content) {
  if (!content.contains("reply_to")) content["reply_to"] = event_.event_id;
  auto sending = send("message", std::move(content));
  co_return co_await std::move(sending);
}

asio::awaitable<SendResult> Context::reply_text(std::string body) {
  auto replying = reply(json::object{{"body", std::move(body)}});
  co_return co_await std::move(replying);
}

// --- Bot ------------------------------------------------------------------------

Bot::Bot(Client& client, std::shared_ptr<PositionStore> positions, BotOptions options)
    : client_(client), positions_(std::move(positions)), options_(std::move(options)) {}

void Bot::on_message(Handler handler) {
  message_handlers_.push_back(std::move(handler));
}

void Bot::on(std::string type, Handler handler) {
  typed_handlers_.emplace(std::move(type), std::move(handler));
}

void Bot::on_member(Handler handler) {
  member_handlers_.push_back(std::move(handler));
}

void Bot::on_invite(InviteHandler handler) {
  invite_handlers_.push_back(std::move(handler));
}

void Bot::on_ready(std::function<void()> callback) {
  on_ready_ = std::move(callback);
}

void Bot::stop() {
  stopping_ = true;
  client_.cancel_sync();
  if (backoff_timer_) backoff_timer_->cancel();
}

void Bot::log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
    return;
  }
  std::cerr << "bartab-sdk: " << line << std::endl;
}

asio::awaitable<void> Bot::run() {
  backoff_timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  auto starting = starting_position();
  auto since = co_await std::move(starting);
  if (stopping_) co_return;
  if (on_ready_) on_ready_();
  while (!stopping_) {
    std::optional<SyncResponse> batch;
    try {
      auto polling = client_.sync(since, options_.poll_timeout, options_.sync_limit);
      batch = co_await std::move(polling);
    } catch (const std::exception& e) {
      if (stopping_) break;
      if (!is_transient(e)) throw;
      log(std::string("sync failed, retrying: ") + e.what());
    }
    if (batch) {
      try {
        auto handling = handle_batch(*batch);
        co_await std::move(handling);
        positions_->save(batch->next);  // only now: every handler of the batch returned
        since = batch->next;
        backoff_ = std::chrono::milliseconds(0);
        continue;
      } catch (const std::exception& e) {
        if (!is_transient(e)) throw;
        log(std::string("a handler could not reach the server; the batch will be handled again: ") +
            e.what());
      }
    }
    auto waiting = back_off();
    co_await std::move(waiting);
  }
}

// The saved position; or, on a first run, the present (an initial sync), saved at once
// so that a crash before the first batch does not skip what arrives meanwhile.
asio::awaitable<std::string> Bot::starting_position() {
  if (auto saved = positions_->load()) co_return *saved;
  while (!stopping_) {
    std::optional<SyncResponse> snapshot;
    try {
      auto polling = client_.sync(std::nullopt, std::chrono::milliseconds(0), options_.sync_limit);
      snapshot = co_await std::move(polling);
      if (options_.replay_history) {
        auto handling = handle_batch(*snapshot);
        co_await std::move(handling);
      } else {
        auto accepting = accept_invites(*snapshot);
        co_await std::move(accepting);
      }
      positions_->save(snapshot->next);
      co_return snapshot->next;
    } catch (const std::exception& e) {
      if (!is_transient(e)) throw;
      log(std::string("initial sync failed, retrying: ") + e.what());
    }
    auto waiting = back_off();
    co_await std::move(waiting);
  }
  co_return std::string();
}

asio::awaitable<void> Bot::handle_batch(const SyncResponse& batch) {
  for (const auto& [room_id, room] : batch.rooms) {
    for (const auto& event : room.events) {
      auto dispatching = dispatch(event);
      co_await std::move(dispatching);
    }
  }
  auto accepting = accept_invites(batch);
  co_await std::move(accepting);
}

std::vector<Bot::Handler*> Bot::handlers_for(const Event& event) {
  std::vector<Handler*> handlers;
  if (event.type == "message") {
    for (auto& handler : message_handlers_) handlers.push_back(&handler);
  }
  if (event.type == "member") {
    for (auto& handler : member_handlers_) handlers.push_back(&handler);
  }
  auto [first, last] = typed_handlers_.equal_range(event.type);
  for (auto it = first; it != last; ++it) handlers.push_back(&it->second);
  return handlers;
}

asio::awaitable<void> Bot::dispatch(const Event& event) {
  if (event.sender == client_.user_id()) co_return;
  auto handlers = handlers_for(event);
  if (handlers.empty()) co_return;
  Context context(client_, event);
  for (auto* handler : handlers) {
    try {
      auto handling = (*handler)(context, event);
      co_await std::move(handling);
    } catch (const std::exception& e) {
      if (is_transient(e)) throw;
      log("handler for " + event.type + " event " + event.event_id + " in " + event.room_id +
          " failed, skipping it: " + e.what());
    }
  }
}

asio::awaitable<void> Bot::accept_invites(const SyncResponse& batch) {
  for (const auto& [room_id, invite] : batch.invites) {
    if (options_.auto_join_invites) {
      try {
        auto joining = client_.join(room_id);
        co_await std::move(joining);
      } catch (const std::exception& e) {
        if (is_transient(e)) throw;
        log("cannot join " + room_id + " (invited by " + invite.inviter + "): " + e.what());
        continue;
      }
    }
    for (auto& handler : invite_handlers_) {
      try {
        auto handling = handler(client_, invite);
        co_await std::move(handling);
      } catch (const std::exception& e) {
        if (is_transient(e)) throw;
        log("invite handler for " + room_id + " failed, skipping it: " + e.what());
      }
    }
  }
}

// Waits before the next attempt: doubling from min_backoff up to max_backoff.
asio::awaitable<void> Bot::back_off() {
  backoff_ = backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
  backoff_timer_->expires_after(backoff_);
  auto waiting = backoff_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
  co_await std::move(waiting);
}

}  // namespace bartab::sdk
