// The chat service's storage interface: rooms, memberships and the append-only event
// log. SQLite implementation in sqlite/; a conformance suite in
// tests/services/chat/store runs against every implementation. Calls are synchronous
// and run on the store's thread (see EventLog and StoreRunner).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bartab::chat {

struct Room {
  std::string room_id;
  std::string name;
  std::string topic;
  std::string visibility = "private";  // private | public
  std::string creator;
  std::int64_t created_ms = 0;
  std::int64_t last_seq = 0;
  std::int64_t messages = 0;  // running count of `message` events (unread counts)
};

struct Membership {
  std::string room_id;
  std::string user_id;
  std::string membership;       // join | invite | leave | ban
  std::string role = "member";  // owner | admin | member
  std::int64_t since_pos = 0;   // stream position of the event that set it
  std::optional<std::string> inviter;
};

struct Event {
  std::int64_t pos = 0;  // global stream position
  std::string room_id;
  std::int64_t seq = 0;  // the room's own position, 1, 2, 3 ... without gaps
  std::string event_id;
  std::string sender;
  std::string type;
  std::string content;  // JSON object text
  std::int64_t ts = 0;
  std::optional<std::string> txn_id;
  std::optional<std::string> session_id;
  std::optional<std::string> redacted_by;
  std::optional<std::string> target;  // member events: the user they are about
};

// What an append asks for; the store assigns pos and seq.
struct NewEvent {
  std::string room_id;
  std::string event_id;
  std::string sender;
  std::string type;
  std::string content;
  std::int64_t ts = 0;
  std::optional<std::string> txn_id;
  std::optional<std::string> session_id;
  std::optional<std::string> target;  // member events: the user they are about
};

// A read marker: the event a user has read up to, and the room's message count there.
struct Receipt {
  std::string room_id;
  std::string user_id;
  std::int64_t seq = 0;
  std::int64_t messages = 0;
};

// What a committed write changed that the in-memory sync state must learn: appended
// events (in stream order) and moved read markers. Filled by stores opened for a
// group-commit write, handed over only after the commit.
struct Changes {
  std::vector<Event> events;
  std::vector<Receipt> receipts;
  bool empty() const { return events.empty() && receipts.empty(); }
};

struct TxnRecord {
  std::string event_id;
  std::int64_t seq = 0;
};

class ChatStore {
 public:
  virtual ~ChatStore() = default;

  virtual void in_transaction(const std::function<void()>& work) = 0;

  virtual void insert_room(const Room& room) = 0;
  virtual std::optional<Room> room(const std::string& room_id) = 0;
  virtual std::vector<Room> public_rooms(std::size_t limit) = 0;
  virtual void update_room(const std::string& room_id, const std::string& name, const std::string& topic) = 0;

  virtual void put_membership(const Membership& m) = 0;
  virtual std::optional<Membership> membership(const std::string& room_id, const std::string& user_id) = 0;
  virtual std::vector<Membership> members(const std::string& room_id) = 0;
  virtual std::vector<Membership> rooms_of(const std::string& user_id) = 0;
  virtual std::int64_t joined_count(const std::string& room_id) = 0;
  // `message` events after the user's read marker: the room's count minus the
  // marker's. A user's own sends move their marker, so these are others' messages.
  virtual std::int64_t unread_count(const std::string& room_id, const std::string& user_id) = 0;

  virtual std::optional<Receipt> receipt(const std::string& room_id, const std::string& user_id) = 0;
  virtual void put_receipt(const Receipt& receipt) = 0;
  // `message` events of the room with seq above `seq`.
  virtual std::int64_t messages_after(const std::string& room_id, std::int64_t seq) = 0;

  // Appends at the room's next seq and the next stream position; both returned in
  // the event. Call inside a transaction.
  virtual Event append(const NewEvent& e) = 0;
  // The highest stream position in the log (0 when empty).
  virtual std::int64_t max_pos() = 0;
  virtual std::optional<Event> event(const std::string& event_id) = 0;
  // A room's events with seq in (after_seq, ...] ascending, or (.., before_seq)
  // descending, at most `limit`.
  virtual std::vector<Event> events_after(const std::string& room_id, std::int64_t after_seq,
                                          std::size_t limit) = 0;
  virtual std::vector<Event> events_before(const std::string& room_id, std::int64_t before_seq,
                                           std::size_t limit) = 0;
  // A room's events with pos in (after_pos, upto_pos], ascending, at most `limit`.
  virtual std::vector<Event> events_between(const std::string& room_id, std::int64_t after_pos,
                                            std::int64_t upto_pos, std::size_t limit) = 0;
  // A room's newest `limit` events with pos <= upto_pos, ascending.
  virtual std::vector<Event> latest_events(const std::string& room_id, std::int64_t upto_pos,
                                           std::size_t limit) = 0;
  // Member events about `user_id` with pos in (after_pos, upto_pos], ascending.
  virtual std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after_pos,
                                              std::int64_t upto_pos) = 0;
  // The user's membership in the room as of stream position `pos` (from the log), or
  // nullopt when no member event about them precedes it.
  virtual std::optional<std::string> membership_at(const std::string& room_id, const std::string& user_id,
                                                   std::int64_t pos) = 0;
  // Erases a redacted event's content (to {}) and records the redaction.
  virtual void redact(const std::string& event_id, const std::string& redacted_by) = 0;

  virtual std::optional<TxnRecord> txn(const std::string& session_id, const std::string& room_id,
                                       const std::string& txn_id) = 0;
  virtual void put_txn(const std::string& session_id, const std::string& room_id, const std::string& txn_id,
                       const TxnRecord& record, std::int64_t created_ms) = 0;

  virtual std::optional<std::string> meta(const std::string& key) = 0;
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
};

}  // namespace bartab::chat
