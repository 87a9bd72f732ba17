// ChatStore on one SQLite connection (owned by the chat database's thread).
#pragma once

#include <vector>

#include "core/db/sqlite.hpp"
#include "services/chat/store/chat_store.hpp"

namespace bartab::chat {

const std::vector<core::db::Migration>& sqlite_migrations();

class SqliteChatStore final : public ChatStore {
 public:
  // `in_transaction`: the caller already holds a transaction (a group-commit batch),
  // which the store's own in_transaction calls then join. `changes`, when given,
  // records what appends and receipts this store makes.
  explicit SqliteChatStore(core::db::Connection& connection, bool in_transaction = false,
                           Changes* changes = nullptr)
      : db_(connection), transactions_(connection, in_transaction), changes_(changes) {}

  void in_transaction(const std::function<void()>& work) override;

  void insert_room(const Room& room) override;
  std::optional<Room> room(const std::string& room_id) override;
  std::vector<Room> public_rooms(std::size_t limit) override;
  void update_room(const std::string& room_id, const std::string& name, const std::string& topic) override;

  void put_membership(const Membership& m) override;
  std::optional<Membership> membership(const std::string& room_id, const std::string& user_id) override;
  std::vector<Membership> members(const std::string& room_id) override;
  std::vector<Membership> rooms_of(const std::string& user_id) override;
  std::int64_t joined_count(const std::string& room_id) override;
  std::int64_t unread_count(const std::string& room_id, const std::string& user_id) override;
  std::optional<Receipt> receipt(const std::string& room_id, const std::string& user_id) override;
  void put_receipt(const Receipt& receipt) override;
  std::int64_t messages_after(const std::string& room_id, std::int64_t seq) override;

  Event append(const NewEvent& e) override;
  std::int64_t max_pos() override;
  std::optional<Event> event(const std::string& event_id) override;
  std::vector<Event> events_after(const std::string& room_id, std::int64_t after_seq,
                                  std::size_t limit) override;
  std::vector<Event> events_before(const std::string& room_id, std::int64_t before_seq,
                                   std::size_t limit) override;
  std::vector<Event> events_between(const std::string& room_id, std::int64_t after_pos, std::int64_t upto_pos,
                                    std::size_t limit) override;
  std::vector<Event> latest_events(const std::string& room_id, std::int64_t upto_pos,
                                   std::size_t limit) override;
  std::vector<Event> member_events_of(const std::string& user_id, std::int64_t after_pos,
                                      std::int64_t upto_pos) override;
  std::optional<std::string> membership_at(const std::string& room_id, const std::string& user_id,
                                           std::int64_t pos) override;
  void redact(const std::string& event_id, const std::string& redacted_by) override;

  std::optional<TxnRecord> txn(const std::string& session_id, const std::string& room_id,
                               const std::string& txn_id) override;
  void put_txn(const std::string& session_id, const std::string& room_id, const std::string& txn_id,
               const TxnRecord& record, std::int64_t created_ms) override;

  std::optional<std::string> meta(const std::string& key) override;
  void put_meta(const std::string& key, const std::string& value) override;

 private:
  core::db::Connection& db_;
  core::db::TransactionNest transactions_;
  Changes* changes_;
};

}  // namespace bartab::chat
