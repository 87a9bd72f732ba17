#include "support/test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <stdexcept>

namespace bartab::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

std::string Reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

bool Reply::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return true;
  }
  return false;
}

TestClient::TestClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : stream_(context_), timeout_(timeout) {
  stream_.expires_after(timeout_);
  boost::system::error_code result;
  stream_.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                        [&](boost::system::error_code ec) { result = ec; });
  context_.run();
  context_.restart();
  if (result) throw std::runtime_error("connect failed: " + result.message());
}

void TestClient::send_raw(std::string_view bytes) {
  stream_.expires_after(timeout_);
  boost::system::error_code result;
  asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                    [&](boost::system::error_code ec, std::size_t) { result = ec; });
  context_.run();
  context_.restart();
  if (result) throw std::runtime_error("send failed: " + result.message());
}

Reply TestClient::read_reply(bool head_request) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  parser.skip(head_request);
  stream_.expires_after(timeout_);
  boost::system::error_code result;
  bhttp::async_read(stream_, buffer_, parser,
                    [&](boost::system::error_code ec, std::size_t) { result = ec; });
  context_.run();
  context_.restart();
  if (result) throw std::runtime_error("no reply: " + result.message());
  auto message = parser.release();
  Reply reply;
  reply.status = message.result_int();
  for (const auto& field : message) reply.headers.emplace_back(field.name_string(), field.value());
  reply.body = std::move(message.body());
  reply.keep_alive = message.keep_alive();
  return reply;
}

Reply TestClient::request(std::string_view method, std::string_view target, const Headers& headers,
                          std::string_view body) {
  std::string raw = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
  if (!body.empty()) raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n";
  raw += body;
  send_raw(raw);
  return read_reply(method == "HEAD");
}

bool TestClient::closed_within(std::chrono::milliseconds wait) {
  // Reads on the raw socket with a deadline that cancels rather than closes (a
  // tcp_stream timeout would close the socket itself), so the connection stays usable
  // when the server has not closed it yet. Buffered bytes are read and dropped.
  auto& socket = stream_.socket();
  auto deadline = std::chrono::steady_clock::now() + wait;
  char scratch[512];
  while (true) {
    boost::system::error_code result = asio::error::would_block;
    std::size_t n = 0;
    socket.async_read_some(asio::buffer(scratch), [&](boost::system::error_code ec, std::size_t got) {
      result = ec;
      n = got;
    });
    context_.run_until(deadline);
    if (result == asio::error::would_block) {
      socket.cancel();
      context_.run();
    }
    context_.restart();
    if (result == asio::error::eof || result == asio::error::connection_reset) return true;
    if (result || n == 0) return false;
  }
}

Reply http(std::uint16_t port, std::string_view method, std::string_view target, const Headers& headers,
           std::string_view body) {
  TestClient client(port);
  return client.request(method, target, headers, body);
}

}  // namespace bartab::testing
