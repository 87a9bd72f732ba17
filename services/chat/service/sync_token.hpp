// Sync tokens: opaque to clients, recognisable by the server. A token names a stream
// position (everything at or below it was handed out) and the typing serial the
// client has seen, and carries a MAC under a key kept in chat.db, so a token this
// server did not issue is refused at once and positions stay valid across restarts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bartab::chat {

struct SyncPosition {
  std::int64_t pos = 0;
  std::uint64_t typing = 0;  // typing serial; meaningful only within one process run
};

class SyncTokens {
 public:
  // `key`: the MAC key (random, persisted). `epoch`: differs on every process start,
  // so a typing serial from an earlier run reads as 0.
  SyncTokens(std::string key, std::string epoch);

  std::string issue(SyncPosition position) const;
  // nullopt for anything this server did not issue (bad shape or MAC).
  std::optional<SyncPosition> parse(std::string_view token) const;

 private:
  std::string mac(std::string_view body) const;

  std::string key_;
  std::string epoch_;
};

}  // namespace bartab::chat
