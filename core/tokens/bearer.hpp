// The "authenticate" step of a handler: the request's bearer token, verified.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "core/http/message.hpp"
#include "core/tokens/verifier.hpp"

namespace bartab::core::tokens {

// The token of an `Authorization: Bearer ...` header; throws ApiError unauthorized
// when there is none.
std::string bearer_token(const http::Request& request);

// Verifies the request's bearer token and returns its claims; unauthorized otherwise.
boost::asio::awaitable<AccessClaims> authenticate(const http::Request& request, TokenVerifier& verifier);

}  // namespace bartab::core::tokens
