// Chat in its process shapes: it verifies tokens with the JWKS it fetches from auth
// and is not ready without one.
#include <gtest/gtest.h>
#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <thread>

#include "e2e/chat_fixture.hpp"
#include "e2e/harness.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

using namespace std::chrono_literals;

std::string check_status(std::uint16_t port, const std::string& check) {
  auto body = boost::json::parse(http(port, "GET", "/readyz").body);
  const auto* checks = body.at("checks").as_object().if_contains(check);
  return checks ? std::string(checks->at("status").as_string()) : "absent";
}

bool becomes(std::uint16_t port, const std::string& check, const std::string& status,
             std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check_status(port, check) == status) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(ChatShapes, AllInOneIsReadyOnceChatHoldsItsOwnJwks) {
  RunningServer server;
  EXPECT_TRUE(becomes(server.port, "chat.jwks", "ok", 5s));
  EXPECT_EQ(check_status(server.port, "chat.database"), "ok");
  EXPECT_EQ(http(server.port, "GET", "/readyz").status, 200u);
}

TEST(ChatShapes, ChatAloneIsNotReadyUntilAuthAnswersThenSurvivesAuthGoingAway) {
  TempDir data;
  // Reserve a port for auth by starting it later on a known free port: start chat
  // first pointing at a port nobody listens on yet.
  RunningServer auth_probe({}, {}, "auth");
  auto auth_port = auth_probe.port;
  auth_probe.process.send_signal(SIGTERM);
  ASSERT_TRUE(auth_probe.process.wait_exit(5s).exited);

  auto auth_url = "http://127.0.0.1:" + std::to_string(auth_port);
  RunningServer chat({"--set", "chat.auth_url=" + auth_url, "--set", "services.auth_url=" + auth_url}, {},
                     "chat");
  auto not_ready = http(chat.port, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_EQ(check_status(chat.port, "chat.jwks"), "fail");
  EXPECT_NE(not_ready.body.find("not ready: chat.jwks"), std::string::npos) << not_ready.body;

  {
    BartabProcess auth({"auth", "--host", "127.0.0.1", "--port", std::to_string(auth_port), "--set",
                        "server.data_dir=" + data.path().string()});
    auth.wait_listening();
    EXPECT_TRUE(becomes(chat.port, "chat.jwks", "ok", 5s)) << "chat fetched auth's JWKS";
    EXPECT_EQ(http(chat.port, "GET", "/readyz").status, 200u);
    auth.send_signal(SIGTERM);
    ASSERT_TRUE(auth.wait_exit(5s).exited);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http(chat.port, "GET", "/readyz").status, 200u) << "a held JWKS keeps chat serving";
}

// --- rooms, membership, send and history over HTTP -------------------------------

// Accounts on one `bartab up` shared by the suite (tests/e2e/chat_fixture.hpp).
class ChatRooms : public ChatFixture {
 protected:
  static void SetUpTestSuite() { start(); }
  static void TearDownTestSuite() { stop(); }
};

TEST_F(ChatRooms, CreatorOwnsTheRoomAndSeesItsSummary) {
  auto room = create(*alice_, "private");
  auto summary = json::parse(call(*alice_, "GET", "/v1/rooms/" + room).body);
  EXPECT_EQ(summary.at("membership").as_string(), "join");
  EXPECT_EQ(summary.at("role").as_string(), "owner");
  EXPECT_EQ(summary.at("member_count").as_int64(), 1);
  auto mine = json::parse(call(*alice_, "GET", "/v1/rooms").body).at("rooms").as_array();
  bool listed = std::any_of(mine.begin(), mine.end(),
                            [&](const json::value& r) { return r.at("room_id").as_string() == room; });
  EXPECT_TRUE(listed);
  auto history =
      json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/events?dir=f").body).at("events").as_array();
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[0].at("type").as_string(), "member");
  EXPECT_EQ(history[0].at("seq").as_int64(), 1);
  EXPECT_EQ(history[1].at("type").as_string(), "state");
}

TEST_F(ChatRooms, PrivateRoomsAreInvisibleAndClosedToOutsiders) {
  auto room = create(*alice_, "private");
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/" + room).status, 404u);
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/" + room + "/members").status, 404u);
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/" + room + "/events").status, 404u);
  auto sent = send(*bob_, room, "t1", "let me in");
  EXPECT_EQ(sent.status, 404u) << "no content of the room, not even its existence";
  auto join = call(*bob_, "POST", "/v1/rooms/" + room + "/join");
  EXPECT_EQ(join.status, 403u);
  EXPECT_EQ(code(join), "forbidden");
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/room_doesnotexist").status, 404u);
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/not-a-room-id").status, 404u);
}

TEST_F(ChatRooms, InvitesLetPeopleIntoPrivateRooms) {
  auto room = create(*alice_, "private");
  EXPECT_EQ(
      call(*alice_, "POST", "/v1/rooms/" + room + "/invite", json::object{{"user_id", bob_->user_id}}).status,
      200u);
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/" + room).status, 200u) << "an invitee sees the summary";
  EXPECT_EQ(send(*bob_, room, "early", "hi").status, 403u) << "but does not write before joining";
  EXPECT_EQ(call(*bob_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  EXPECT_EQ(send(*bob_, room, "t1", "hello").status, 200u);
  // A plain member may not invite.
  auto by_member =
      call(*bob_, "POST", "/v1/rooms/" + room + "/invite", json::object{{"user_id", carol_->user_id}});
  EXPECT_EQ(by_member.status, 403u);
  auto again =
      call(*alice_, "POST", "/v1/rooms/" + room + "/invite", json::object{{"user_id", bob_->user_id}});
  EXPECT_EQ(again.status, 409u) << "already a member";
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms/" + room + "/invite", json::object{{"user_id", "bob"}}).status,
            400u);
  auto members =
      json::parse(call(*bob_, "GET", "/v1/rooms/" + room + "/members").body).at("members").as_array();
  EXPECT_EQ(members.size(), 2u);
}

TEST_F(ChatRooms, PublicRoomsAreListedAndOpenToJoin) {
  auto room = create(*alice_, "public");
  auto directory = json::parse(call(*carol_, "GET", "/v1/rooms/public").body).at("rooms").as_array();
  bool listed = std::any_of(directory.begin(), directory.end(),
                            [&](const json::value& r) { return r.at("room_id").as_string() == room; });
  EXPECT_TRUE(listed);
  EXPECT_EQ(call(*carol_, "GET", "/v1/rooms/" + room).status, 200u);
  EXPECT_EQ(send(*carol_, room, "t1", "hi").status, 403u) << "seeing is not writing";
  EXPECT_EQ(call(*carol_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  EXPECT_EQ(call(*carol_, "POST", "/v1/rooms/" + room + "/join").status, 200u) << "joining twice is harmless";
  EXPECT_EQ(send(*carol_, room, "t1", "hi").status, 200u);
  EXPECT_EQ(call(*carol_, "POST", "/v1/rooms/" + room + "/leave").status, 200u);
  EXPECT_EQ(send(*carol_, room, "t2", "still here?").status, 403u);
  EXPECT_EQ(call(*carol_, "POST", "/v1/rooms/" + room + "/leave").status, 403u) << "not in it any more";
}

TEST_F(ChatRooms, SendsAreIdempotentPerSessionAndGapless) {
  auto room = create(*alice_, "private");
  auto first = send(*alice_, room, "txn-1", "one");
  ASSERT_EQ(first.status, 200u) << first.body;
  auto retry = send(*alice_, room, "txn-1", "one (retried)");
  EXPECT_EQ(retry.body, first.body) << "the same answer, nothing appended";
  auto second = json::parse(send(*alice_, room, "txn-2", "two").body);
  EXPECT_EQ(second.at("seq").as_int64(), json::parse(first.body).at("seq").as_int64() + 1);
  auto events = json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/events?dir=f&limit=500").body)
                    .at("events")
                    .as_array();
  std::int64_t expected = 1;
  int messages = 0;
  for (const auto& e : events) {
    EXPECT_EQ(e.at("seq").as_int64(), expected++);
    if (e.at("type").as_string() == "message") {
      ++messages;
      EXPECT_TRUE(e.as_object().contains("txn_id")) << "the sender's own events carry txn_id";
    }
  }
  EXPECT_EQ(messages, 2);
}

TEST_F(ChatRooms, SendRefusesBadTypesAndContent) {
  auto room = create(*alice_, "private");
  auto target = "/v1/rooms/" + room + "/send/";
  for (const auto& [type, content] : std::vector<std::pair<std::string, json::value>>{
           {"member", json::object{{"user_id", "usr_x"}}},
           {"state", json::object{{"key", "name"}}},
           {"redaction", json::object{}},
           {"X.upper", json::object{}},
           {"message", json::object{}},
           {"message", json::object{{"body", 5}}},
           {"message", json::object{{"body", "x"}, {"format", "html"}}},
           {"reaction", json::object{{"event_id", "evt_nope"}, {"key", "+1"}}},
           {"edit", json::object{{"body", "x"}}}}) {
    auto reply =
        call(*alice_, "PUT", target + "bad-" + type, json::object{{"type", type}, {"content", content}});
    EXPECT_EQ(reply.status, 400u) << type << " " << json::serialize(content) << " -> " << reply.body;
  }
  EXPECT_EQ(call(*alice_, "PUT", target + "x", json::object{{"type", "message"}}).status, 400u);
  EXPECT_EQ(
      call(*alice_, "PUT", target + "ok", json::object{{"type", "x.bot.ping"}, {"content", json::object{}}})
          .status,
      200u);
  auto sent = json::parse(send(*alice_, room, "base", "base").body);
  auto reaction = call(
      *alice_, "PUT", target + "react",
      json::object{{"type", "reaction"}, {"content", {{"event_id", sent.at("event_id")}, {"key", "+1"}}}});
  EXPECT_EQ(reaction.status, 200u) << reaction.body;
  EXPECT_EQ(call(*alice_, "PUT", "/v1/rooms/" + room + "/send/" + std::string(200, 't'),
                 json::object{{"type", "message"}, {"content", {{"body", "x"}}}})
                .status,
            400u);
}

TEST_F(ChatRooms, HistoryPagesBothWaysWithoutGapsOrDuplicates) {
  auto room = create(*alice_, "private");
  for (int i = 0; i < 25; ++i)
    ASSERT_EQ(send(*alice_, room, "h" + std::to_string(i), "m" + std::to_string(i)).status, 200u);
  for (const std::string dir : {"b", "f"}) {
    std::vector<std::int64_t> seen;
    std::string from;
    for (int page = 0; page < 20; ++page) {
      auto target =
          "/v1/rooms/" + room + "/events?limit=7&dir=" + dir + (from.empty() ? "" : "&from=" + from);
      auto body = json::parse(call(*alice_, "GET", target).body);
      for (const auto& e : body.at("events").as_array()) seen.push_back(e.at("seq").as_int64());
      if (!body.as_object().contains("next")) break;
      from = std::string(body.at("next").as_string());
    }
    auto total = static_cast<std::int64_t>(seen.size());
    ASSERT_GE(total, 25);
    for (std::int64_t i = 0; i < total; ++i) {
      EXPECT_EQ(seen[i], dir == "f" ? i + 1 : total - i) << dir;
    }
  }
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + room + "/events?from=garbage").status, 400u);
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + room + "/events?limit=0").status, 400u);
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + room + "/events?limit=abc").status, 400u);
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + room + "/events?dir=sideways").status, 400u);
  auto forward_token =
      json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/events?dir=f&limit=2").body).at("next");
  EXPECT_EQ(call(*alice_, "GET",
                 "/v1/rooms/" + room + "/events?dir=b&from=" + std::string(forward_token.as_string()))
                .status,
            400u)
      << "a forward token does not walk backward";
}

TEST_F(ChatRooms, OneEventByIdForMembersOnly) {
  auto room = create(*alice_, "private");
  auto sent = json::parse(send(*alice_, room, "e1", "find me").body);
  auto id = std::string(sent.at("event_id").as_string());
  auto got = json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/events/" + id).body);
  EXPECT_EQ(got.at("content").at("body").as_string(), "find me");
  EXPECT_EQ(got.at("room_id").as_string(), room);
  EXPECT_EQ(call(*bob_, "GET", "/v1/rooms/" + room + "/events/" + id).status, 404u);
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + room + "/events/evt_missing").status, 404u);
  auto other = create(*alice_, "private");
  EXPECT_EQ(call(*alice_, "GET", "/v1/rooms/" + other + "/events/" + id).status, 404u)
      << "events belong to one room";
}

TEST_F(ChatRooms, EveryRouteNeedsAToken) {
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/rooms"},
                                                        {"POST", "/v1/rooms"},
                                                        {"GET", "/v1/rooms/public"},
                                                        {"GET", "/v1/rooms/room_x"},
                                                        {"GET", "/v1/rooms/room_x/members"},
                                                        {"POST", "/v1/rooms/room_x/join"},
                                                        {"POST", "/v1/rooms/room_x/leave"},
                                                        {"POST", "/v1/rooms/room_x/invite"},
                                                        {"PUT", "/v1/rooms/room_x/send/t"},
                                                        {"GET", "/v1/rooms/room_x/events"},
                                                        {"GET", "/v1/rooms/room_x/events/evt_x"},
                                                        {"POST", "/v1/rooms/room_x/kick"},
                                                        {"POST", "/v1/rooms/room_x/ban"},
                                                        {"POST", "/v1/rooms/room_x/unban"},
                                                        {"PUT", "/v1/rooms/room_x/state/name"}}) {
    auto reply = http(server_->port, method, target);
    EXPECT_EQ(reply.status, 401u) << method << " " << target;
    EXPECT_TRUE(reply.header("WWW-Authenticate").starts_with("Bearer")) << target;
  }
}

TEST_F(ChatRooms, RolesDecideWhoMayKickBanAndUnban) {
  auto room = create(*alice_, "public");
  ASSERT_EQ(call(*bob_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  ASSERT_EQ(call(*carol_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  auto path = "/v1/rooms/" + room;
  // A member kicks nobody.
  EXPECT_EQ(call(*bob_, "POST", path + "/kick", json::object{{"user_id", carol_->user_id}}).status, 403u);
  // The owner makes bob an admin; an admin kicks a member but not the owner.
  auto roles =
      call(*alice_, "PUT", path + "/state/roles", json::object{{"value", {{bob_->user_id, "admin"}}}});
  ASSERT_EQ(roles.status, 200u) << roles.body;
  EXPECT_EQ(
      call(*bob_, "PUT", path + "/state/roles", json::object{{"value", {{carol_->user_id, "admin"}}}}).status,
      403u)
      << "only the owner changes roles";
  EXPECT_EQ(call(*bob_, "POST", path + "/kick", json::object{{"user_id", alice_->user_id}}).status, 403u);
  auto kicked =
      call(*bob_, "POST", path + "/kick", json::object{{"user_id", carol_->user_id}, {"reason", "spam"}});
  EXPECT_EQ(kicked.status, 200u) << kicked.body;
  EXPECT_EQ(send(*carol_, room, "after-kick", "hi").status, 403u);
  EXPECT_EQ(call(*bob_, "POST", path + "/kick", json::object{{"user_id", carol_->user_id}}).status, 404u)
      << "not in the room any more";
  // A kicked member may rejoin a public room; a banned one may not.
  EXPECT_EQ(call(*carol_, "POST", path + "/join").status, 200u);
  EXPECT_EQ(call(*bob_, "POST", path + "/ban", json::object{{"user_id", carol_->user_id}}).status, 200u);
  auto rejoin = call(*carol_, "POST", path + "/join");
  EXPECT_EQ(rejoin.status, 403u);
  EXPECT_EQ(code(rejoin), "forbidden");
  EXPECT_EQ(call(*alice_, "POST", path + "/invite", json::object{{"user_id", carol_->user_id}}).status, 403u)
      << "a banned user cannot be invited";
  EXPECT_EQ(call(*bob_, "POST", path + "/unban", json::object{{"user_id", carol_->user_id}}).status, 200u);
  EXPECT_EQ(call(*bob_, "POST", path + "/unban", json::object{{"user_id", carol_->user_id}}).status, 404u);
  EXPECT_EQ(call(*carol_, "POST", path + "/join").status, 200u);
  EXPECT_EQ(call(*alice_, "POST", path + "/kick", json::object{{"user_id", alice_->user_id}}).status, 400u);
  EXPECT_EQ(call(*alice_, "POST", path + "/ban", json::object{{"user_id", "carol"}}).status, 400u);
  // The member events tell the story.
  auto events =
      json::parse(call(*alice_, "GET", path + "/events?dir=f&limit=500").body).at("events").as_array();
  std::vector<std::string> carols;
  for (const auto& e : events) {
    if (e.at("type").as_string() == "member" &&
        e.at("content").at("user_id").as_string() == carol_->user_id) {
      carols.emplace_back(e.at("content").at("membership").as_string());
    }
  }
  EXPECT_EQ(carols, (std::vector<std::string>{"join", "leave", "join", "ban", "leave", "join"}));
}

TEST_F(ChatRooms, StateChangesNameTopicAndRoles) {
  auto room = create(*alice_, "private", json::array{bob_->user_id});
  ASSERT_EQ(call(*bob_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  auto path = "/v1/rooms/" + room + "/state/";
  auto named = call(*alice_, "PUT", path + "name", json::object{{"value", "Renamed"}});
  ASSERT_EQ(named.status, 200u) << named.body;
  EXPECT_TRUE(json::parse(named.body).as_object().contains("seq"));
  EXPECT_EQ(json::parse(call(*bob_, "GET", "/v1/rooms/" + room).body).at("name").as_string(), "Renamed");
  EXPECT_EQ(call(*bob_, "PUT", path + "topic", json::object{{"value", "mine now"}}).status, 403u)
      << "members do not";
  EXPECT_EQ(call(*alice_, "PUT", path + "topic", json::object{{"value", 5}}).status, 400u);
  EXPECT_EQ(call(*alice_, "PUT", path + "name", json::object{{"value", ""}}).status, 400u);
  EXPECT_EQ(call(*alice_, "PUT", path + "colour", json::object{{"value", "red"}}).status, 400u);
  EXPECT_EQ(call(*alice_, "PUT", path + "name", json::object{}).status, 400u);
  EXPECT_EQ(call(*alice_, "PUT", path + "roles", json::object{{"value", {{bob_->user_id, "owner"}}}}).status,
            400u);
  EXPECT_EQ(
      call(*alice_, "PUT", path + "roles", json::object{{"value", {{carol_->user_id, "admin"}}}}).status,
      400u)
      << "not a member";
  EXPECT_EQ(
      call(*alice_, "PUT", path + "roles", json::object{{"value", {{alice_->user_id, "member"}}}}).status,
      400u)
      << "the owner stays owner";
  ASSERT_EQ(call(*alice_, "PUT", path + "roles", json::object{{"value", {{bob_->user_id, "admin"}}}}).status,
            200u);
  EXPECT_EQ(call(*bob_, "PUT", path + "topic", json::object{{"value", "admins may"}}).status, 200u);
  auto members =
      json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/members").body).at("members").as_array();
  for (const auto& m : members) {
    if (m.at("user_id").as_string() != bob_->user_id) continue;
    EXPECT_EQ(m.at("role").as_string(), "admin");
  }
  EXPECT_EQ(call(*carol_, "PUT", path + "name", json::object{{"value", "x"}}).status, 404u)
      << "outsiders see nothing";
}

TEST_F(ChatRooms, RoomCreationValidatesItsInput) {
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{}).status, 400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{{"name", ""}}).status, 400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{{"name", "x"}, {"visibility", "secret"}}).status,
            400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{{"name", "x"}, {"invite", "usr_x"}}).status,
            400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{{"name", "x"}, {"invite", {"bob"}}}).status,
            400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/rooms", json::object{{"name", std::string(300, 'n')}}).status, 400u);
}

// --- redaction and receipts ---------------------------------------------------------

TEST_F(ChatRooms, RedactionErasesContentKeepsThePlaceAndFollowsRoles) {
  auto room = create(*alice_, "public");
  for (auto* who : {bob_, carol_}) ASSERT_EQ(call(*who, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  auto id_of = [](const Reply& r) { return std::string(json::parse(r.body).at("event_id").as_string()); };
  auto bobs = id_of(send(*bob_, room, "r1", "oops"));
  auto alices = id_of(send(*alice_, room, "r2", "owner speaking"));
  auto redact = [&](const Account& who, const std::string& event, const json::value& body = json::object{}) {
    return call(who, "POST", "/v1/rooms/" + room + "/events/" + event + "/redact", body);
  };

  EXPECT_EQ(redact(*carol_, bobs).status, 403u) << "a member redacts only their own events";
  EXPECT_EQ(redact(*bob_, alices).status, 403u) << "not the owner's";
  auto done = redact(*alice_, bobs, json::object{{"reason", "spam"}});
  ASSERT_EQ(done.status, 200u) << done.body;
  auto redaction = json::parse(done.body);
  EXPECT_EQ(id_of(redact(*alice_, bobs)), redaction.at("event_id").as_string())
      << "redacting twice appends nothing";

  auto erased = json::parse(call(*carol_, "GET", "/v1/rooms/" + room + "/events/" + bobs).body);
  EXPECT_EQ(erased.at("content"), json::object{});
  EXPECT_EQ(erased.at("redacted_by"), redaction.at("event_id"));
  EXPECT_EQ(erased.at("type"), "message") << "the event keeps its place and type";
  auto record =
      json::parse(call(*carol_, "GET",
                       "/v1/rooms/" + room + "/events/" + std::string(redaction.at("event_id").as_string()))
                      .body);
  EXPECT_EQ(record.at("type"), "redaction");
  EXPECT_EQ(record.at("content").at("event_id").as_string(), bobs);
  EXPECT_EQ(record.at("content").at("reason"), "spam");
  EXPECT_EQ(record.at("seq").as_int64(), redaction.at("seq").as_int64());

  auto carols = id_of(send(*carol_, room, "r3", "mine to take back"));
  EXPECT_EQ(redact(*carol_, carols).status, 200u) << "one's own event";
  auto history =
      json::parse(call(*alice_, "GET", "/v1/rooms/" + room + "/events?dir=f").body).at("events").as_array();
  auto state = std::find_if(history.begin(), history.end(),
                            [](const json::value& e) { return e.at("type") == "state"; });
  ASSERT_NE(state, history.end());
  EXPECT_EQ(redact(*alice_, std::string(state->at("event_id").as_string())).status, 400u);
  EXPECT_EQ(redact(*alice_, "evt_doesnotexist").status, 404u);
  EXPECT_EQ(redact(*dave_, alices).status, 403u) << "a non-member of a public room";
  EXPECT_EQ(redact(*alice_, alices, json::object{{"reason", 5}}).status, 400u);
}

TEST_F(ChatRooms, ReceiptsMoveTheReadMarkerForwardAndSetUnread) {
  auto room = create(*alice_, "public");
  ASSERT_EQ(call(*alice_, "PUT", "/v1/rooms/" + room + "/send/before",
                 json::object{{"type", "message"}, {"content", {{"body", "old"}}}})
                .status,
            200u);
  ASSERT_EQ(call(*bob_, "POST", "/v1/rooms/" + room + "/join").status, 200u);
  auto unread_of = [&](const Account& who) {
    auto rooms = json::parse(call(who, "GET", "/v1/rooms").body).at("rooms").as_array();
    for (const auto& r : rooms) {
      if (r.at("room_id").as_string() == room) return r.at("unread").as_int64();
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(unread_of(*bob_), 0) << "what was said before joining is not unread";
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.emplace_back(
        json::parse(send(*alice_, room, "u" + std::to_string(i), "m").body).at("event_id").as_string());
  ASSERT_EQ(call(*alice_, "PUT", "/v1/rooms/" + room + "/send/react",
                 json::object{{"type", "reaction"}, {"content", {{"event_id", ids[0]}, {"key", "+1"}}}})
                .status,
            200u);
  EXPECT_EQ(unread_of(*bob_), 3) << "messages only";
  EXPECT_EQ(unread_of(*alice_), 0) << "one's own messages are read";

  auto receipt = [&](const Account& who, const std::string& event) {
    return call(who, "POST", "/v1/rooms/" + room + "/receipt", json::object{{"event_id", event}});
  };
  auto moved = receipt(*bob_, ids[1]);
  ASSERT_EQ(moved.status, 200u) << moved.body;
  EXPECT_EQ(json::parse(moved.body).at("unread"), 1);
  EXPECT_EQ(unread_of(*bob_), 1);
  EXPECT_EQ(json::parse(receipt(*bob_, ids[0]).body).at("unread"), 1) << "the marker never moves back";
  ASSERT_EQ(send(*bob_, room, "reply", "read it all").status, 200u);
  EXPECT_EQ(unread_of(*bob_), 0) << "speaking marks the room read";

  EXPECT_EQ(receipt(*bob_, "evt_doesnotexist").status, 400u);
  EXPECT_EQ(call(*bob_, "POST", "/v1/rooms/" + room + "/receipt", json::object{}).status, 400u);
  EXPECT_EQ(receipt(*carol_, ids[0]).status, 403u) << "not a member of the public room";
  auto other = create(*alice_, "private");
  EXPECT_EQ(receipt(*bob_, ids[0]).status, 200u);
  EXPECT_EQ(call(*bob_, "POST", "/v1/rooms/" + other + "/receipt", json::object{{"event_id", ids[0]}}).status,
            404u);
}

}  // namespace
}  // namespace bartab::testing
