#include "core/http/router.hpp"

#include <gtest/gtest.h>

namespace bartab::core::http {
namespace {

using Kind = RouteMatch::Kind;
using bhttp::verb;

Handler noop() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return empty_response(204); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add_all({
        {verb::get, "/healthz", noop()},
        {verb::get, "/v1/rooms", noop()},
        {verb::post, "/v1/rooms", noop()},
        {verb::get, "/v1/rooms/public", noop()},
        {verb::get, "/v1/rooms/{room_id}", noop()},
        {verb::put, "/v1/rooms/{room_id}/send/{txn_id}", noop(), {.body_limit = 4096}},
    });
  }
  Router router;
};

TEST_F(RouterTest, LiteralRoute) {
  auto m = router.match(verb::get, "/healthz");
  ASSERT_EQ(m.kind, Kind::found);
  EXPECT_EQ(m.route->pattern, "/healthz");
  EXPECT_TRUE(m.params.empty());
}

TEST_F(RouterTest, ParametersAreCapturedAndDecoded) {
  auto m = router.match(verb::put, "/v1/rooms/room_1/send/txn%2F7%20a");
  ASSERT_EQ(m.kind, Kind::found);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].name, "room_id");
  EXPECT_EQ(m.params[0].value, "room_1");
  EXPECT_EQ(m.params[1].name, "txn_id");
  EXPECT_EQ(m.params[1].value, "txn/7 a") << "an encoded slash stays inside its segment";
  EXPECT_EQ(m.route->options.body_limit, 4096u);
}

TEST_F(RouterTest, LiteralBeatsParameter) {
  auto m = router.match(verb::get, "/v1/rooms/public");
  ASSERT_EQ(m.kind, Kind::found);
  EXPECT_EQ(m.route->pattern, "/v1/rooms/public");
  EXPECT_EQ(router.match(verb::get, "/v1/rooms/room_9").route->pattern, "/v1/rooms/{room_id}");
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  for (auto path : {"/", "/nope", "/healthz/", "/healthz/x", "/v1/rooms/", "/v1/rooms//send/x", "healthz", "",
                    "/v1/rooms/%zz", "/v1/rooms/a/send/%"}) {
    EXPECT_EQ(router.match(verb::get, path).kind, Kind::not_found) << path;
  }
}

TEST_F(RouterTest, WrongMethodListsAllowed) {
  auto m = router.match(verb::delete_, "/v1/rooms");
  ASSERT_EQ(m.kind, Kind::method_not_allowed);
  EXPECT_EQ(allow_header(m.allowed), "GET, POST, HEAD, OPTIONS");
  auto send = router.match(verb::get, "/v1/rooms/r/send/t");
  ASSERT_EQ(send.kind, Kind::method_not_allowed);
  EXPECT_EQ(allow_header(send.allowed), "PUT, OPTIONS");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  auto m = router.match(verb::head, "/v1/rooms/public");
  ASSERT_EQ(m.kind, Kind::found);
  EXPECT_EQ(m.route->method, verb::get);
  EXPECT_EQ(router.match(verb::head, "/v1/rooms/r/send/t").kind, Kind::method_not_allowed);
}

TEST_F(RouterTest, RoutesHaveDenseIds) {
  ASSERT_EQ(router.size(), 6u);
  for (std::size_t i = 0; i < router.size(); ++i) EXPECT_EQ(router.route(i).id, i);
}

TEST(RouterRegistration, DuplicatesAndMalformedPatternsAreProgrammerErrors) {
  Router router;
  router.add({verb::get, "/a/{x}", noop()});
  EXPECT_THROW(router.add({verb::get, "/a/{y}", noop()}), std::logic_error);
  EXPECT_NO_THROW(router.add({verb::post, "/a/{y}", noop()}));
  EXPECT_THROW(router.add({verb::get, "a", noop()}), std::logic_error);
  EXPECT_THROW(router.add({verb::get, "/a{b}", noop()}), std::logic_error);
  EXPECT_THROW(router.add({verb::get, "/x/{}", noop()}), std::logic_error);
}

}  // namespace
}  // namespace bartab::core::http
