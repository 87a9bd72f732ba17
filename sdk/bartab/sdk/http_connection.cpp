// The SDK's keep-alive HTTP/1.1 connection on Beast.
#include "bartab/sdk/http_connection.hpp"

#include <sys/socket.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <stdexcept>

#include "bartab/sdk/errors.hpp"

namespace bartab::sdk {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool is_idempotent(http::verb method) {
  return method == http::verb::get || method == http::verb::head || method == http::verb::put ||
         method == http::verb::delete_;
}

template <typename Body>
void set_common_fields(http::request<Body>& request, const Endpoint& endpoint, const Outgoing& out) {
  request.set(http::field::host, endpoint.host_header);
  request.set(http::field::user_agent, "bartab-sdk");
  request.set(http::field::accept, "application/json");
  request.keep_alive(true);
  if (!out.authorization.empty()) request.set(http::field::authorization, out.authorization);
  if (!out.content_type.empty()) request.set(http::field::content_type, out.content_type);
}

}  // namespace

Endpoint parse_base_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw std::invalid_argument("not an absolute URL: " + std::string(url));
  if (parsed->scheme() != "http")
    throw std::invalid_argument("only http:// URLs are supported: " + std::string(url));
  if (parsed->host().empty()) throw std::invalid_argument("no host in " + std::string(url));
  Endpoint endpoint;
  endpoint.host = std::string(parsed->host_address());
  endpoint.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  endpoint.host_header = std::string(parsed->encoded_host_and_port());
  endpoint.base_path = std::string(parsed->encoded_path());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') endpoint.base_path.pop_back();
  return endpoint;
}

HttpConnection::HttpConnection(asio::any_io_executor executor, Endpoint endpoint,
                               std::chrono::milliseconds timeout, std::size_t max_body_bytes)
    : executor_(executor),
      endpoint_(std::move(endpoint)),
      timeout_(timeout),
      max_body_bytes_(max_body_bytes),
      mutex_(executor) {}

asio::awaitable<Incoming> HttpConnection::request(Outgoing out) {
  auto locking = mutex_.lock();
  auto guard = co_await std::move(locking);
  if (stream_ && peer_closed()) drop();
  bool reused = stream_.has_value();
  if (!reused) {
    auto connecting = connect();
    co_await std::move(connecting);
  }
  auto cancels_before = cancels_;
  try {
    auto exchanging = exchange(out);
    co_return co_await std::move(exchanging);
  } catch (const TransportError&) {
    drop();
    // A fresh connection that fails is the server's answer, and a cancelled request
    // stays cancelled; a reused connection may only have been closed while idle.
    if (!reused || !is_idempotent(out.method) || cancels_ != cancels_before) throw;
  }
  // co_await is not allowed inside a handler: the one retry happens here.
  auto reconnecting = connect();
  co_await std::move(reconnecting);
  try {
    auto exchanging = exchange(out);
    co_return co_await std::move(exchanging);
  } catch (const TransportError&) {
    drop();
    throw;
  }
}

void HttpConnection::cancel() {
  ++cancels_;
  if (!stream_) return;
  stream_->cancel();
  boost::system::error_code ignored;
  stream_->socket().close(ignored);
}

asio::awaitable<void> HttpConnection::connect() {
  asio::ip::tcp::resolver resolver(executor_);
  auto resolving = resolver.async_resolve(endpoint_.host, endpoint_.port, kTuple);
  auto [rec, endpoints] = co_await std::move(resolving);
  if (rec) throw TransportError("cannot resolve " + endpoint_.host + ": " + rec.message());
  stream_.emplace(executor_);
  buffer_.clear();
  stream_->expires_after(timeout_);
  auto connecting = stream_->async_connect(endpoints, kTuple);
  auto [cec, connected] = co_await std::move(connecting);
  if (cec) {
    drop();
    throw TransportError("cannot connect to " + endpoint_.host_header + ": " + cec.message());
  }
  stream_->socket().set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<Incoming> HttpConnection::exchange(const Outgoing& out) {
  if (!stream_) throw TransportError("connection cancelled");
  stream_->expires_after(out.timeout.count() > 0 ? out.timeout : timeout_);
  auto writing = write(out);
  co_await std::move(writing);
  auto reading = read(out);
  co_return co_await std::move(reading);
}

asio::awaitable<void> HttpConnection::write(const Outgoing& out) {
  auto target = endpoint_.base_path + out.target;
  boost::system::error_code ec;
  if (out.body_file) {
    http::request<http::file_body> request{out.method, target, 11};
    set_common_fields(request, endpoint_, out);
    request.body().open(out.body_file->c_str(), beast::file_mode::scan, ec);
    if (ec) throw std::runtime_error("cannot open " + out.body_file->string() + ": " + ec.message());
    request.prepare_payload();
    auto writing = http::async_write(*stream_, request, kTuple);
    std::tie(ec, std::ignore) = co_await std::move(writing);
  } else {
    http::request<http::string_body> request{out.method, target, 11};
    set_common_fields(request, endpoint_, out);
    request.body() = out.body;
    if (!out.content_type.empty() || out.method == http::verb::post || out.method == http::verb::put)
      request.prepare_payload();
    auto writing = http::async_write(*stream_, request, kTuple);
    std::tie(ec, std::ignore) = co_await std::move(writing);
  }
  if (ec) throw TransportError("cannot send to " + endpoint_.host_header + ": " + ec.message());
}

asio::awaitable<Incoming> HttpConnection::read(const Outgoing& out) {
  http::response_parser<http::empty_body> head;
  head.body_limit(max_body_bytes_);
  if (out.method == http::verb::head) head.skip(true);
  auto reading_head = http::async_read_header(*stream_, buffer_, head, kTuple);
  auto [hec, head_bytes] = co_await std::move(reading_head);
  if (hec) throw TransportError("no answer from " + endpoint_.host_header + ": " + hec.message());
  Incoming incoming;
  incoming.status = head.get().result_int();
  incoming.content_type = std::string(head.get()[http::field::content_type]);
  bool to_file = out.save_to && incoming.status >= 200 && incoming.status < 300;
  bool keep_alive = true;
  boost::system::error_code ec;
  if (to_file) {
    http::response_parser<http::file_body> parser{std::move(head)};
    parser.body_limit(boost::none);
    parser.get().body().open(out.save_to->c_str(), beast::file_mode::write, ec);
    if (ec) throw std::runtime_error("cannot write " + out.save_to->string() + ": " + ec.message());
    auto reading = http::async_read(*stream_, buffer_, parser, kTuple);
    std::tie(ec, std::ignore) = co_await std::move(reading);
    keep_alive = parser.get().keep_alive();
  } else {
    http::response_parser<http::string_body> parser{std::move(head)};
    auto reading = http::async_read(*stream_, buffer_, parser, kTuple);
    std::tie(ec, std::ignore) = co_await std::move(reading);
    keep_alive = parser.get().keep_alive();
    incoming.body = std::move(parser.get().body());
  }
  if (ec) throw TransportError("answer from " + endpoint_.host_header + " cut short: " + ec.message());
  if (!keep_alive) drop();
  co_return incoming;
}

// True when the server closed the idle connection (or sent bytes nobody asked for):
// a request must not go out on it.
bool HttpConnection::peer_closed() {
  if (!stream_->socket().is_open()) return true;
  char byte;
  auto n = ::recv(stream_->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  return true;  // 0: orderly close; > 0: stray bytes, the stream is out of step
}

void HttpConnection::drop() {
  if (!stream_) return;
  boost::system::error_code ignored;
  stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_->socket().close(ignored);
  stream_.reset();
  buffer_.clear();
}

}  // namespace bartab::sdk
