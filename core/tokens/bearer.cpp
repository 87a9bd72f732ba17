#include "core/tokens/bearer.hpp"

#include <boost/beast/core/string.hpp>

#include "core/errors.hpp"

namespace bartab::core::tokens {

std::string bearer_token(const http::Request& request) {
  auto header = request.message[boost::beast::http::field::authorization];
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size() || !boost::beast::iequals(header.substr(0, scheme.size()), scheme)) {
    throw ApiError(ErrorCode::unauthorized, "a bearer token is required");
  }
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) throw ApiError(ErrorCode::unauthorized, "a bearer token is required");
  return std::string(token);
}

boost::asio::awaitable<AccessClaims> authenticate(const http::Request& request, TokenVerifier& verifier) {
  co_return co_await verifier.verify(bearer_token(request));
}

}  // namespace bartab::core::tokens
