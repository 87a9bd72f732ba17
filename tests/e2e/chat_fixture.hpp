// A `bartab up` shared by a chat test suite, with four signed-up accounts and small
// helpers for the calls chat tests make over and over.
#pragma once

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <string>

#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {

namespace json = boost::json;

struct Account {
  std::string user_id;
  std::string token;
};

class ChatFixture : public ::testing::Test {
 protected:
  static void start(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args{"--registration", "open", "--set", "ratelimit.register_per_hour=1000"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    server_ = new RunningServer(args);
    alice_ = new Account(signup("alice"));
    bob_ = new Account(signup("bob"));
    carol_ = new Account(signup("carol"));
    dave_ = new Account(signup("dave"));
  }
  static void stop() {
    for (auto* a : {alice_, bob_, carol_, dave_}) delete a;
    delete server_;
    server_ = nullptr;
  }

  static Account signup(const std::string& name) {
    json::object body{{"username", name}, {"password", "correct horse"}};
    auto reply = http(server_->port, "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                      json::serialize(body));
    auto parsed = json::parse(reply.body);
    return {std::string(parsed.at("user_id").as_string()),
            std::string(parsed.at("access_token").as_string())};
  }

  static Reply call(const Account& who, const std::string& method, const std::string& target,
                    const json::value& body = nullptr) {
    Headers headers{{"Authorization", "Bearer " + who.token}};
    if (body.is_null()) return http(server_->port, method, target, headers);
    headers.emplace_back("Content-Type", "application/json");
    return http(server_->port, method, target, headers, json::serialize(body));
  }

  static std::string create(const Account& who, const std::string& visibility, json::array invite = {}) {
    auto reply = call(who, "POST", "/v1/rooms",
                      json::object{{"name", "Room"}, {"visibility", visibility}, {"invite", invite}});
    EXPECT_EQ(reply.status, 201u) << reply.body;
    return std::string(json::parse(reply.body).at("room_id").as_string());
  }

  static Reply send(const Account& who, const std::string& room, const std::string& txn,
                    const std::string& body) {
    return call(who, "PUT", "/v1/rooms/" + room + "/send/" + txn,
                json::object{{"type", "message"}, {"content", {{"body", body}}}});
  }

  static std::string code(const Reply& reply) {
    return std::string(json::parse(reply.body).at("error").at("code").as_string());
  }

  static inline RunningServer* server_ = nullptr;
  static inline Account* alice_ = nullptr;
  static inline Account* bob_ = nullptr;
  static inline Account* carol_ = nullptr;
  static inline Account* dave_ = nullptr;
};

}  // namespace bartab::testing
