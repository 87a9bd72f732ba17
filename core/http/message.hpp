// The request a handler receives and the response it returns.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/json.hpp"

namespace bartab::core::http {

namespace bhttp = boost::beast::http;

using StringResponse = bhttp::response<bhttp::string_body>;
using FileResponse = bhttp::response<bhttp::file_body>;
// Bodies come either from memory or streamed from a file (media, later).
using Response = std::variant<StringResponse, FileResponse>;

// The status line and headers of either kind of response.
bhttp::response_header<>& head(Response& response);

struct PathParam {
  std::string name;
  std::string value;  // percent-decoded
};

struct Request {
  bhttp::request<bhttp::string_body> message;
  std::vector<PathParam> params;
  std::string request_id;
  boost::asio::ip::address remote;
  JsonLimits json_limits;

  // A path parameter by name; asserts that the route declares it.
  std::string_view param(std::string_view name) const;
  // A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  // The body as a JSON object, enforcing the JSON content type and depth limit.
  boost::json::object json_object() const;
};

// A JSON response with the API's content type.
Response json_response(unsigned status, const boost::json::value& body);
// An empty response (204 and the like).
Response empty_response(unsigned status);

}  // namespace bartab::core::http
