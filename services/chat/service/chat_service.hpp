// The chat service's rules: rooms, memberships and roles, the event log's writes
// (idempotent sends, membership and state events) and history. Every write goes
// through the store's group commit, so a method returns only once it is durable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto/crypto.hpp"
#include "core/tokens/jwt.hpp"
#include "services/chat/store/store_runner.hpp"

namespace bartab::chat {

struct NewRoom {
  std::string name;
  std::string topic;
  std::string visibility = "private";
  std::vector<std::string> invites;
};

struct RoomSummary {
  Room room;
  std::optional<Membership> mine;
  std::int64_t member_count = 0;
  std::int64_t unread = 0;
};

struct SendResult {
  std::string event_id;
  std::int64_t seq = 0;
};

// A page of history and the token that continues it (absent at the end).
struct HistoryPage {
  std::vector<Event> events;
  std::optional<std::string> next;
};

class ChatService {
 public:
  ChatService(StoreRunner& store, const core::Clock& clock, core::crypto::Random& random);

  boost::asio::awaitable<std::string> create_room(core::tokens::AccessClaims caller, NewRoom room);
  boost::asio::awaitable<std::vector<RoomSummary>> my_rooms(core::tokens::AccessClaims caller);
  boost::asio::awaitable<std::vector<RoomSummary>> public_rooms();
  boost::asio::awaitable<RoomSummary> room(core::tokens::AccessClaims caller, std::string room_id);
  boost::asio::awaitable<std::vector<Membership>> members(core::tokens::AccessClaims caller,
                                                          std::string room_id);

  boost::asio::awaitable<void> join(core::tokens::AccessClaims caller, std::string room_id);
  boost::asio::awaitable<void> leave(core::tokens::AccessClaims caller, std::string room_id);
  boost::asio::awaitable<void> invite(core::tokens::AccessClaims caller, std::string room_id,
                                      std::string user_id);

  // Moderation: the caller needs a higher role than the target (unban: admin or up).
  enum class Sanction { kick, ban, unban };
  boost::asio::awaitable<void> moderate(core::tokens::AccessClaims caller, std::string room_id,
                                        Sanction sanction, std::string user_id,
                                        std::optional<std::string> reason);
  // PUT state/{key}: name and topic (admin or up), roles (owner only).
  boost::asio::awaitable<SendResult> set_state(core::tokens::AccessClaims caller, std::string room_id,
                                               std::string key, boost::json::value value);

  boost::asio::awaitable<SendResult> send(core::tokens::AccessClaims caller, std::string room_id,
                                          std::string txn_id, std::string type, boost::json::object content);
  // Erases an event's content and appends a redaction naming it. Members redact their
  // own events; admins and the owner also those of lower roles.
  boost::asio::awaitable<SendResult> redact(core::tokens::AccessClaims caller, std::string room_id,
                                            std::string event_id, std::optional<std::string> reason);
  // POST receipt: moves the caller's read marker forward to the event; returns the
  // unread count after it.
  boost::asio::awaitable<std::int64_t> mark_read(core::tokens::AccessClaims caller, std::string room_id,
                                                 std::string event_id);
  boost::asio::awaitable<HistoryPage> history(core::tokens::AccessClaims caller, std::string room_id,
                                              std::optional<std::string> from, std::string dir,
                                              std::size_t limit);
  boost::asio::awaitable<Event> event(core::tokens::AccessClaims caller, std::string room_id,
                                      std::string event_id);

  core::CheckResult check() { return store_.check(); }

 private:
  std::string new_id(std::string_view prefix);
  NewEvent member_event(const std::string& room_id, const std::string& sender, const std::string& user_id,
                        const std::string& membership);
  // The room and the caller's membership, or 404 when the caller may not see it.
  boost::asio::awaitable<RoomSummary> visible_room(const core::tokens::AccessClaims& caller,
                                                   const std::string& room_id);

  StoreRunner& store_;
  const core::Clock& clock_;
  core::crypto::Random& random_;
  std::mutex random_mutex_;
};

// A room or user id as the API spells them; anything else never reaches the store.
bool plausible_id(std::string_view id, std::string_view prefix);
// A history token continuing from `seq` in direction 'b' or 'f' (events?from=).
std::string history_token(char dir, std::int64_t seq);

}  // namespace bartab::chat
