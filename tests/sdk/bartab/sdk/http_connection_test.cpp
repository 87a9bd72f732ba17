// Base URLs the SDK accepts, and the ones it refuses.
#include "bartab/sdk/http_connection.hpp"

#include <gtest/gtest.h>

namespace bartab::sdk {
namespace {

TEST(SdkBaseUrl, ReadsHostPortAndPrefix) {
  auto endpoint = parse_base_url("http://127.0.0.1:8080");
  EXPECT_EQ(endpoint.host, "127.0.0.1");
  EXPECT_EQ(endpoint.port, "8080");
  EXPECT_EQ(endpoint.host_header, "127.0.0.1:8080");
  EXPECT_EQ(endpoint.base_path, "");
  auto prefixed = parse_base_url("http://chat.example/bartab/");
  EXPECT_EQ(prefixed.port, "80");
  EXPECT_EQ(prefixed.base_path, "/bartab");
}

TEST(SdkBaseUrl, RefusesWhatItCannotSpeak) {
  EXPECT_THROW(parse_base_url("https://chat.example"), std::invalid_argument);
  EXPECT_THROW(parse_base_url("chat.example:8080"), std::invalid_argument);
  EXPECT_THROW(parse_base_url("not a url"), std::invalid_argument);
}

}  // namespace
}  // namespace bartab::sdk
