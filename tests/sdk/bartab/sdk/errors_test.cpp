// Error answers to ApiError: both body shapes (API errors and RFC 6749), and bodies
// that name nothing.
#include "bartab/sdk/errors.hpp"

#include <gtest/gtest.h>

namespace bartab::sdk {
namespace {

TEST(SdkErrors, ReadsTheApiErrorEnvelope) {
  auto error = api_error_from_response(404, R"({"error":{"code":"not_found","message":"no such room"}})");
  EXPECT_EQ(error.status(), 404);
  EXPECT_EQ(error.code(), "not_found");
  EXPECT_STREQ(error.what(), "no such room");
}

TEST(SdkErrors, ReadsTheTokenEndpointsRfc6749Body) {
  auto error = api_error_from_response(400, R"({"error":"invalid_grant","error_description":"reused"})");
  EXPECT_EQ(error.status(), 400);
  EXPECT_EQ(error.code(), "invalid_grant");
  EXPECT_STREQ(error.what(), "reused");
}

TEST(SdkErrors, FallsBackToTheStatusWhenTheBodyNamesNoCode) {
  EXPECT_EQ(api_error_from_response(502, "<html>Bad Gateway</html>").code(), "internal");
  EXPECT_EQ(api_error_from_response(403, "").code(), "forbidden");
  EXPECT_EQ(api_error_from_response(429, R"({"other":1})").code(), "rate_limited");
  EXPECT_EQ(api_error_from_response(418, R"({"error":42})").code(), "http_418");
  EXPECT_EQ(api_error_from_response(401, R"({"error":{"message":"no code"}})").code(), "unauthorized");
}

}  // namespace
}  // namespace bartab::sdk
