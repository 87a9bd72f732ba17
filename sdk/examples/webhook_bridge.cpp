// bartab-webhook-bridge: accepts HTTP POSTs on a local port and posts each into a room
// as the bot, for alerting, CI and anything else that speaks webhooks.
//
//   bartab-webhook-bridge --url URL --bot-id ID --api-key KEY --room ROOM
//                         [--listen 127.0.0.1:8090] [--secret S]
//
// POST /hook with a text body, or JSON {"text": "..."}. With --secret, the request
// needs `Authorization: Bearer S`. An `Idempotency-Key` header makes the message's
// txn_id, so a webhook the sender retries is posted once. Answers 200 {"event_id"};
// 400 for an empty or malformed body, 401 without the secret, 404/405 elsewhere, 413
// past 64 KiB, 502 when the chat server refuses or cannot be reached.
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <iostream>

#include "examples/bot_program.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace sdk = bartab::sdk;
namespace examples = bartab::examples;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 64 * 1024;
constexpr auto kReadTimeout = std::chrono::seconds(10);

struct Bridge {
  std::string room;
  std::string secret;  // empty: no check
};

using Response = http::response<http::string_body>;

Response answer(unsigned status, const json::object& body) {
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = json::serialize(body);
  return response;
}

Response refuse(unsigned status, const std::string& message) {
  return answer(status, {{"error", message}});
}

// Compares without stopping at the first difference (the secret is a credential).
bool same_secret(std::string_view given, std::string_view wanted) {
  if (given.size() != wanted.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ wanted[i]);
  return difference == 0;
}

// The message text: a JSON body's "text", or the body itself.
std::optional<std::string> text_of(const http::request<http::string_body>& request) {
  auto type = request[http::field::content_type];
  if (type.substr(0, 16) != "application/json") {
    if (request.body().empty()) return std::nullopt;
    return request.body();
  }
  boost::system::error_code ec;
  auto parsed = json::parse(request.body(), ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto* text = parsed.get_object().if_contains("text");
  if (text == nullptr || !text->is_string() || text->get_string().empty()) return std::nullopt;
  return std::string(text->get_string());
}

// "hook.<key>" when the key is 1 to 100 of [A-Za-z0-9._:-]; "" when absent; nullopt when bad.
std::optional<std::string> txn_for(std::string_view key) {
  if (key.empty()) return std::string();
  if (key.size() > 100) return std::nullopt;
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return std::nullopt;
  }
  return "hook." + std::string(key);
}

asio::awaitable<Response> handle(const http::request<http::string_body>& request, sdk::Client& client,
                                 const Bridge& bridge) {
  auto target = std::string_view(request.target());
  if (target.substr(0, target.find('?')) != "/hook") co_return refuse(404, "POST to /hook");
  if (request.method() != http::verb::post) co_return refuse(405, "POST to /hook");
  auto authorization = std::string_view(request[http::field::authorization]);
  if (!bridge.secret.empty() && !same_secret(authorization, "Bearer " + bridge.secret))
    co_return refuse(401, "missing or wrong secret");
  auto text = text_of(request);
  if (!text) co_return refuse(400, "the body must be text, or JSON with a non-empty \"text\"");
  auto txn = txn_for(request["Idempotency-Key"]);
  if (!txn) co_return refuse(400, "Idempotency-Key must be 1 to 100 of A-Z a-z 0-9 . _ : -");
  json::object content{{"body", *text}};
  try {
    sdk::SendResult sent;
    if (txn->empty()) {
      auto sending = client.send(bridge.room, "message", content);
      sent = co_await std::move(sending);
    } else {
      auto sending = client.send_retrying(bridge.room, "message", content, *txn);
      sent = co_await std::move(sending);
    }
    co_return answer(200, {{"event_id", sent.event_id}});
  } catch (const sdk::ApiError& e) {
    co_return refuse(502, "the chat server refused: " + e.code());
  } catch (const sdk::TransportError& e) {
    co_return refuse(502, std::string("the chat server is unreachable: ") + e.what());
  }
}

// Closing with unread request bytes would reset the connection before the client read
// the answer (a 413, say): stop sending, drop what still arrives for a moment, then close.
asio::awaitable<void> drain_and_close(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink;
  stream.expires_after(std::chrono::seconds(1));
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (ec) break;
  }
  stream.close();
}

asio::awaitable<void> serve(tcp::socket socket, sdk::Client& client, const Bridge& bridge) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(kMaxBody);
    stream.expires_after(kReadTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    Response response;
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      response = refuse(413, "the body is larger than 64 KiB");
    } else if (ec) {
      co_return;
    } else {
      auto handling = handle(parser.get(), client, bridge);
      response = co_await std::move(handling);
      keep_alive = parser.get().keep_alive();
    }
    response.keep_alive(keep_alive);
    response.prepare_payload();
    stream.expires_after(kReadTimeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, use_tuple);
    if (write_ec) co_return;
    if (!keep_alive) {
      auto draining = drain_and_close(stream);
      co_await std::move(draining);
      co_return;
    }
  }
}

tcp::endpoint listen_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen takes HOST:PORT");
  return {asio::ip::make_address(text.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(text.substr(colon + 1)))};
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, sdk::Client& client, const Bridge& bridge) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), client, bridge),
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& error) {
                       std::cerr << "bartab-webhook-bridge: connection failed: " << error.what() << std::endl;
                     }
                   });
  }
}

}  // namespace

int main(int argc, char** argv) {
  examples::BotArguments arguments;
  Bridge bridge;
  tcp::endpoint endpoint;
  try {
    arguments = examples::parse_bot_arguments(argc, argv, {"room", "listen", "secret"});
    if (!arguments.extra.contains("room")) throw std::invalid_argument("--room is required");
    bridge.room = arguments.extra["room"];
    bridge.secret = arguments.extra.contains("secret") ? arguments.extra["secret"] : "";
    endpoint =
        listen_endpoint(arguments.extra.contains("listen") ? arguments.extra["listen"] : "127.0.0.1:8090");
  } catch (const std::exception& e) {
    if (*e.what() != '\0') std::cerr << "bartab-webhook-bridge: " << e.what() << "\n";
    std::cerr << "usage: bartab-webhook-bridge --url URL --bot-id ID --api-key KEY --room ROOM"
                 " [--listen HOST:PORT] [--secret S]\n";
    return 2;
  }
  tcp::acceptor* open_acceptor = nullptr;
  return examples::run_bot_program(
      "bartab-webhook-bridge", arguments,
      [&](asio::io_context& io, sdk::Client& client, const sdk::Session&) -> asio::awaitable<void> {
        auto joining = client.join(bridge.room);  // posting needs membership
        co_await std::move(joining);
        tcp::acceptor acceptor(io, endpoint);
        examples::Registered<tcp::acceptor> registered(open_acceptor, acceptor);
        // One write, so a reader never sees half the line.
        auto local = acceptor.local_endpoint();
        std::cerr << ("webhook bridge listening on " + local.address().to_string() + ":" +
                      std::to_string(local.port()) + "\n")
                  << std::flush;
        auto accepting = accept_loop(acceptor, client, bridge);
        co_await std::move(accepting);
      },
      [&] {
        if (open_acceptor) open_acceptor->close();
      });
}
