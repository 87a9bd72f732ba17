// A small RAII layer over the SQLite C API: connections, prepared statements (cached
// per connection), transactions and numbered migrations. Errors become SqliteError.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace bartab::core::db {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::string>& text);
  Statement& bind_blob(int index, const void* data, std::size_t size);

  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances; true while a row is available.
  bool step();
  // Runs to completion (for statements without rows).
  void run();
  void reset();

  // Columns are 0-based, as in SQLite.
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement on loan: reset when the loan ends, so a statement stopped at a
// row never keeps a read transaction open.
class Query {
 public:
  explicit Query(Statement& statement) : statement_(&statement) {}
  ~Query() {
    if (statement_) statement_->reset();
  }
  Query(Query&& other) noexcept : statement_(other.statement_) { other.statement_ = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Statement* operator->() { return statement_; }
  Statement& operator*() { return *statement_; }

 private:
  Statement* statement_;
};

class Connection {
 public:
  // Opens (creating) a database in WAL mode with foreign keys on and a busy timeout.
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql);
  // A statement prepared once per connection; bind, then step.
  Query cached(const std::string& sql);
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;

  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit().
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// Runs work in a transaction, or inside the one already open through this object
// (nested calls join the outer transaction; a throw rolls the outermost back).
// `already_open`: the caller holds a transaction this object should join.
class TransactionNest {
 public:
  explicit TransactionNest(Connection& connection, bool already_open = false)
      : connection_(connection), depth_(already_open ? 1 : 0) {}
  void run(const std::function<void()>& work);
  bool open() const { return depth_ > 0; }

 private:
  Connection& connection_;
  int depth_;
};

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Applies, in one transaction each, every migration newer than the database's
// recorded version. A database newer than the binary is refused.
void migrate(Connection& connection, const std::vector<Migration>& migrations);

}  // namespace bartab::core::db
