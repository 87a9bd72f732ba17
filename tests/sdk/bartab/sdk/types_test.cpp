// JSON parsing of the API's shapes from fixed answers, and refusal of broken ones.
#include "bartab/sdk/types.hpp"

#include <gtest/gtest.h>

namespace bartab::sdk {
namespace {

namespace json = boost::json;

constexpr const char* kEvent = R"({"event_id":"evt_1","room_id":"room_1","seq":7,"sender":"usr_a",
  "type":"message","content":{"body":"hi","reply_to":"evt_0"},"ts":1700000000000,"txn_id":"t1"})";

TEST(SdkTypes, ParsesAnEvent) {
  auto event = event_from_json(json::parse(kEvent));
  EXPECT_EQ(event.event_id, "evt_1");
  EXPECT_EQ(event.room_id, "room_1");
  EXPECT_EQ(event.seq, 7);
  EXPECT_EQ(event.sender, "usr_a");
  EXPECT_EQ(event.type, "message");
  EXPECT_EQ(event.content.at("body").as_string(), "hi");
  EXPECT_EQ(event.ts, 1700000000000);
  EXPECT_EQ(event.txn_id, "t1");
  EXPECT_EQ(event.redacted_by, std::nullopt);
}

TEST(SdkTypes, ParsesARedactedEventWithoutTxnId) {
  auto event = event_from_json(json::parse(R"({"event_id":"evt_1","room_id":"r","seq":1,"sender":"u",
    "type":"message","content":{},"ts":1,"redacted_by":"evt_9"})"));
  EXPECT_TRUE(event.content.empty());
  EXPECT_EQ(event.redacted_by, "evt_9");
  EXPECT_EQ(event.txn_id, std::nullopt);
}

TEST(SdkTypes, RefusesAnEventWithAMissingOrMistypedField) {
  EXPECT_THROW(event_from_json(json::parse(R"({"event_id":"evt_1"})")), std::invalid_argument);
  EXPECT_THROW(event_from_json(json::parse(R"({"event_id":"e","room_id":"r","seq":"7","sender":"u",
    "type":"message","content":{},"ts":1})")),
               std::invalid_argument);
  EXPECT_THROW(event_from_json(json::parse("[]")), std::invalid_argument);
}

TEST(SdkTypes, ParsesAnIncrementalSyncAnswer) {
  auto text = std::string(R"({"next":"tok2","rooms":{"room_1":{"membership":"join","events":[)") + kEvent +
              R"(],"limited":true,"prev":"p1","unread":3,"typing":["usr_b"],
      "summary":{"name":"Lobby","topic":"","member_count":2}}},
    "invites":{"room_2":{"inviter":"usr_c","name":"Secret"}},"left":["room_3"]})";
  auto sync = sync_from_json(json::parse(text));
  EXPECT_EQ(sync.next, "tok2");
  ASSERT_EQ(sync.rooms.size(), 1u);
  const auto& room = sync.rooms.at("room_1");
  EXPECT_EQ(room.membership, "join");
  ASSERT_EQ(room.events.size(), 1u);
  EXPECT_EQ(room.events[0].event_id, "evt_1");
  EXPECT_TRUE(room.limited);
  EXPECT_EQ(room.prev, "p1");
  EXPECT_EQ(room.unread, 3);
  EXPECT_EQ(room.typing, std::vector<std::string>{"usr_b"});
  EXPECT_EQ(room.summary.name, "Lobby");
  EXPECT_EQ(room.summary.member_count, 2);
  EXPECT_EQ(sync.invites.at("room_2").inviter, "usr_c");
  EXPECT_EQ(sync.invites.at("room_2").name, "Secret");
  EXPECT_EQ(sync.left, std::vector<std::string>{"room_3"});
}

TEST(SdkTypes, ParsesAnEmptySyncAnswer) {
  auto sync = sync_from_json(json::parse(R"({"next":"tok","rooms":{},"invites":{},"left":[]})"));
  EXPECT_EQ(sync.next, "tok");
  EXPECT_TRUE(sync.rooms.empty());
  EXPECT_THROW(sync_from_json(json::parse(R"({"rooms":{}})")), std::invalid_argument);
}

TEST(SdkTypes, ParsesTokenAnswersWithAndWithoutRefreshToken) {
  auto now = std::chrono::system_clock::now();
  auto user = session_from_json(json::parse(R"({"access_token":"a","token_type":"Bearer","expires_in":900,
    "refresh_token":"r","scope":"chat media","user_id":"usr_a"})"),
                                now);
  EXPECT_EQ(user.user_id, "usr_a");
  EXPECT_EQ(user.refresh_token, "r");
  EXPECT_EQ(user.expires_at, now + std::chrono::seconds(900));
  auto bot = session_from_json(json::parse(R"({"access_token":"a","expires_in":60,"user_id":"usr_b"})"), now);
  EXPECT_EQ(bot.refresh_token, std::nullopt);
  EXPECT_EQ(bot.lifetime, std::chrono::seconds(60));
}

TEST(SdkTypes, ParsesMediaRoomsAndHistory) {
  auto media = media_from_json(json::parse(R"({"media_id":"med_1","content_type":"image/png","size":10,
    "sha256":"ab","width":4,"height":3})"));
  EXPECT_EQ(media.width, 4);
  EXPECT_EQ(media.height, 3);
  auto room = room_from_json(json::parse(R"({"room_id":"room_1","name":"L","topic":null,"visibility":"public",
    "membership":null,"member_count":5})"));
  EXPECT_EQ(room.membership, std::nullopt);
  EXPECT_EQ(room.topic, "");
  EXPECT_EQ(room.member_count, 5);
  auto page = history_from_json(json::parse(std::string(R"({"events":[)") + kEvent + "]}"));
  EXPECT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.next, std::nullopt);
}

}  // namespace
}  // namespace bartab::sdk
