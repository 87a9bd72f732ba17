// MediaStore on one SQLite connection (owned by the media database's thread).
#pragma once

#include <vector>

#include "core/db/sqlite.hpp"
#include "services/media/store/media_store.hpp"

namespace bartab::media {

const std::vector<core::db::Migration>& sqlite_migrations();

class SqliteMediaStore final : public MediaStore {
 public:
  // `in_transaction`: the caller already holds a transaction, which in_transaction
  // calls then join.
  explicit SqliteMediaStore(core::db::Connection& connection, bool in_transaction = false)
      : db_(connection), transactions_(connection, in_transaction) {}

  void in_transaction(const std::function<void()>& work) override;
  std::optional<MediaRecord> find(const std::string& media_id) override;
  void insert(const MediaRecord& record) override;
  bool remove(const std::string& media_id) override;
  std::uint64_t references(const std::string& sha256) override;
  std::uint64_t usage(const std::string& user_id) override;
  std::optional<std::string> meta(const std::string& key) override;
  void put_meta(const std::string& key, const std::string& value) override;

 private:
  void add_usage(const std::string& user_id, std::int64_t delta);

  core::db::Connection& db_;
  core::db::TransactionNest transactions_;
};

}  // namespace bartab::media
