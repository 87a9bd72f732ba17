// Client: requests, token renewal and the typed API calls.
#include "bartab/sdk/client.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "bartab/sdk/async_mutex.hpp"
#include "bartab/sdk/http_connection.hpp"
#include "bartab/sdk/txn_id.hpp"

namespace bartab::sdk {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr const char* kJson = "application/json";

// A path segment or query value, percent-encoded.
std::string encoded(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string room_path(const std::string& room_id) {
  return "/v1/rooms/" + encoded(room_id);
}

bool is_success(unsigned status) {
  return status >= 200 && status < 300;
}

json::value parse_answer(const Incoming& incoming) {
  if (incoming.body.empty()) return nullptr;
  boost::system::error_code ec;
  auto value = json::parse(incoming.body, ec);
  if (ec)
    throw std::runtime_error("the server answered " + std::to_string(incoming.status) + " with invalid JSON");
  return value;
}

void throw_unless_success(const Incoming& incoming) {
  if (!is_success(incoming.status))
    throw api_error_from_response(static_cast<int>(incoming.status), incoming.body);
}

std::vector<RoomInfo> rooms_of(const json::value& answer) {
  std::vector<RoomInfo> rooms;
  for (const auto& room : answer.at("rooms").as_array()) rooms.push_back(room_from_json(room));
  return rooms;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto waiting = timer.async_wait(asio::use_awaitable);
  co_await std::move(waiting);
}

}  // namespace

Client::Client(asio::any_io_executor executor, std::string base_url, ClientOptions options)
    : executor_(executor), options_(std::move(options)), renewing_(std::make_unique<AsyncMutex>(executor)) {
  auto endpoint = parse_base_url(base_url);
  main_ = std::make_unique<HttpConnection>(executor, endpoint, options_.request_timeout,
                                           options_.max_response_bytes);
  sync_ = std::make_unique<HttpConnection>(executor, endpoint, options_.request_timeout,
                                           options_.max_response_bytes);
}

Client::~Client() = default;

void Client::cancel() {
  main_->cancel();
  sync_->cancel();
}

void Client::cancel_sync() {
  sync_->cancel();
}

std::string Client::user_id() const {
  return session_ ? session_->user_id : "";
}

void Client::set_session(Session session) {
  session_ = std::move(session);
}

void Client::adopt(Session session) {
  session_ = std::move(session);
  if (options_.on_session) options_.on_session(*session_);
}

// --- requests and token renewal -------------------------------------------------

bool Client::can_renew() const {
  return bot_.has_value() || (session_ && session_->refresh_token);
}

asio::awaitable<Incoming> Client::authed(Outgoing out, HttpConnection& connection) {
  auto renewing = renew_if_expiring();
  co_await std::move(renewing);
  if (!session_) {
    auto sending = connection.request(out);  // the server answers 401 itself
    co_return co_await std::move(sending);
  }
  auto used = session_->access_token;
  out.authorization = "Bearer " + used;
  auto first_try = connection.request(out);
  auto answer = co_await std::move(first_try);
  if (answer.status != 401 || !can_renew()) co_return answer;
  // Revoked, or expired early by the server's clock: renew once and try again.
  auto renewing_now = renew(used);
  co_await std::move(renewing_now);
  out.authorization = "Bearer " + session_->access_token;
  auto second_try = connection.request(out);
  co_return co_await std::move(second_try);
}

asio::awaitable<void> Client::renew_if_expiring() {
  if (!session_ || !can_renew()) co_return;
  auto margin = std::min<std::chrono::seconds>(options_.refresh_margin, session_->lifetime / 5);
  if (std::chrono::system_clock::now() + margin < session_->expires_at) co_return;
  auto renewing = renew(session_->access_token);
  co_await std::move(renewing);
}

// Serialised: rotation is strict, so a refresh token is presented once. A caller that
// waited while another renewed the same token finds the new one and is done.
asio::awaitable<void> Client::renew(std::string stale_access_token) {
  auto locking = renewing_->lock();
  auto guard = co_await std::move(locking);
  if (session_ && session_->access_token != stale_access_token) co_return;
  json::object body;
  if (bot_) {
    body = {
        {"grant_type", "client_credentials"}, {"client_id", bot_->user_id}, {"client_secret", bot_->api_key}};
  } else if (session_ && session_->refresh_token) {
    body = {{"grant_type", "refresh_token"}, {"refresh_token", *session_->refresh_token}};
  } else {
    throw ApiError(401, "unauthorized", "the session expired and cannot be renewed");
  }
  auto requesting = token_request("/v1/auth/token", std::move(body));
  co_await std::move(requesting);
}

asio::awaitable<Session> Client::token_request(std::string path, json::object body) {
  Outgoing out{
      .method = verb::post, .target = std::move(path), .content_type = kJson, .body = json::serialize(body)};
  auto sending = main_->request(std::move(out));
  auto answer = co_await std::move(sending);
  throw_unless_success(answer);
  adopt(session_from_json(parse_answer(answer)));
  co_return *session_;
}

asio::awaitable<json::value> Client::api(verb method, std::string target, json::value body) {
  Outgoing out{.method = method, .target = std::move(target)};
  if (!body.is_null()) {
    out.content_type = kJson;
    out.body = json::serialize(body);
  }
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return parse_answer(answer);
}

// --- auth -----------------------------------------------------------------------

asio::awaitable<Session> Client::login(std::string username, std::string password) {
  bot_.reset();
  auto requesting = token_request(
      "/v1/auth/login", json::object{{"username", std::move(username)}, {"password", std::move(password)}});
  co_return co_await std::move(requesting);
}

asio::awaitable<Session> Client::login_bot(std::string user_id, std::string api_key) {
  json::object body{{"grant_type", "client_credentials"}, {"client_id", user_id}, {"client_secret", api_key}};
  auto requesting = token_request("/v1/auth/token", std::move(body));
  auto session = co_await std::move(requesting);
  bot_ = BotCredentials{std::move(user_id), std::move(api_key)};
  co_return session;
}

asio::awaitable<Session> Client::register_user(std::string username, std::string password,
                                               std::optional<std::string> invite) {
  bot_.reset();
  json::object body{{"username", std::move(username)}, {"password", std::move(password)}};
  if (invite) body["invite"] = *invite;
  auto requesting = token_request("/v1/auth/register", std::move(body));
  co_return co_await std::move(requesting);
}

asio::awaitable<Profile> Client::me() {
  auto calling = api(verb::get, "/v1/auth/me");
  co_return profile_from_json(co_await std::move(calling));
}

asio::awaitable<void> Client::logout() {
  auto calling = api(verb::post, "/v1/auth/logout");
  co_await std::move(calling);
  session_.reset();
}

asio::awaitable<BotCredentials> Client::create_bot(std::string username) {
  auto calling = api(verb::post, "/v1/auth/bots", json::object{{"username", std::move(username)}});
  auto answer = co_await std::move(calling);
  co_return BotCredentials{std::string(answer.at("user_id").as_string()),
                           std::string(answer.at("api_key").as_string())};
}

asio::awaitable<json::array> Client::bots() {
  auto calling = api(verb::get, "/v1/auth/bots");
  auto answer = co_await std::move(calling);
  co_return answer.at("bots").as_array();
}

asio::awaitable<void> Client::delete_bot(std::string bot_user_id) {
  auto calling = api(verb::delete_, "/v1/auth/bots/" + encoded(bot_user_id));
  co_await std::move(calling);
}

asio::awaitable<void> Client::change_password(std::string old_password, std::string new_password) {
  json::object body{{"old_password", std::move(old_password)}, {"new_password", std::move(new_password)}};
  auto calling = api(verb::post, "/v1/auth/password", std::move(body));
  co_await std::move(calling);
}

asio::awaitable<Profile> Client::update_profile(json::object fields) {
  auto calling = api(verb::patch, "/v1/auth/me", std::move(fields));
  co_return profile_from_json(co_await std::move(calling));
}

asio::awaitable<json::object> Client::user(std::string user_id) {
  auto calling = api(verb::get, "/v1/auth/users/" + encoded(user_id));
  auto answer = co_await std::move(calling);
  co_return answer.as_object();
}

asio::awaitable<json::object> Client::user_by_name(std::string username) {
  auto calling = api(verb::get, "/v1/auth/users?username=" + encoded(username));
  auto answer = co_await std::move(calling);
  co_return answer.as_object();
}

asio::awaitable<std::string> Client::create_invite() {
  auto calling = api(verb::post, "/v1/auth/admin/invites");
  auto answer = co_await std::move(calling);
  co_return std::string(answer.at("invite").as_string());
}

asio::awaitable<void> Client::disable_user(std::string user_id) {
  auto calling = api(verb::post, "/v1/auth/admin/users/" + encoded(user_id) + "/disable");
  co_await std::move(calling);
}

// --- rooms ----------------------------------------------------------------------

asio::awaitable<std::string> Client::create_room(std::string name, std::string visibility,
                                                 std::vector<std::string> invite) {
  json::array invited;
  for (auto& user : invite) invited.emplace_back(user);
  json::object body{
      {"name", std::move(name)}, {"visibility", std::move(visibility)}, {"invite", std::move(invited)}};
  auto calling = api(verb::post, "/v1/rooms", std::move(body));
  auto answer = co_await std::move(calling);
  co_return std::string(answer.at("room_id").as_string());
}

asio::awaitable<std::vector<RoomInfo>> Client::rooms() {
  auto calling = api(verb::get, "/v1/rooms");
  co_return rooms_of(co_await std::move(calling));
}

asio::awaitable<std::vector<RoomInfo>> Client::public_rooms() {
  auto calling = api(verb::get, "/v1/rooms/public");
  co_return rooms_of(co_await std::move(calling));
}

asio::awaitable<RoomInfo> Client::room(std::string room_id) {
  auto calling = api(verb::get, room_path(room_id));
  co_return room_from_json(co_await std::move(calling));
}

asio::awaitable<void> Client::join(std::string room_id) {
  auto calling = api(verb::post, room_path(room_id) + "/join", json::object{});
  co_await std::move(calling);
}

asio::awaitable<void> Client::leave(std::string room_id) {
  auto calling = api(verb::post, room_path(room_id) + "/leave", json::object{});
  co_await std::move(calling);
}

asio::awaitable<void> Client::invite(std::string room_id, std::string user_id) {
  auto calling =
      api(verb::post, room_path(room_id) + "/invite", json::object{{"user_id", std::move(user_id)}});
  co_await std::move(calling);
}

asio::awaitable<std::vector<Member>> Client::members(std::string room_id) {
  auto calling = api(verb::get, room_path(room_id) + "/members");
  auto answer = co_await std::move(calling);
  std::vector<Member> members;
  for (const auto& member : answer.at("members").as_array()) members.push_back(member_from_json(member));
  co_return members;
}

asio::awaitable<void> Client::moderate(std::string room_id, std::string action, std::string user_id,
                                       std::optional<std::string> reason) {
  if (action != "kick" && action != "ban" && action != "unban")
    throw std::invalid_argument("moderate: action must be kick, ban or unban");
  json::object body{{"user_id", std::move(user_id)}};
  if (reason) body["reason"] = *reason;
  auto calling = api(verb::post, room_path(room_id) + "/" + action, std::move(body));
  co_await std::move(calling);
}

asio::awaitable<SendResult> Client::set_state(std::string room_id, std::string key, json::value value) {
  json::object body{{"value", std::move(value)}};
  auto calling = api(verb::put, room_path(room_id) + "/state/" + encoded(key), std::move(body));
  co_return send_result_from_json(co_await std::move(calling));
}

// --- events ---------------------------------------------------------------------

asio::awaitable<SendResult> Client::send(std::string room_id, std::string type, json::object content,
                                         std::string txn_id) {
  json::object body{{"type", std::move(type)}, {"content", std::move(content)}};
  auto calling = api(verb::put, room_path(room_id) + "/send/" + encoded(txn_id), std::move(body));
  co_return send_result_from_json(co_await std::move(calling));
}

asio::awaitable<SendResult> Client::send(std::string room_id, std::string type, json::object content) {
  auto sending = send_retrying(std::move(room_id), std::move(type), std::move(content), random_txn_id());
  co_return co_await std::move(sending);
}

asio::awaitable<SendResult> Client::send_retrying(std::string room_id, std::string type, json::object content,
                                                  std::string txn_id) {
  for (int attempt = 1;; ++attempt) {
    bool failed = false;
    try {
      auto sending = send(room_id, type, content, txn_id);
      co_return co_await std::move(sending);
    } catch (const TransportError&) {
      if (attempt >= options_.send_attempts) throw;
      failed = true;
    }
    if (failed) {
      auto waiting = sleep_for(options_.send_retry_delay * attempt);
      co_await std::move(waiting);
    }
  }
}

asio::awaitable<HistoryPage> Client::history(std::string room_id, std::string dir,
                                             std::optional<std::string> from, int limit) {
  auto target = room_path(room_id) + "/events?dir=" + encoded(dir) + "&limit=" + std::to_string(limit);
  if (from) target += "&from=" + encoded(*from);
  auto calling = api(verb::get, std::move(target));
  co_return history_from_json(co_await std::move(calling));
}

asio::awaitable<Event> Client::event(std::string room_id, std::string event_id) {
  auto calling = api(verb::get, room_path(room_id) + "/events/" + encoded(event_id));
  co_return event_from_json(co_await std::move(calling));
}

asio::awaitable<SendResult> Client::redact(std::string room_id, std::string event_id,
                                           std::optional<std::string> reason) {
  json::object body;
  if (reason) body["reason"] = *reason;
  auto calling =
      api(verb::post, room_path(room_id) + "/events/" + encoded(event_id) + "/redact", std::move(body));
  co_return send_result_from_json(co_await std::move(calling));
}

asio::awaitable<std::int64_t> Client::receipt(std::string room_id, std::string event_id) {
  auto calling =
      api(verb::post, room_path(room_id) + "/receipt", json::object{{"event_id", std::move(event_id)}});
  auto answer = co_await std::move(calling);
  const auto* unread = answer.is_object() ? answer.as_object().if_contains("unread") : nullptr;
  co_return unread != nullptr && unread->is_int64() ? unread->as_int64() : 0;
}

asio::awaitable<void> Client::typing(std::string room_id, bool typing,
                                     std::optional<std::chrono::milliseconds> timeout) {
  json::object body{{"typing", typing}};
  if (timeout) body["timeout_ms"] = timeout->count();
  auto calling = api(verb::put, room_path(room_id) + "/typing", std::move(body));
  co_await std::move(calling);
}

asio::awaitable<SyncResponse> Client::sync(std::optional<std::string> since,
                                           std::chrono::milliseconds timeout, std::optional<int> limit) {
  auto target = "/v1/sync?timeout=" + std::to_string(timeout.count());
  if (since) target += "&since=" + encoded(*since);
  if (limit) target += "&limit=" + std::to_string(*limit);
  // The server holds the poll up to `timeout`: the deadline is on top of that.
  Outgoing out{
      .method = verb::get, .target = std::move(target), .timeout = timeout + options_.request_timeout};
  auto calling = authed(std::move(out), *sync_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return sync_from_json(parse_answer(answer));
}

// --- media ----------------------------------------------------------------------

namespace {

std::string upload_target(const std::string& name) {
  return name.empty() ? "/v1/media" : "/v1/media?name=" + encoded(name);
}

}  // namespace

asio::awaitable<MediaInfo> Client::upload(std::string bytes, std::string content_type, std::string name) {
  Outgoing out{.method = verb::post,
               .target = upload_target(name),
               .content_type = std::move(content_type),
               .body = std::move(bytes)};
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return media_from_json(parse_answer(answer));
}

asio::awaitable<MediaInfo> Client::upload_file(std::filesystem::path path, std::string content_type,
                                               std::string name) {
  if (name.empty()) name = path.filename().string();
  Outgoing out{.method = verb::post,
               .target = upload_target(name),
               .content_type = std::move(content_type),
               .body_file = std::move(path)};
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return media_from_json(parse_answer(answer));
}

asio::awaitable<std::string> Client::download(std::string media_id) {
  Outgoing out{.method = verb::get, .target = "/v1/media/" + encoded(media_id)};
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return std::move(answer.body);
}

asio::awaitable<std::string> Client::thumbnail(std::string media_id, int width, int height,
                                               std::string method) {
  Outgoing out{.method = verb::get,
               .target = "/v1/media/" + encoded(media_id) + "/thumbnail?width=" + std::to_string(width) +
                         "&height=" + std::to_string(height) + "&method=" + encoded(method)};
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
  co_return std::move(answer.body);
}

asio::awaitable<std::string> Client::media_link(std::string media_id, std::optional<int> expires_in) {
  json::object body;
  if (expires_in) body["expires_in"] = *expires_in;
  auto calling = api(verb::post, "/v1/media/" + encoded(media_id) + "/link", std::move(body));
  auto answer = co_await std::move(calling);
  co_return std::string(answer.at("url").as_string());
}

asio::awaitable<void> Client::delete_media(std::string media_id) {
  auto calling = api(verb::delete_, "/v1/media/" + encoded(media_id));
  co_await std::move(calling);
}

asio::awaitable<void> Client::download_to_file(std::string media_id, std::filesystem::path path) {
  Outgoing out{.method = verb::get, .target = "/v1/media/" + encoded(media_id), .save_to = std::move(path)};
  auto calling = authed(std::move(out), *main_);
  auto answer = co_await std::move(calling);
  throw_unless_success(answer);
}

}  // namespace bartab::sdk
