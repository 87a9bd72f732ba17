#include "core/http/message.hpp"

#include <unistd.h>
#include <boost/beast/core/string.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <cassert>

#include "core/errors.hpp"

namespace bartab::core::http {

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  return *this;
}

bhttp::response_header<>& head(Response& response) {
  return std::visit([](auto& message) -> bhttp::response_header<>& { return message; }, response);
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& p : params) {
    if (p.name == name) return p.value;
  }
  assert(false && "handler asked for a path parameter its route does not declare");
  return {};
}

std::optional<std::string> Request::query(std::string_view name) const {
  auto parsed = boost::urls::parse_origin_form(message.target());
  if (!parsed) return std::nullopt;
  auto params = parsed->params();
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return std::string((*it).value);
}

boost::json::object Request::json_object() const {
  auto type = message[bhttp::field::content_type];
  if (!type.empty()) {
    auto media = type.substr(0, type.find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (!boost::beast::iequals(media, "application/json")) {
      throw ApiError(ErrorCode::unsupported_media_type, "the body must be application/json");
    }
  }
  return parse_json_object(message.body(), json_limits);
}

Response json_response(unsigned status, const boost::json::value& body) {
  StringResponse response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::content_type, "application/json; charset=utf-8");
  response.body() = boost::json::serialize(body);
  return response;
}

Response empty_response(unsigned status) {
  return StringResponse{static_cast<bhttp::status>(status), 11};
}

}  // namespace bartab::core::http
