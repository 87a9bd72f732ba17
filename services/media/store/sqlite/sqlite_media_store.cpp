#include "services/media/store/sqlite/sqlite_media_store.hpp"

namespace bartab::media {

namespace {

std::optional<std::uint32_t> optional_dimension(core::db::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return static_cast<std::uint32_t>(row.int64(column));
}

void bind_dimension(core::db::Statement& statement, int index, std::optional<std::uint32_t> value) {
  if (value) {
    statement.bind(index, static_cast<std::int64_t>(*value));
    return;
  }
  statement.bind(index, std::nullopt);
}

}  // namespace

void SqliteMediaStore::in_transaction(const std::function<void()>& work) {
  transactions_.run(work);
}

std::optional<MediaRecord> SqliteMediaStore::find(const std::string& media_id) {
  auto q = db_.cached(
      "SELECT media_id, sha256, size, content_type, name, uploader, visibility, width, height, created_ms "
      "FROM media WHERE media_id = ?");
  q->bind(1, media_id);
  if (!q->step()) return std::nullopt;
  MediaRecord r;
  r.media_id = q->text(0);
  r.sha256 = q->text(1);
  r.size = static_cast<std::uint64_t>(q->int64(2));
  r.content_type = q->text(3);
  r.name = q->text(4);
  r.uploader = q->text(5);
  r.is_public = q->text(6) == "public";
  r.width = optional_dimension(*q, 7);
  r.height = optional_dimension(*q, 8);
  r.created_ms = q->int64(9);
  return r;
}

void SqliteMediaStore::insert(const MediaRecord& r) {
  transactions_.run([&] {
    auto q = db_.cached(
        "INSERT INTO media (media_id, sha256, size, content_type, name, uploader, visibility, width, height, "
        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q->bind_all(r.media_id, r.sha256, static_cast<std::int64_t>(r.size), r.content_type, r.name, r.uploader,
                std::string(r.is_public ? "public" : "private"));
    bind_dimension(*q, 8, r.width);
    bind_dimension(*q, 9, r.height);
    q->bind(10, r.created_ms);
    q->run();
    add_usage(r.uploader, static_cast<std::int64_t>(r.size));
  });
}

bool SqliteMediaStore::remove(const std::string& media_id) {
  bool removed = false;
  transactions_.run([&] {
    auto record = find(media_id);
    if (!record) return;
    auto q = db_.cached("DELETE FROM media WHERE media_id = ?");
    q->bind(1, media_id);
    q->run();
    add_usage(record->uploader, -static_cast<std::int64_t>(record->size));
    removed = true;
  });
  return removed;
}

std::uint64_t SqliteMediaStore::references(const std::string& sha256) {
  auto q = db_.cached("SELECT count(*) FROM media WHERE sha256 = ?");
  q->bind(1, sha256);
  q->step();
  return static_cast<std::uint64_t>(q->int64(0));
}

std::uint64_t SqliteMediaStore::usage(const std::string& user_id) {
  auto q = db_.cached("SELECT bytes FROM usage WHERE user_id = ?");
  q->bind(1, user_id);
  if (!q->step()) return 0;
  return static_cast<std::uint64_t>(q->int64(0));
}

void SqliteMediaStore::add_usage(const std::string& user_id, std::int64_t delta) {
  auto q = db_.cached(
      "INSERT INTO usage (user_id, bytes) VALUES (?1, max(?2, 0)) "
      "ON CONFLICT(user_id) DO UPDATE SET bytes = max(usage.bytes + ?2, 0)");
  q->bind(1, user_id);
  q->bind(2, delta);
  q->run();
}

std::optional<std::string> SqliteMediaStore::meta(const std::string& key) {
  auto q = db_.cached("SELECT value FROM meta WHERE key = ?");
  q->bind(1, key);
  if (!q->step()) return std::nullopt;
  return q->blob(0);
}

void SqliteMediaStore::put_meta(const std::string& key, const std::string& value) {
  auto q = db_.cached(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  q->bind(1, key);
  q->bind_blob(2, value.data(), value.size());
  q->run();
}

}  // namespace bartab::media
