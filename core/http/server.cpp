#include "core/http/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <cassert>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <list>

#include "core/coro.hpp"
#include "core/errors.hpp"
#include "core/http/request_id.hpp"
#include "core/logging.hpp"

namespace bartab::core::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Logged (never sent) for a request whose client stalled or left before it was whole,
// after nginx's convention.
constexpr unsigned kClientClosedRequest = 499;

// The Date header, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[40] = {};
  auto now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return text;
}

StringResponse error_response(ErrorCode code, std::string_view message) {
  StringResponse response{static_cast<bhttp::status>(to_status(code)), 11};
  response.set(bhttp::field::content_type, "application/json; charset=utf-8");
  response.body() = error_body(code, message);
  return response;
}

Response from_api_error(const ApiError& error) {
  auto response = error_response(error.code(), error.what());
  for (const auto& [name, value] : error.headers()) response.set(name, value);
  if (error.code() == ErrorCode::unauthorized && response[bhttp::field::www_authenticate].empty()) {
    response.set(bhttp::field::www_authenticate, "Bearer realm=\"bartab\"");
  }
  return response;
}

// HTTP/1.1 status line, header fields and (unless answering HEAD) the body.
void serialize(const StringResponse& message, bool with_body, std::string& out) {
  out.clear();
  auto status = message.result_int();
  out += "HTTP/1.1 ";
  out += static_cast<char>('0' + status / 100);
  out += static_cast<char>('0' + status / 10 % 10);
  out += static_cast<char>('0' + status % 10);
  out += ' ';
  out += message.reason();
  out += "\r\n";
  for (const auto& field : message) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
  if (with_body) out += message.body();
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::uint64_t body_bytes(Response& response) {
  auto length = head(response)[bhttp::field::content_length];
  std::uint64_t n = 0;
  for (char c : length) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

}  // namespace

struct Server::Worker {
  // Declared before the context so it outlives it: destroying the context destroys
  // suspended sessions, which unlink themselves from this list.
  std::list<Connection*> connections;
  asio::io_context context{1};
  std::thread thread;
};

struct Server::Acceptor {
  explicit Acceptor(asio::io_context& ctx) : acceptor(ctx) {}
  tcp::acceptor acceptor;
};

// A connection's state visible to the drain: an idle connection (waiting for its next
// request) is closed at once; a busy one finishes its request and then closes.
struct Server::Connection {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;
};

// One client connection: reads requests one after another and answers each.
class Server::Session {
 public:
  Session(Server& server, Worker& worker, tcp::socket socket)
      : server_(server), worker_(worker), stream_(std::move(socket)) {
    boost::system::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    connection_.stream = &stream_;
    position_ = worker_.connections.insert(worker_.connections.end(), &connection_);
    server_.metrics_.connection_opened();
  }

  ~Session() {
    worker_.connections.erase(position_);
    server_.metrics_.connection_closed();
  }

  asio::awaitable<void> run() {
    while (!server_.draining()) {
      connection_.idle = true;
      if (!co_await wait_for_request()) break;
      connection_.idle = false;
      if (!co_await serve_one()) break;
    }
    if (linger_) co_await linger();
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

 private:
  // Waits (up to the idle timeout) until the next request's first bytes arrive. They
  // land in a small inline array, so an idle keep-alive connection (or one held by a
  // long poll) owns no heap read buffer.
  asio::awaitable<bool> wait_for_request() {
    if (buffer_.size() > 0) co_return true;
    stream_.expires_after(server_.options_.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(first_bytes_), use_tuple);
    if (ec) co_return false;
    buffer_.commit(asio::buffer_copy(buffer_.prepare(n), asio::buffer(first_bytes_, n)));
    co_return true;
  }

  // Before a handler that may hold the request for a long time (a long poll), give
  // back what the request's bytes and the last response needed.
  void release_buffers() {
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    if (out_.capacity() > kKeptResponseBytes) {
      out_.clear();
      out_.shrink_to_fit();
    }
  }

  // Reads and answers one request. Returns whether the connection stays open.
  asio::awaitable<bool> serve_one() {
    auto started = std::chrono::steady_clock::now();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(server_.options_.max_header_bytes));
    // The body limit depends on the route, known only after the head: lift Beast's
    // default here so an oversized Content-Length is judged (413) after routing.
    parser.body_limit(boost::none);
    stream_.expires_after(server_.options_.header_timeout);
    auto [ec, unused] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    if (ec) co_return co_await fail_head(ec, started);

    const auto& head_msg = parser.get();
    request_id_ =
        valid_request_id(head_msg["X-Request-Id"]) ? std::string(head_msg["X-Request-Id"]) : new_request_id();
    origin_ = std::string(head_msg[bhttp::field::origin]);
    method_ = std::string(head_msg.method_string());
    is_head_ = head_msg.method() == bhttp::verb::head;
    bool has_body = parser.content_length().value_or(0) > 0 || parser.chunked();
    server_.metrics_.request_started();
    body_consumed_ = !has_body;
    auto response = co_await dispatch(parser, has_body);
    server_.metrics_.request_finished();
    // Answered without reading the body the client is sending (refused early).
    if (!body_consumed_ && !abandoned_) {
      keep_alive_ = false;
      linger_ = true;
    }
    co_return co_await finish(std::move(response), started);
  }

  // Routes the request, reads its body within the route's limit, runs the handler.
  asio::awaitable<Response> dispatch(bhttp::request_parser<bhttp::string_body>& parser, bool has_body) {
    const auto& head_msg = parser.get();
    auto target = head_msg.target();
    slot_ = server_.router_.size();
    route_name_ = "unmatched";
    keep_alive_ = head_msg.keep_alive();
    if (target.empty() || target.front() != '/') {
      keep_alive_ = keep_alive_ && !has_body;
      co_return error_response(ErrorCode::bad_request, "the request target must be a path");
    }
    if (head_msg.version() != 11 && head_msg.version() != 10) {
      keep_alive_ = false;
      co_return error_response(ErrorCode::bad_request, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    }
    bool preflight = head_msg.method() == bhttp::verb::options;
    auto match = server_.router_.match(preflight ? bhttp::verb::get : head_msg.method(), path_of(target));
    if (match.kind == RouteMatch::Kind::not_found) {
      keep_alive_ = keep_alive_ && !has_body;
      co_return error_response(ErrorCode::not_found, "no route for " + std::string(path_of(target)));
    }
    if (preflight) {
      keep_alive_ = keep_alive_ && !has_body;
      co_return options_response(head_msg, match.allowed);
    }
    if (match.kind == RouteMatch::Kind::method_not_allowed) {
      keep_alive_ = keep_alive_ && !has_body;
      auto response = error_response(ErrorCode::method_not_allowed,
                                     method_ + " is not allowed on " + std::string(path_of(target)));
      response.set(bhttp::field::allow, allow_header(match.allowed));
      co_return response;
    }

    slot_ = match.route->id;
    route_name_ = match.route->pattern;
    auto limit =
        match.route->options.body_limit ? match.route->options.body_limit : server_.options_.max_body_bytes;
    if (parser.content_length().value_or(0) > limit) {
      keep_alive_ = false;
      co_return error_response(ErrorCode::payload_too_large,
                               "the request body is larger than " + std::to_string(limit) + " bytes");
    }
    if (match.route->options.stream_body)
      co_return co_await invoke_streamed(*match.route, match, parser, limit);
    if (has_body && !parser.is_done()) {
      if (auto failure = co_await read_body(parser, limit)) co_return std::move(*failure);
    }

    Request request{parser.release(), std::move(match.params), request_id_, remote_, server_.options_.json};
    release_buffers();
    co_return co_await invoke(*match.route, request);
  }

  // A route that reads its own body: the handler gets the head now and the body
  // through Request::body_stream. Whatever it leaves unread ends the connection.
  asio::awaitable<Response> invoke_streamed(const Route& route, RouteMatch& match,
                                            bhttp::request_parser<bhttp::string_body>& parser,
                                            std::size_t limit);

  // Reads the body; returns an error response when it cannot be read.
  asio::awaitable<std::optional<Response>> read_body(bhttp::request_parser<bhttp::string_body>& parser,
                                                     std::size_t limit) {
    if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      stream_.expires_after(server_.options_.body_timeout);
      auto [ec, n] = co_await bhttp::async_write(stream_, go_on, use_tuple);
      if (ec) {
        keep_alive_ = false;
        co_return error_response(ErrorCode::bad_request, "connection failed");
      }
    }
    parser.body_limit(limit);
    stream_.expires_after(server_.options_.body_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
    if (!ec) {
      body_consumed_ = true;
      co_return std::nullopt;
    }
    keep_alive_ = false;
    if (ec == beast::error::timeout || ec == asio::error::eof || ec == bhttp::error::partial_message ||
        ec == asio::error::connection_reset) {
      // The client stalled or went away: nobody is left to read an answer.
      abandoned_ = true;
      co_return error_response(ErrorCode::bad_request, "the request body did not arrive");
    }
    if (ec == bhttp::error::body_limit) {
      co_return error_response(ErrorCode::payload_too_large,
                               "the request body is larger than " + std::to_string(limit) + " bytes");
    }
    co_return error_response(ErrorCode::bad_request, "the request body could not be read: " + ec.message());
  }

  asio::awaitable<Response> invoke(const Route& route, Request& request) {
    try {
      co_return co_await route.handler(request);
    } catch (const ApiError& error) {
      co_return from_api_error(error);
    } catch (const std::exception& e) {
      spdlog::error("request {} {} failed: {}", request_id_, route.pattern, e.what());
    }
    co_return error_response(ErrorCode::internal, "internal error; request id " + request_id_);
  }

  // OPTIONS: a CORS preflight from an allowed origin gets the Access-Control headers;
  // any other OPTIONS gets the route's Allow list.
  Response options_response(const bhttp::request_header<>& head_msg,
                            const std::vector<bhttp::verb>& allowed) {
    auto requested = head_msg[bhttp::field::access_control_request_method];
    if (requested.empty()) {
      StringResponse response{bhttp::status::no_content, 11};
      response.set(bhttp::field::allow, allow_header(allowed));
      return response;
    }
    auto origin = server_.cors_.allow_origin(origin_);
    if (!origin) {
      return error_response(ErrorCode::forbidden, "cross-origin requests from this origin are not allowed");
    }
    StringResponse response{bhttp::status::no_content, 11};
    response.set(bhttp::field::access_control_allow_methods, allow_header(allowed));
    response.set(bhttp::field::access_control_allow_headers,
                 Cors::allow_headers(head_msg[bhttp::field::access_control_request_headers]));
    response.set(bhttp::field::access_control_max_age, Cors::kMaxAgeSeconds);
    response.set(bhttp::field::allow, allow_header(allowed));
    return response;
  }

  void decorate(Response& response) {
    auto& h = head(response);
    h.set("X-Request-Id", request_id_);
    h.set(bhttp::field::date, http_date());
    if (auto allowed = server_.cors_.allow_origin(origin_)) {
      h.set(bhttp::field::access_control_allow_origin, *allowed);
      h.set(bhttp::field::access_control_expose_headers, Cors::kExposeHeaders);
    }
    // With an origin list the answer depends on Origin, present or not.
    if (server_.cors_.varies_by_origin()) h.set(bhttp::field::vary, "Origin");
    bool keep = keep_alive_ && !server_.draining();
    std::visit(
        [keep](auto& m) {
          m.keep_alive(keep);
          m.prepare_payload();
        },
        response);
    if (auto* file = std::get_if<FileResponse>(&response)) file->content_length(file->length);
  }

  // Sends the response, records it, and says whether the connection stays open.
  asio::awaitable<bool> finish(Response response, std::chrono::steady_clock::time_point started) {
    decorate(response);
    auto status = head(response).result_int();
    bool keep = std::visit([](auto& m) { return m.keep_alive(); }, response);
    boost::system::error_code ec = asio::error::connection_aborted;
    if (abandoned_) {
      status = kClientClosedRequest;
    } else {
      stream_.expires_after(server_.options_.body_timeout);
      ec = co_await std::visit([this](auto& message) { return write(message); }, response);
    }
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    server_.metrics_.record(slot_, status, micros);
    log_access(AccessRecord{method_, route_name_, status, is_head_ ? 0 : body_bytes(response),
                            static_cast<std::uint64_t>(micros.count()), request_id_});
    co_return !ec && keep;
  }

  // In-memory bodies go out as one buffer in one write: head and body serialised into
  // a per-connection string reused across requests (Beast's serializer walks buffer
  // sequences through several calls; this is a third of a small request's CPU).
  asio::awaitable<boost::system::error_code> write(StringResponse& message) {
    serialize(message, !is_head_, out_);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), use_tuple);
    co_return ec;
  }

  // A file body: the head from memory, then the bytes with sendfile(2) straight from
  // the page cache to the socket, waiting for the socket to drain between calls.
  asio::awaitable<boost::system::error_code> write(FileResponse& message) {
    StringResponse head{message.result(), 11};
    static_cast<bhttp::response_header<>&>(head) = message.base();
    serialize(head, false, out_);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), use_tuple);
    if (ec || is_head_) co_return ec;
    co_return co_await send_file(message.file.get(), message.offset, message.length);
  }

  asio::awaitable<boost::system::error_code> send_file(int fd, std::uint64_t offset, std::uint64_t length) {
    auto& socket = stream_.socket();
    socket.native_non_blocking(true);
    auto position = static_cast<off_t>(offset);
    while (length > 0) {
      auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, kSendfileChunk));
      auto sent = ::sendfile(socket.native_handle(), fd, &position, chunk);
      if (sent > 0) {
        length -= static_cast<std::uint64_t>(sent);
        continue;
      }
      if (sent == 0) co_return asio::error::eof;  // the file shrank under us
      if (errno == EINTR) continue;
      if (errno != EAGAIN) co_return boost::system::error_code(errno, boost::system::system_category());
      if (auto ec = co_await wait_writable()) co_return ec;
    }
    co_return boost::system::error_code{};
  }

  // Waits until the socket takes more bytes, within the write timeout (a raw socket
  // wait is outside tcp_stream's timer, so a watchdog cancels it).
  asio::awaitable<boost::system::error_code> wait_writable() {
    asio::steady_timer watchdog(stream_.get_executor(), server_.options_.body_timeout);
    auto& socket = stream_.socket();
    watchdog.async_wait([&socket](const boost::system::error_code& ec) {
      if (!ec) socket.cancel();
    });
    auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, use_tuple);
    watchdog.cancel();
    co_return ec;
  }

  // After answering a request whose body was left unread (an upload refused early),
  // read and drop what the client still sends for a short while before closing:
  // closing with unread bytes makes the kernel send a reset, and the client would
  // lose the answer it has not read yet.
  asio::awaitable<void> linger() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    while (std::chrono::steady_clock::now() < deadline) {
      stream_.expires_at(deadline);
      auto [read_ec, n] = co_await stream_.async_read_some(asio::buffer(first_bytes_), use_tuple);
      if (read_ec) break;
    }
  }

  // The head could not be read: answer what deserves an answer, then close.
  asio::awaitable<bool> fail_head(boost::system::error_code ec,
                                  std::chrono::steady_clock::time_point started) {
    if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      co_return false;
    }
    request_id_ = new_request_id();
    method_ = "-";
    slot_ = server_.router_.size();
    route_name_ = "unmatched";
    keep_alive_ = false;
    is_head_ = false;
    if (ec == bhttp::error::body_limit) {
      co_return co_await finish(error_response(ErrorCode::payload_too_large, "the request body is too large"),
                                started);
    }
    if (ec == bhttp::error::header_limit) {
      co_return co_await finish(
          error_response(ErrorCode::request_header_fields_too_large,
                         "the request head is larger than " +
                             std::to_string(server_.options_.max_header_bytes) + " bytes"),
          started);
    }
    co_return co_await finish(
        error_response(ErrorCode::bad_request, "malformed HTTP request: " + ec.message()), started);
  }

  class StreamedBody;

  static constexpr std::size_t kKeptResponseBytes = 16 * 1024;
  static constexpr std::size_t kSendfileChunk = 1 << 20;
  static constexpr auto kLingerTime = std::chrono::seconds(2);
  std::array<char, 512> first_bytes_;
  std::string out_;  // serialised response, reused up to kKeptResponseBytes
  Server& server_;
  Worker& worker_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  boost::asio::ip::address remote_;
  Connection connection_;
  std::list<Connection*>::iterator position_;

  // The request being served.
  std::string request_id_;
  std::string origin_;
  std::string method_;
  std::string route_name_;
  std::size_t slot_ = 0;
  bool keep_alive_ = false;
  bool is_head_ = false;
  bool abandoned_ = false;      // the client stalled or left mid-request: close without answering
  bool body_consumed_ = false;  // the request's body (if any) was read to its end
  bool linger_ = false;         // a request body was left unread: drain a little before closing
};

// Request::body_stream for routes that read their own body. The parser takes over the
// head read so far and fills the handler's buffer directly.
class Server::Session::StreamedBody final : public BodyStream {
 public:
  StreamedBody(Session& session, bhttp::request_parser<bhttp::string_body>&& head_parser, std::size_t limit)
      : session_(session), parser_(std::move(head_parser)) {
    parser_.body_limit(limit);
    limit_ = limit;
  }

  const bhttp::request_header<>& head() const { return parser_.get().base(); }
  bool complete() const { return parser_.is_done(); }

  std::optional<std::uint64_t> declared_length() const override {
    auto length = parser_.content_length();
    if (!length) return std::nullopt;
    return *length;
  }

  asio::awaitable<std::size_t> read_some(std::span<char> into) override {
    assert(!into.empty() && "read_some needs room to read into");
    if (parser_.is_done()) co_return 0;
    if (failed_) throw ApiError(ErrorCode::bad_request, "the request body could not be read");
    if (!continued_) co_await send_continue();
    for (;;) {
      auto& body = parser_.get().body();
      body.data = into.data();
      body.size = into.size();
      body.more = true;
      session_.stream_.expires_after(session_.server_.options_.body_timeout);
      auto [ec, n] = co_await bhttp::async_read_some(session_.stream_, session_.buffer_, parser_, use_tuple);
      auto got = into.size() - body.size;
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) fail(ec);
      if (got > 0 || parser_.is_done()) co_return got;
    }
  }

 private:
  asio::awaitable<void> send_continue() {
    continued_ = true;
    if (!beast::iequals(parser_.get()[bhttp::field::expect], "100-continue")) co_return;
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
    session_.stream_.expires_after(session_.server_.options_.body_timeout);
    auto [ec, n] = co_await bhttp::async_write(session_.stream_, go_on, use_tuple);
    if (ec) fail(ec);
  }

  [[noreturn]] void fail(boost::system::error_code ec) {
    failed_ = true;
    if (ec == bhttp::error::body_limit) {
      throw ApiError(ErrorCode::payload_too_large,
                     "the request body is larger than " + std::to_string(limit_) + " bytes");
    }
    if (ec == beast::error::timeout || ec == asio::error::eof || ec == bhttp::error::partial_message ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
      session_.abandoned_ = true;  // nobody is left to read an answer
      throw ApiError(ErrorCode::bad_request, "the request body did not arrive");
    }
    throw ApiError(ErrorCode::bad_request, "the request body could not be read: " + ec.message());
  }

  Session& session_;
  bhttp::request_parser<bhttp::buffer_body> parser_;
  std::size_t limit_ = 0;
  bool continued_ = false;
  bool failed_ = false;
};

asio::awaitable<Response> Server::Session::invoke_streamed(const Route& route, RouteMatch& match,
                                                           bhttp::request_parser<bhttp::string_body>& parser,
                                                           std::size_t limit) {
  StreamedBody body(*this, std::move(parser), limit);
  Request request{{}, std::move(match.params), request_id_, remote_, server_.options_.json};
  static_cast<bhttp::request_header<>&>(request.message) = body.head();
  request.body_stream = &body;
  auto response = co_await invoke(route, request);
  body_consumed_ = body.complete();
  co_return response;
}

Server::Server(ServerOptions options, const Router& router, HttpMetrics& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics), cors_(options_.cors_origins) {
  // sendfile(2) has no MSG_NOSIGNAL: a client that hangs up mid-download would end
  // the process with SIGPIPE. Socket errors arrive as EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  unsigned n = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
  acceptor_ = std::make_unique<Acceptor>(workers_.front()->context);
}

Server::~Server() = default;

asio::io_context& Server::main_context() {
  return workers_.front()->context;
}

void Server::on_drain(std::function<void()> hook) {
  drain_hooks_.push_back(std::move(hook));
}

void Server::listen() {
  auto address = asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host);
  tcp::endpoint endpoint{address, options_.port};
  auto& acceptor = acceptor_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
  if (options_.handle_signals) signals_ = std::make_unique<asio::signal_set>(main_context(), SIGINT, SIGTERM);
}

void Server::run() {
  metrics_.configure(metric_labels(router_));
  auto& main = main_context();
  std::size_t next = 0;
  co_spawn(
      main,
      [this, &next]() -> asio::awaitable<void> {
        auto& acceptor = acceptor_->acceptor;
        while (acceptor.is_open()) {
          auto& worker = *workers_[next++ % workers_.size()];
          auto [ec, socket] = co_await acceptor.async_accept(worker.context, use_tuple);
          if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
          if (ec) {
            // Out of descriptors and the like: back off instead of spinning.
            spdlog::warn("accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), 50ms);
            co_await pause.async_wait(use_tuple);
            continue;
          }
          auto session = std::make_shared<Session>(*this, worker, std::move(socket));
          co_spawn(
              worker.context, [session]() { return session->run(); }, log_exceptions("http session"));
        }
      },
      log_exceptions("http acceptor"));

  if (signals_) {
    signals_->async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      spdlog::info("received signal {}, draining", signo);
      begin_drain();
      // A second signal stops at once.
      signals_->async_wait([this](const boost::system::error_code& e, int) {
        if (e) return;
        for (auto& w : workers_) w->context.stop();
      });
    });
  }

  for (std::size_t i = 1; i < workers_.size(); ++i) {
    auto* worker = workers_[i].get();
    worker->thread = std::thread([worker] {
      auto guard = asio::make_work_guard(worker->context);
      worker->context.run();
    });
  }
  {
    auto guard = asio::make_work_guard(main);
    main.run();
  }
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    workers_[i]->context.stop();
    if (workers_[i]->thread.joinable()) workers_[i]->thread.join();
  }
}

void Server::request_stop() {
  asio::post(main_context(), [this] { begin_drain(); });
}

void Server::begin_drain() {
  if (draining_.exchange(true)) return;
  boost::system::error_code ec;
  acceptor_->acceptor.close(ec);
  for (auto& hook : drain_hooks_) hook();
  for (auto& worker : workers_) {
    asio::post(worker->context, [w = worker.get()] {
      for (auto* connection : w->connections) {
        if (connection->idle) connection->stream->cancel();
      }
    });
  }
  finish_when_drained(std::chrono::steady_clock::now() + options_.shutdown_timeout);
}

void Server::finish_when_drained(std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(main_context(), 10ms);
  timer->async_wait([this, timer, deadline](const boost::system::error_code&) {
    bool done = metrics_.open_connections() == 0;
    if (!done && std::chrono::steady_clock::now() < deadline) {
      finish_when_drained(deadline);
      return;
    }
    if (!done) spdlog::warn("shutdown timeout: closing {} connections", metrics_.open_connections());
    for (auto& w : workers_) w->context.stop();
  });
}

std::vector<RouteLabel> metric_labels(const Router& router) {
  std::vector<RouteLabel> labels;
  for (std::size_t i = 0; i < router.size(); ++i) {
    const auto& route = router.route(i);
    labels.push_back({std::string(to_string(route.method)), route.pattern});
  }
  labels.push_back({"-", "unmatched"});
  return labels;
}

}  // namespace bartab::core::http
