#include "core/http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

namespace bartab::core::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

asio::awaitable<ClientReply> http_get(std::string url, std::chrono::milliseconds timeout,
                                      std::size_t max_body_bytes) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw ClientError("not an absolute URL: " + url);
  if (parsed->scheme() != "http") throw ClientError("only http:// URLs are supported: " + url);
  std::string host(parsed->host());
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path()));
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

  auto executor = co_await asio::this_coro::executor;
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, tuple);
  if (rec) throw ClientError("cannot resolve " + host + ": " + rec.message());
  auto [cec, endpoint] = co_await stream.async_connect(endpoints, tuple);
  if (cec) throw ClientError("cannot connect to " + host + ":" + port + ": " + cec.message());

  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
  request.set(bhttp::field::host, std::string(parsed->encoded_host_and_port()));
  request.set(bhttp::field::user_agent, "bartab");
  request.set(bhttp::field::accept, "application/json");
  request.keep_alive(false);
  auto [wec, written] = co_await bhttp::async_write(stream, request, tuple);
  if (wec) throw ClientError("cannot send to " + host + ": " + wec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto [ec, read] = co_await bhttp::async_read(stream, buffer, parser, tuple);
  if (ec) throw ClientError("no answer from " + url + ": " + ec.message());
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);

  auto& message = parser.get();
  co_return ClientReply{message.result_int(), std::move(message.body()),
                        std::string(message[bhttp::field::content_type])};
}

}  // namespace bartab::core::http
