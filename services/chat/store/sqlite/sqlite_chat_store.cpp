#include "services/chat/store/sqlite/sqlite_chat_store.hpp"

#include <algorithm>
#include <stdexcept>

namespace bartab::chat {

using core::db::Statement;

namespace {

constexpr const char* kEventColumns =
    "pos, room_id, seq, event_id, sender, type, content, ts, txn_id, session_id, redacted_by, target";
constexpr const char* kRoomColumns =
    "room_id, name, topic, visibility, creator, created_ms, last_seq, messages";
constexpr const char* kMemberColumns = "room_id, user_id, membership, role, since_pos, inviter";

Event read_event(const Statement& q) {
  return Event{q.int64(0),         q.text(1),          q.int64(2),          q.text(3),
               q.text(4),          q.text(5),          q.text(6),           q.int64(7),
               q.optional_text(8), q.optional_text(9), q.optional_text(10), q.optional_text(11)};
}

Room read_room(const Statement& q) {
  return Room{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5), q.int64(6), q.int64(7)};
}

Membership read_member(const Statement& q) {
  return Membership{q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4), q.optional_text(5)};
}

}  // namespace

void SqliteChatStore::in_transaction(const std::function<void()>& work) {
  transactions_.run(work);
}

void SqliteChatStore::insert_room(const Room& r) {
  auto q = db_.cached(std::string("INSERT INTO rooms (") + kRoomColumns + ") VALUES (?,?,?,?,?,?,?,?)");
  q->bind_all(r.room_id, r.name, r.topic, r.visibility, r.creator, r.created_ms, r.last_seq, r.messages)
      .run();
}

std::optional<Room> SqliteChatStore::room(const std::string& room_id) {
  auto q = db_.cached(std::string("SELECT ") + kRoomColumns + " FROM rooms WHERE room_id = ?");
  q->bind(1, room_id);
  if (!q->step()) return std::nullopt;
  return read_room(*q);
}

std::vector<Room> SqliteChatStore::public_rooms(std::size_t limit) {
  auto q = db_.cached(std::string("SELECT ") + kRoomColumns +
                      " FROM rooms WHERE visibility = 'public' ORDER BY created_ms, room_id LIMIT ?");
  q->bind(1, static_cast<std::int64_t>(limit));
  std::vector<Room> out;
  while (q->step()) out.push_back(read_room(*q));
  return out;
}

void SqliteChatStore::update_room(const std::string& room_id, const std::string& name,
                                  const std::string& topic) {
  auto q = db_.cached("UPDATE rooms SET name = ?, topic = ? WHERE room_id = ?");
  q->bind_all(name, topic, room_id).run();
}

void SqliteChatStore::put_membership(const Membership& m) {
  auto q =
      db_.cached(std::string("INSERT INTO memberships (") + kMemberColumns +
                 ") VALUES (?,?,?,?,?,?) ON CONFLICT(room_id, user_id) DO UPDATE SET "
                 "membership = excluded.membership, role = excluded.role, since_pos = excluded.since_pos, "
                 "inviter = excluded.inviter");
  q->bind_all(m.room_id, m.user_id, m.membership, m.role, m.since_pos, m.inviter).run();
}

std::optional<Membership> SqliteChatStore::membership(const std::string& room_id,
                                                      const std::string& user_id) {
  auto q = db_.cached(std::string("SELECT ") + kMemberColumns +
                      " FROM memberships WHERE room_id = ? AND user_id = ?");
  q->bind_all(room_id, user_id);
  if (!q->step()) return std::nullopt;
  return read_member(*q);
}

std::vector<Membership> SqliteChatStore::members(const std::string& room_id) {
  auto q = db_.cached(std::string("SELECT ") + kMemberColumns +
                      " FROM memberships WHERE room_id = ? ORDER BY since_pos, user_id");
  q->bind(1, room_id);
  std::vector<Membership> out;
  while (q->step()) out.push_back(read_member(*q));
  return out;
}

std::vector<Membership> SqliteChatStore::rooms_of(const std::string& user_id) {
  auto q = db_.cached(std::string("SELECT ") + kMemberColumns +
                      " FROM memberships WHERE user_id = ? ORDER BY since_pos, room_id");
  q->bind(1, user_id);
  std::vector<Membership> out;
  while (q->step()) out.push_back(read_member(*q));
  return out;
}

std::int64_t SqliteChatStore::joined_count(const std::string& room_id) {
  auto q = db_.cached("SELECT COUNT(*) FROM memberships WHERE room_id = ? AND membership = 'join'");
  q->bind(1, room_id);
  q->step();
  return q->int64(0);
}

std::int64_t SqliteChatStore::unread_count(const std::string& room_id, const std::string& user_id) {
  auto q = db_.cached(
      "SELECT r.messages - COALESCE((SELECT messages FROM receipts WHERE room_id = ?1 AND user_id = ?2), 0) "
      "FROM rooms r WHERE r.room_id = ?1");
  q->bind_all(room_id, user_id);
  if (!q->step()) return 0;
  return q->int64(0);
}

std::optional<Receipt> SqliteChatStore::receipt(const std::string& room_id, const std::string& user_id) {
  auto q = db_.cached("SELECT seq, messages FROM receipts WHERE room_id = ? AND user_id = ?");
  q->bind_all(room_id, user_id);
  if (!q->step()) return std::nullopt;
  return Receipt{room_id, user_id, q->int64(0), q->int64(1)};
}

void SqliteChatStore::put_receipt(const Receipt& r) {
  auto q = db_.cached(
      "INSERT INTO receipts (room_id, user_id, seq, messages) VALUES (?,?,?,?) ON CONFLICT(room_id, user_id) "
      "DO UPDATE SET seq = excluded.seq, messages = excluded.messages");
  q->bind_all(r.room_id, r.user_id, r.seq, r.messages).run();
  if (changes_ != nullptr) changes_->receipts.push_back(r);
}

std::int64_t SqliteChatStore::messages_after(const std::string& room_id, std::int64_t seq) {
  auto q = db_.cached("SELECT COUNT(*) FROM events WHERE room_id = ? AND seq > ? AND type = 'message'");
  q->bind_all(room_id, seq);
  q->step();
  return q->int64(0);
}

Event SqliteChatStore::append(const NewEvent& e) {
  if (!transactions_.open()) throw std::logic_error("append outside a transaction");
  std::int64_t seq = 0;
  {
    auto next = db_.cached(
        "UPDATE rooms SET last_seq = last_seq + 1, messages = messages + ? WHERE room_id = ? RETURNING "
        "last_seq");
    next->bind_all(std::int64_t{e.type == "message" ? 1 : 0}, e.room_id);
    if (!next->step()) throw std::logic_error("append to a room that does not exist: " + e.room_id);
    seq = next->int64(0);
  }
  auto insert = db_.cached(
      "INSERT INTO events (room_id, seq, event_id, sender, type, content, ts, txn_id, session_id, target) "
      "VALUES (?,?,?,?,?,?,?,?,?,?)");
  insert
      ->bind_all(e.room_id, seq, e.event_id, e.sender, e.type, e.content, e.ts, e.txn_id, e.session_id,
                 e.target)
      .run();
  Event appended{db_.last_insert_rowid(),
                 e.room_id,
                 seq,
                 e.event_id,
                 e.sender,
                 e.type,
                 e.content,
                 e.ts,
                 e.txn_id,
                 e.session_id,
                 std::nullopt,
                 e.target};
  if (changes_ != nullptr) changes_->events.push_back(appended);
  return appended;
}

std::int64_t SqliteChatStore::max_pos() {
  auto q = db_.cached("SELECT COALESCE(MAX(pos), 0) FROM events");
  q->step();
  return q->int64(0);
}

std::optional<Event> SqliteChatStore::event(const std::string& event_id) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns + " FROM events WHERE event_id = ?");
  q->bind(1, event_id);
  if (!q->step()) return std::nullopt;
  return read_event(*q);
}

std::vector<Event> SqliteChatStore::events_after(const std::string& room_id, std::int64_t after_seq,
                                                 std::size_t limit) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns +
                      " FROM events WHERE room_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?");
  q->bind_all(room_id, after_seq, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (q->step()) out.push_back(read_event(*q));
  return out;
}

std::vector<Event> SqliteChatStore::events_before(const std::string& room_id, std::int64_t before_seq,
                                                  std::size_t limit) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns +
                      " FROM events WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?");
  q->bind_all(room_id, before_seq, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (q->step()) out.push_back(read_event(*q));
  return out;
}

std::vector<Event> SqliteChatStore::events_between(const std::string& room_id, std::int64_t after_pos,
                                                   std::int64_t upto_pos, std::size_t limit) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns +
                      " FROM events WHERE room_id = ? AND pos > ? AND pos <= ? ORDER BY pos ASC LIMIT ?");
  q->bind_all(room_id, after_pos, upto_pos, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (q->step()) out.push_back(read_event(*q));
  return out;
}

std::vector<Event> SqliteChatStore::latest_events(const std::string& room_id, std::int64_t upto_pos,
                                                  std::size_t limit) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns +
                      " FROM events WHERE room_id = ? AND pos <= ? ORDER BY seq DESC LIMIT ?");
  q->bind_all(room_id, upto_pos, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (q->step()) out.push_back(read_event(*q));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<Event> SqliteChatStore::member_events_of(const std::string& user_id, std::int64_t after_pos,
                                                     std::int64_t upto_pos) {
  auto q = db_.cached(std::string("SELECT ") + kEventColumns +
                      " FROM events WHERE target = ? AND pos > ? AND pos <= ? ORDER BY pos ASC");
  q->bind_all(user_id, after_pos, upto_pos);
  std::vector<Event> out;
  while (q->step()) out.push_back(read_event(*q));
  return out;
}

std::optional<std::string> SqliteChatStore::membership_at(const std::string& room_id,
                                                          const std::string& user_id, std::int64_t pos) {
  auto q = db_.cached(
      "SELECT json_extract(content, '$.membership') FROM events "
      "WHERE target = ? AND room_id = ? AND pos <= ? ORDER BY pos DESC LIMIT 1");
  q->bind_all(user_id, room_id, pos);
  if (!q->step()) return std::nullopt;
  return q->optional_text(0);
}

void SqliteChatStore::redact(const std::string& event_id, const std::string& redacted_by) {
  auto q = db_.cached("UPDATE events SET content = '{}', redacted_by = ? WHERE event_id = ?");
  q->bind_all(redacted_by, event_id).run();
}

std::optional<TxnRecord> SqliteChatStore::txn(const std::string& session_id, const std::string& room_id,
                                              const std::string& txn_id) {
  auto q = db_.cached("SELECT event_id, seq FROM txns WHERE session_id = ? AND room_id = ? AND txn_id = ?");
  q->bind_all(session_id, room_id, txn_id);
  if (!q->step()) return std::nullopt;
  return TxnRecord{q->text(0), q->int64(1)};
}

void SqliteChatStore::put_txn(const std::string& session_id, const std::string& room_id,
                              const std::string& txn_id, const TxnRecord& record, std::int64_t created_ms) {
  auto q = db_.cached(
      "INSERT INTO txns (session_id, room_id, txn_id, event_id, seq, created_ms) VALUES (?,?,?,?,?,?)");
  q->bind_all(session_id, room_id, txn_id, record.event_id, record.seq, created_ms).run();
}

std::optional<std::string> SqliteChatStore::meta(const std::string& key) {
  auto q = db_.cached("SELECT value FROM meta WHERE key = ?");
  q->bind(1, key);
  if (!q->step()) return std::nullopt;
  return q->blob(0);
}

void SqliteChatStore::put_meta(const std::string& key, const std::string& value) {
  auto q = db_.cached(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  q->bind(1, key);
  q->bind_blob(2, value.data(), value.size());
  q->run();
}

}  // namespace bartab::chat
