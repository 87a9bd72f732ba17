#include "core/errors.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace bartab::core {
namespace {

TEST(Errors, EveryCodeHasTheStatusAndNameOfTheApi) {
  struct Case {
    ErrorCode code;
    unsigned status;
    const char* name;
  };
  for (auto c :
       {Case{ErrorCode::bad_request, 400, "bad_request"}, Case{ErrorCode::unauthorized, 401, "unauthorized"},
        Case{ErrorCode::forbidden, 403, "forbidden"}, Case{ErrorCode::not_found, 404, "not_found"},
        Case{ErrorCode::method_not_allowed, 405, "method_not_allowed"},
        Case{ErrorCode::conflict, 409, "conflict"},
        Case{ErrorCode::payload_too_large, 413, "payload_too_large"},
        Case{ErrorCode::request_header_fields_too_large, 431, "request_header_fields_too_large"},
        Case{ErrorCode::unsupported_media_type, 415, "unsupported_media_type"},
        Case{ErrorCode::range_not_satisfiable, 416, "range_not_satisfiable"},
        Case{ErrorCode::rate_limited, 429, "rate_limited"}, Case{ErrorCode::internal, 500, "internal"},
        Case{ErrorCode::unavailable, 503, "unavailable"}}) {
    EXPECT_EQ(to_status(c.code), c.status) << c.name;
    EXPECT_EQ(code_name(c.code), c.name);
  }
}

TEST(Errors, BodyIsTheEnvelopeWithEscapedMessage) {
  auto body = boost::json::parse(error_body(ErrorCode::conflict, "name \"x\" taken\n"));
  EXPECT_EQ(body.at("error").at("code").as_string(), "conflict");
  EXPECT_EQ(body.at("error").at("message").as_string(), "name \"x\" taken\n");
  EXPECT_EQ(body.as_object().size(), 1u);
}

TEST(Errors, ThrowHelpersCarryTheirCode) {
  try {
    throw_forbidden("no");
    FAIL() << "did not throw";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::forbidden);
    EXPECT_STREQ(e.what(), "no");
  }
  EXPECT_THROW(throw_bad_request("x"), ApiError);
  EXPECT_THROW(throw_not_found("x"), ApiError);
}

}  // namespace
}  // namespace bartab::core
