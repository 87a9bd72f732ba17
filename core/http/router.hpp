// Maps (method, path) to a handler. Patterns are literal segments and `{name}`
// parameters: "/v1/rooms/{room_id}/send/{txn_id}". When several patterns match, the one
// with a literal segment earliest wins ("/v1/rooms/public" beats "/v1/rooms/{room_id}").
// A path that matches no pattern is 404; a path whose pattern lacks the method is 405
// with the methods it has (for the Allow header).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/message.hpp"

namespace bartab::core::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct RouteOptions {
  // Largest request body accepted, in bytes; 0 means the server's default
  // (limits.max_json_bytes).
  std::size_t body_limit = 0;
  // The handler reads the body itself through Request::body_stream (uploads) instead
  // of receiving it whole in Request::message.
  bool stream_body = false;
};

// What a service registers: one entry of its route list.
struct RouteSpec {
  bhttp::verb method;
  std::string pattern;
  Handler handler;
  RouteOptions options = {};
};

struct Route {
  std::size_t id;  // dense, for per-route metrics
  bhttp::verb method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed };
  Kind kind = Kind::not_found;
  const Route* route = nullptr;
  std::vector<PathParam> params;
  // Methods the matched path accepts (filled for found and method_not_allowed).
  std::vector<bhttp::verb> allowed;
};

class Router {
 public:
  // Registers a route; a duplicate (method, pattern) or a malformed pattern is a
  // programmer error and throws std::logic_error at start-up.
  void add(RouteSpec spec);
  void add_all(std::vector<RouteSpec> specs);

  // `path` is the path part of the target, still percent-encoded. HEAD falls back to
  // GET. A path with bad percent-encoding does not match anything.
  RouteMatch match(bhttp::verb method, std::string_view path) const;

  std::size_t size() const { return routes_.size(); }
  const Route& route(std::size_t id) const { return routes_.at(id); }

 private:
  struct Segment {
    bool literal;
    std::string text;  // the literal, or the parameter name
  };
  struct Pattern {
    std::vector<Segment> segments;
    std::map<bhttp::verb, const Route*> by_method;
  };

  static std::vector<Segment> parse_pattern(std::string_view pattern);
  static bool more_specific(const Pattern& a, const Pattern& b);

  std::deque<Route> routes_;
  std::deque<Pattern> patterns_;
};

// The value of an Allow header: "GET, HEAD, POST, OPTIONS".
std::string allow_header(const std::vector<bhttp::verb>& methods);

}  // namespace bartab::core::http
