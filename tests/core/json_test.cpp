#include "core/json.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace bartab::core {
namespace {

std::string nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(Json, ParsesAnObject) {
  auto obj = parse_json_object(R"({"a":1,"b":[true,null]})", {});
  EXPECT_EQ(obj.at("a").as_int64(), 1);
}

TEST(Json, DepthUpToTheLimitIsAcceptedAndPastItRefused) {
  JsonLimits limits{.max_depth = 8};
  EXPECT_NO_THROW(parse_json(nested(8), limits));
  try {
    parse_json(nested(9), limits);
    FAIL() << "accepted JSON deeper than the limit";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("deeper than 8"), std::string::npos) << e.what();
  }
}

TEST(Json, BadInputIsBadRequest) {
  for (const char* text : {"{", "{\"a\":}", "[1,2", "{} {}", "nul", "{\"a\":1,}", "\"\\uZZZZ\""}) {
    EXPECT_EQ(code_of([&] { parse_json(text, {}); }), ErrorCode::bad_request) << text;
  }
}

TEST(Json, ObjectBodyMustBeAnObject) {
  EXPECT_EQ(code_of([] { parse_json_object("[1]", {}); }), ErrorCode::bad_request);
  EXPECT_EQ(code_of([] { parse_json_object("3", {}); }), ErrorCode::bad_request);
  EXPECT_EQ(code_of([] { parse_json_object("", {}); }), ErrorCode::bad_request);
}

}  // namespace
}  // namespace bartab::core
