// The BarTAB HTTP client for bots and tools: every call of API.md's Auth, Chat and
// Media sections as a coroutine on Asio. Two keep-alive connections: one for
// `/v1/sync` (so a held long poll never delays a send) and one for everything else.
// Access tokens are renewed by themselves, before they expire and once after a 401:
// people with their refresh token (refreshes are serialised, since rotation is strict),
// bots by presenting their API key again.
//
// A Client is not thread-safe: use it from one thread, the one running its executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bartab/sdk/errors.hpp"
#include "bartab/sdk/types.hpp"

namespace bartab::sdk {

struct ClientOptions {
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Renew the access token this long before it expires (at most a fifth of its lifetime).
  std::chrono::seconds refresh_margin{30};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  // send() without a txn_id, and send_retrying(), try this often on transport errors.
  int send_attempts = 5;
  std::chrono::milliseconds send_retry_delay{std::chrono::milliseconds(200)};
  // Called with every new session (login, refresh): persist it to resume later.
  std::function<void(const Session&)> on_session;
};

class HttpConnection;
struct Incoming;
struct Outgoing;
class AsyncMutex;

class Client {
 public:
  Client(boost::asio::any_io_executor executor, std::string base_url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- auth ---
  boost::asio::awaitable<Session> login(std::string username, std::string password);
  // client_credentials: the bot's user id and API key; kept to renew the token later.
  boost::asio::awaitable<Session> login_bot(std::string user_id, std::string api_key);
  boost::asio::awaitable<Session> register_user(std::string username, std::string password,
                                                std::optional<std::string> invite = std::nullopt);
  boost::asio::awaitable<Profile> me();
  // Ends the session on the server (its refresh token stops working) and forgets it.
  boost::asio::awaitable<void> logout();
  boost::asio::awaitable<BotCredentials> create_bot(std::string username);
  // The caller's bots: {user_id, username, display_name, scopes} as the server sends them.
  boost::asio::awaitable<boost::json::array> bots();
  boost::asio::awaitable<void> delete_bot(std::string bot_user_id);
  // Other sessions are revoked; this one stays.
  boost::asio::awaitable<void> change_password(std::string old_password, std::string new_password);
  // PATCH /v1/auth/me with the fields given ({display_name?, avatar?}).
  boost::asio::awaitable<Profile> update_profile(boost::json::object fields);
  // Public profiles: {user_id, username, display_name, kind}.
  boost::asio::awaitable<boost::json::object> user(std::string user_id);
  boost::asio::awaitable<boost::json::object> user_by_name(std::string username);
  // Administrators: a registration invite, and disabling an account.
  boost::asio::awaitable<std::string> create_invite();
  boost::asio::awaitable<void> disable_user(std::string user_id);
  // Resumes a saved session (renewed with its refresh token when needed).
  void set_session(Session session);
  const std::optional<Session>& session() const { return session_; }
  // The signed-in user's id, "" before any login.
  std::string user_id() const;

  // --- rooms ---
  boost::asio::awaitable<std::string> create_room(std::string name, std::string visibility = "private",
                                                  std::vector<std::string> invite = {});
  boost::asio::awaitable<std::vector<RoomInfo>> rooms();
  boost::asio::awaitable<std::vector<RoomInfo>> public_rooms();
  boost::asio::awaitable<RoomInfo> room(std::string room_id);
  boost::asio::awaitable<void> join(std::string room_id);
  boost::asio::awaitable<void> leave(std::string room_id);
  boost::asio::awaitable<void> invite(std::string room_id, std::string user_id);
  boost::asio::awaitable<std::vector<Member>> members(std::string room_id);
  // Moderation ("kick", "ban", "unban"): needs a higher role than the target.
  boost::asio::awaitable<void> moderate(std::string room_id, std::string action, std::string user_id,
                                        std::optional<std::string> reason = std::nullopt);
  // PUT state/{key} {value}: "name", "topic", "roles".
  boost::asio::awaitable<SendResult> set_state(std::string room_id, std::string key,
                                               boost::json::value value);

  // --- events ---
  // One send with the caller's txn_id (retried once only if a kept-alive connection
  // had been dropped; the same txn_id never appends twice).
  boost::asio::awaitable<SendResult> send(std::string room_id, std::string type, boost::json::object content,
                                          std::string txn_id);
  // A send with a fresh random txn_id, retried on transport errors with that same id.
  boost::asio::awaitable<SendResult> send(std::string room_id, std::string type, boost::json::object content);
  // The caller's txn_id, retried on transport errors (options.send_attempts).
  boost::asio::awaitable<SendResult> send_retrying(std::string room_id, std::string type,
                                                   boost::json::object content, std::string txn_id);
  // dir "b" (newest first) or "f" (oldest first); `from` continues from a page's next.
  boost::asio::awaitable<HistoryPage> history(std::string room_id, std::string dir = "b",
                                              std::optional<std::string> from = std::nullopt, int limit = 50);
  boost::asio::awaitable<Event> event(std::string room_id, std::string event_id);
  boost::asio::awaitable<SendResult> redact(std::string room_id, std::string event_id,
                                            std::optional<std::string> reason = std::nullopt);
  // Moves the read marker; answers the room's unread count.
  boost::asio::awaitable<std::int64_t> receipt(std::string room_id, std::string event_id);
  boost::asio::awaitable<void> typing(std::string room_id, bool typing,
                                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // The long poll, on its own connection. No `since`: the initial snapshot.
  boost::asio::awaitable<SyncResponse> sync(std::optional<std::string> since,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                            std::optional<int> limit = std::nullopt);

  // --- media ---
  boost::asio::awaitable<MediaInfo> upload(std::string bytes, std::string content_type,
                                           std::string name = {});
  // Streams the file from disk in chunks; never holds it in memory.
  boost::asio::awaitable<MediaInfo> upload_file(std::filesystem::path path, std::string content_type,
                                                std::string name = {});
  boost::asio::awaitable<std::string> download(std::string media_id);
  boost::asio::awaitable<void> download_to_file(std::string media_id, std::filesystem::path path);
  // An image no larger than width x height; method "scale" or "crop".
  boost::asio::awaitable<std::string> thumbnail(std::string media_id, int width, int height,
                                                std::string method = "scale");
  // A signed URL that opens the media without a token until it expires.
  boost::asio::awaitable<std::string> media_link(std::string media_id,
                                                 std::optional<int> expires_in = std::nullopt);
  boost::asio::awaitable<void> delete_media(std::string media_id);

  // Aborts the requests in flight (the long poll too): they fail with TransportError.
  void cancel();
  // Aborts only the long poll in flight.
  void cancel_sync();

 private:
  boost::asio::awaitable<Incoming> authed(Outgoing out, HttpConnection& connection);
  // Authed JSON call on the main connection; non-2xx throws ApiError; empty body: null.
  boost::asio::awaitable<boost::json::value> api(boost::beast::http::verb method, std::string target,
                                                 boost::json::value body = nullptr);
  boost::asio::awaitable<Session> token_request(std::string path, boost::json::object body);
  boost::asio::awaitable<void> renew_if_expiring();
  boost::asio::awaitable<void> renew(std::string stale_access_token);
  bool can_renew() const;
  void adopt(Session session);

  boost::asio::any_io_executor executor_;
  ClientOptions options_;
  std::unique_ptr<HttpConnection> main_;
  std::unique_ptr<HttpConnection> sync_;
  std::unique_ptr<AsyncMutex> renewing_;
  std::optional<Session> session_;
  std::optional<BotCredentials> bot_;
};

}  // namespace bartab::sdk
