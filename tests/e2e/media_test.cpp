// The media service over HTTP on a real `bartab up`: streamed uploads with their
// limits, sniffing, deduplication, downloads with every caching header, ranges,
// signed links, thumbnails (and the images they refuse), and deletion.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "core/crypto/crypto.hpp"
#include "e2e/chat_fixture.hpp"
#include "e2e/harness.hpp"
#include "support/png.hpp"
#include "support/test_client.hpp"

namespace bartab::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kMaxUpload = 1 << 20;
constexpr std::size_t kQuota = 5 << 20;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(generator() & 0xff);
  return out;
}

std::size_t files_under(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
  return n;
}

class Media : public ChatFixture {
 protected:
  static void SetUpTestSuite() {
    start({"--set", "media.max_upload_bytes=" + std::to_string(kMaxUpload), "--set",
           "media.quota_bytes=" + std::to_string(kQuota)});
  }
  static void TearDownTestSuite() { stop(); }

  static fs::path media_dir() { return server_->data.path() / "media"; }

  static Reply upload(const Account& who, const std::string& bytes, const std::string& type,
                      const std::string& query = "") {
    Headers headers{{"Authorization", "Bearer " + who.token}};
    if (!type.empty()) headers.emplace_back("Content-Type", type);
    return http(server_->port, "POST", "/v1/media" + query, headers, bytes);
  }

  static json::object uploaded(const Account& who, const std::string& bytes, const std::string& type,
                               const std::string& query = "") {
    auto reply = upload(who, bytes, type, query);
    EXPECT_EQ(reply.status, 201u) << reply.body;
    return json::parse(reply.body).as_object();
  }

  static std::string id_of(const json::object& record) {
    return std::string(record.at("media_id").as_string());
  }

  static Reply get(const Account& who, const std::string& target, Headers extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + who.token);
    return http(server_->port, "GET", target, extra);
  }

  // Waits (briefly) until no upload is in progress on disk.
  static bool temp_files_gone() {
    for (int i = 0; i < 50; ++i) {
      if (files_under(media_dir() / "tmp") == 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // A signed link's path and query, relative to the server.
  static std::string link_target(const Account& who, const std::string& id, std::int64_t expires_in = 0) {
    json::object body;
    if (expires_in > 0) body["expires_in"] = expires_in;
    auto reply = call(who, "POST", "/v1/media/" + id + "/link", body);
    EXPECT_EQ(reply.status, 200u) << reply.body;
    std::string url(json::parse(reply.body).at("url").as_string());
    auto path = url.find("/v1/media/");
    EXPECT_NE(path, std::string::npos) << url;
    return url.substr(path);
  }
};

// --- uploads -----------------------------------------------------------------------

TEST_F(Media, UploadAnswersTheRecordAndTheBytesComeBackIdentical) {
  auto bytes = random_bytes(300000, 1);
  auto record = uploaded(*alice_, bytes, "application/octet-stream", "?name=report.bin");
  auto id = id_of(record);
  EXPECT_EQ(id.rfind("med_", 0), 0u) << id;
  EXPECT_EQ(record.at("size").as_int64(), 300000);
  EXPECT_EQ(record.at("sha256").as_string(), core::crypto::sha256_hex(bytes));
  EXPECT_EQ(record.at("content_type").as_string(), "application/octet-stream");
  EXPECT_FALSE(record.contains("width"));

  auto reply = get(*bob_, "/v1/media/" + id);
  ASSERT_EQ(reply.status, 200u) << "any signed-in user reads any media by id";
  EXPECT_EQ(reply.body, bytes);
  EXPECT_EQ(reply.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(reply.header("Content-Length"), "300000");
  EXPECT_EQ(reply.header("ETag"), "\"" + core::crypto::sha256_hex(bytes) + "\"");
  EXPECT_EQ(reply.header("Cache-Control").rfind("private", 0), 0u) << reply.header("Cache-Control");
  EXPECT_EQ(reply.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(reply.header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(reply.header("Content-Security-Policy").find("sandbox"), std::string::npos);
  EXPECT_EQ(reply.header("Content-Disposition").rfind("attachment", 0), 0u);
  EXPECT_NE(reply.header("Content-Disposition").find("filename=\"report.bin\""), std::string::npos)
      << reply.header("Content-Disposition");
  EXPECT_TRUE(temp_files_gone());
}

TEST_F(Media, ChunkedUploadWithoutContentLengthIsStreamedToo) {
  auto bytes = random_bytes(200000, 2);
  TestClient client(server_->port);
  client.send_raw("POST /v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice_->token +
                  "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (std::size_t at = 0; at < bytes.size(); at += 70000) {
    auto piece = bytes.substr(at, 70000);
    std::ostringstream size;
    size << std::hex << piece.size();
    client.send_raw(size.str() + "\r\n" + piece + "\r\n");
  }
  client.send_raw("0\r\n\r\n");
  auto reply = client.read_reply();
  ASSERT_EQ(reply.status, 201u) << reply.body;
  auto record = json::parse(reply.body);
  EXPECT_EQ(record.at("size").as_int64(), 200000);
  EXPECT_EQ(record.at("sha256").as_string(), core::crypto::sha256_hex(bytes));
  EXPECT_EQ(get(*alice_, "/v1/media/" + std::string(record.at("media_id").as_string())).body, bytes);
}

TEST_F(Media, UploadOverTheSizeLimitIs413WithContentLengthAndLeavesNothing) {
  auto blobs = files_under(media_dir() / "blobs");
  auto reply = upload(*alice_, random_bytes(kMaxUpload + 1, 3), "application/octet-stream");
  EXPECT_EQ(reply.status, 413u) << reply.body;
  EXPECT_EQ(code(reply), "payload_too_large");
  EXPECT_EQ(upload(*alice_, random_bytes(kMaxUpload, 4), "application/octet-stream").status, 201u)
      << "exactly the limit is fine";
  EXPECT_TRUE(temp_files_gone());
  EXPECT_EQ(files_under(media_dir() / "blobs"), blobs + 1);
}

TEST_F(Media, ChunkedUploadOverTheSizeLimitIs413WhileStreaming) {
  auto blobs = files_under(media_dir() / "blobs");
  TestClient client(server_->port);
  client.send_raw("POST /v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice_->token +
                  "\r\nTransfer-Encoding: chunked\r\n\r\n");
  auto piece = random_bytes(0x10000, 5);
  try {
    for (std::size_t sent = 0; sent <= kMaxUpload; sent += piece.size())
      client.send_raw("10000\r\n" + piece + "\r\n");
    client.send_raw("0\r\n\r\n");
  } catch (const std::exception&) {
    // The server may stop reading once it has answered; the answer is still there.
  }
  auto reply = client.read_reply();
  EXPECT_EQ(reply.status, 413u) << reply.body;
  EXPECT_EQ(code(reply), "payload_too_large");
  EXPECT_TRUE(temp_files_gone());
  EXPECT_EQ(files_under(media_dir() / "blobs"), blobs);
}

TEST_F(Media, AnUploadAbortedMidwayLeavesNothingBehind) {
  auto blobs = files_under(media_dir() / "blobs");
  {
    TestClient client(server_->port);
    client.send_raw("POST /v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice_->token +
                    "\r\nContent-Length: 500000\r\n\r\n" + random_bytes(100000, 6));
    std::this_thread::sleep_for(200ms);  // the server is writing the upload to disk
  }                                      // the client goes away with 400000 bytes unsent
  EXPECT_TRUE(temp_files_gone());
  EXPECT_EQ(files_under(media_dir() / "blobs"), blobs);
  EXPECT_EQ(http(server_->port, "GET", "/healthz").status, 200u);
}

TEST_F(Media, TheQuotaCountsEveryUploadAndDeletingFreesIt) {
  auto quota_user = signup("quota-user");
  std::vector<std::string> ids;
  std::size_t used = 0;
  for (unsigned i = 0; used + kMaxUpload <= kQuota; ++i, used += kMaxUpload) {
    ids.push_back(id_of(uploaded(quota_user, random_bytes(kMaxUpload, 100 + i), "application/octet-stream")));
  }
  auto over = upload(quota_user, random_bytes(kMaxUpload, 99), "application/octet-stream");
  EXPECT_EQ(over.status, 413u) << over.body;
  EXPECT_EQ(code(over), "payload_too_large");
  EXPECT_NE(over.body.find("quota"), std::string::npos) << over.body;
  auto same_bytes_again = upload(quota_user, random_bytes(kMaxUpload, 100), "application/octet-stream");
  EXPECT_EQ(same_bytes_again.status, 413u) << "deduplicated bytes still count for their uploader";
  EXPECT_EQ(upload(*bob_, random_bytes(1000, 98), "text/plain").status, 201u) << "quotas are per user";

  EXPECT_EQ(call(quota_user, "DELETE", "/v1/media/" + ids.front()).status, 204u);
  EXPECT_EQ(upload(quota_user, random_bytes(kMaxUpload, 97), "application/octet-stream").status, 201u);
  EXPECT_TRUE(temp_files_gone());
}

TEST_F(Media, UploadNeedsATokenWithTheMediaScopeAndSaneParameters) {
  auto anonymous = http(server_->port, "POST", "/v1/media", {{"Content-Type", "text/plain"}}, "hello");
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_FALSE(anonymous.header("WWW-Authenticate").empty());
  EXPECT_EQ(upload(*alice_, "x", "not a type").status, 400u);
  EXPECT_EQ(upload(*alice_, "x", "text/plain", "?visibility=world").status, 400u);
  EXPECT_EQ(upload(*alice_, "x", "text/plain", "?name=..").status, 400u);
  EXPECT_EQ(upload(*alice_, "x", "text/plain", "?name=a%00b").status, 400u);
  EXPECT_EQ(upload(*alice_, "x", "text/plain", "?name=" + std::string(300, 'a')).status, 400u);
  auto traversal = uploaded(*alice_, "x", "text/plain", "?name=..%2F..%2Fetc%2Fpasswd");
  EXPECT_EQ(traversal.at("name").as_string(), "passwd") << "a name is metadata, its path parts dropped";
  EXPECT_TRUE(temp_files_gone());
}

// --- type sniffing -----------------------------------------------------------------

TEST_F(Media, SniffedTypeWinsWhenTheBytesAreSomethingElse) {
  auto html = uploaded(*alice_, "<!DOCTYPE html><script>alert(1)</script>", "image/png");
  EXPECT_EQ(html.at("content_type").as_string(), "text/html");
  auto page = get(*alice_, "/v1/media/" + id_of(html));
  EXPECT_EQ(page.header("Content-Type"), "text/html");
  EXPECT_EQ(page.header("Content-Disposition").rfind("attachment", 0), 0u) << "active content never inline";

  auto png = uploaded(*alice_, make_png(40, 30), "text/plain");
  EXPECT_EQ(png.at("content_type").as_string(), "image/png");
  EXPECT_EQ(png.at("width").as_int64(), 40);
  EXPECT_EQ(png.at("height").as_int64(), 30);
  auto image = get(*alice_, "/v1/media/" + id_of(png));
  EXPECT_EQ(image.header("Content-Disposition").rfind("inline", 0), 0u);

  auto svg = uploaded(*alice_, "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
                      "image/png");
  EXPECT_EQ(svg.at("content_type").as_string(), "image/svg+xml");
  EXPECT_EQ(get(*alice_, "/v1/media/" + id_of(svg)).header("Content-Disposition").rfind("attachment", 0), 0u);

  auto text = uploaded(*alice_, "just words", "text/plain; charset=UTF-8");
  EXPECT_EQ(text.at("content_type").as_string(), "text/plain; charset=utf-8")
      << "unrecognised: declared kept";
  auto none = uploaded(*alice_, random_bytes(100, 7), "");
  EXPECT_EQ(none.at("content_type").as_string(), "application/octet-stream");
}

// --- deduplication and deletion ------------------------------------------------------

TEST_F(Media, SameBytesShareOneBlobThatGoesWithTheLastReference) {
  auto bytes = random_bytes(5000, 8);
  auto sha = core::crypto::sha256_hex(bytes);
  auto blob = media_dir() / "blobs" / sha.substr(0, 2) / sha;
  auto first = id_of(uploaded(*alice_, bytes, "application/octet-stream"));
  auto second = id_of(uploaded(*bob_, bytes, "application/octet-stream"));
  EXPECT_NE(first, second);
  EXPECT_TRUE(fs::exists(blob));

  auto forbidden = call(*bob_, "DELETE", "/v1/media/" + first);
  EXPECT_EQ(forbidden.status, 403u) << "only the uploader or an admin deletes";
  EXPECT_EQ(call(*alice_, "DELETE", "/v1/media/" + first).status, 204u);
  EXPECT_EQ(get(*alice_, "/v1/media/" + first).status, 404u);
  EXPECT_EQ(call(*alice_, "DELETE", "/v1/media/" + first).status, 404u);
  EXPECT_TRUE(fs::exists(blob)) << "bob's upload still refers to the blob";
  EXPECT_EQ(get(*alice_, "/v1/media/" + second).body, bytes);

  EXPECT_EQ(call(*bob_, "DELETE", "/v1/media/" + second).status, 204u);
  EXPECT_FALSE(fs::exists(blob));
}

TEST_F(Media, AnAdminDeletesAnyonesMedia) {
  static const std::regex line(R"(admin invite: (\S+))");
  std::smatch match;
  auto out = server_->process.output();
  ASSERT_TRUE(std::regex_search(out, match, line)) << out;
  json::object body{{"username", "root"}, {"password", "correct horse"}, {"invite", match[1].str()}};
  auto reply = http(server_->port, "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                    json::serialize(body));
  ASSERT_EQ(reply.status, 201u) << reply.body;
  Account admin{std::string(json::parse(reply.body).at("user_id").as_string()),
                std::string(json::parse(reply.body).at("access_token").as_string())};
  auto id = id_of(uploaded(*carol_, "carol's file", "text/plain"));
  EXPECT_EQ(call(admin, "DELETE", "/v1/media/" + id).status, 204u);
  EXPECT_EQ(get(*carol_, "/v1/media/" + id).status, 404u);
}

// --- reading: access, caching, conditionals, ranges ----------------------------------

TEST_F(Media, PrivateMediaNeedsATokenAndUnknownIdsAre404) {
  auto id = id_of(uploaded(*alice_, "secret", "text/plain"));
  auto anonymous = http(server_->port, "GET", "/v1/media/" + id);
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_EQ(code(anonymous), "unauthorized");
  EXPECT_EQ(http(server_->port, "GET", "/v1/media/" + id, {{"Authorization", "Bearer nope"}}).status, 401u);
  EXPECT_EQ(get(*alice_, "/v1/media/med_doesnotexist").status, 404u);
  for (const char* path :
       {"/v1/media/..%2F..%2Fetc%2Fpasswd", "/v1/media/%2e%2e", "/v1/media/../../etc/passwd",
        "/v1/media/med_x%00", "/v1/media/..%2Fmedia.db/thumbnail?width=10&height=10"}) {
    auto reply = get(*alice_, path);
    EXPECT_GE(reply.status, 400u) << path;
    EXPECT_LT(reply.status, 500u) << path;
  }
}

TEST_F(Media, PublicMediaIsReadableByAnyoneAndCachedForGood) {
  auto id = id_of(uploaded(*alice_, make_png(8, 8), "image/png", "?visibility=public&name=avatar.png"));
  auto reply = http(server_->port, "GET", "/v1/media/" + id);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(reply.header("Content-Disposition"), "inline; filename=\"avatar.png\"");
}

TEST_F(Media, ConditionalRequestsAndHeadAnswerWithoutTheBody) {
  auto bytes = random_bytes(1000, 9);
  auto id = id_of(uploaded(*alice_, bytes, "application/octet-stream"));
  auto etag = "\"" + core::crypto::sha256_hex(bytes) + "\"";
  auto not_modified = get(*alice_, "/v1/media/" + id, {{"If-None-Match", "\"other\", " + etag}});
  EXPECT_EQ(not_modified.status, 304u);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(not_modified.header("ETag"), etag);
  EXPECT_FALSE(not_modified.header("Cache-Control").empty());
  EXPECT_EQ(get(*alice_, "/v1/media/" + id, {{"If-None-Match", "W/" + etag}}).status, 304u);
  EXPECT_EQ(get(*alice_, "/v1/media/" + id, {{"If-None-Match", "*"}}).status, 304u);
  EXPECT_EQ(get(*alice_, "/v1/media/" + id, {{"If-None-Match", "\"something-else\""}}).status, 200u);

  auto head = http(server_->port, "HEAD", "/v1/media/" + id, {{"Authorization", "Bearer " + alice_->token}});
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("Content-Length"), "1000");
  EXPECT_EQ(head.header("ETag"), etag);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(Media, SingleRangesAre206AndUnsatisfiableOnes416) {
  auto bytes = random_bytes(1000, 10);
  auto id = id_of(uploaded(*alice_, bytes, "application/octet-stream"));
  auto target = "/v1/media/" + id;
  auto first = get(*alice_, target, {{"Range", "bytes=0-9"}});
  EXPECT_EQ(first.status, 206u);
  EXPECT_EQ(first.body, bytes.substr(0, 10));
  EXPECT_EQ(first.header("Content-Range"), "bytes 0-9/1000");
  EXPECT_EQ(first.header("Content-Length"), "10");

  auto tail = get(*alice_, target, {{"Range", "bytes=-5"}});
  EXPECT_EQ(tail.status, 206u);
  EXPECT_EQ(tail.body, bytes.substr(995));
  auto open_ended = get(*alice_, target, {{"Range", "bytes=990-"}});
  EXPECT_EQ(open_ended.body, bytes.substr(990));
  EXPECT_EQ(open_ended.header("Content-Range"), "bytes 990-999/1000");
  EXPECT_EQ(get(*alice_, target, {{"Range", "bytes=998-5000"}}).body, bytes.substr(998));

  auto beyond = get(*alice_, target, {{"Range", "bytes=1000-"}});
  EXPECT_EQ(beyond.status, 416u);
  EXPECT_EQ(code(beyond), "range_not_satisfiable");
  EXPECT_EQ(beyond.header("Content-Range"), "bytes */1000");

  EXPECT_EQ(get(*alice_, target, {{"Range", "bytes=0-1,5-6"}}).status, 200u) << "several ranges: the whole";
  EXPECT_EQ(get(*alice_, target, {{"Range", "lines=1-2"}}).status, 200u);
  EXPECT_EQ(get(*alice_, target, {{"Range", "bytes=0-9"}, {"If-Range", "\"stale\""}}).status, 200u);
  auto etag = "\"" + core::crypto::sha256_hex(bytes) + "\"";
  EXPECT_EQ(get(*alice_, target, {{"Range", "bytes=0-9"}, {"If-Range", etag}}).status, 206u);
}

TEST_F(Media, LargeDownloadsStreamWhole) {
  auto bytes = random_bytes(kMaxUpload, 11);
  auto id = id_of(uploaded(*alice_, bytes, "video/mp4"));
  auto reply = get(*alice_, "/v1/media/" + id);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body.size(), bytes.size());
  EXPECT_TRUE(reply.body == bytes);
}

// --- signed links --------------------------------------------------------------------

TEST_F(Media, SignedLinksOpenPrivateMediaWithoutATokenUntilTheyExpire) {
  auto bytes = make_png(64, 48);
  auto id = id_of(uploaded(*alice_, bytes, "image/png"));
  auto target = link_target(*bob_, id);
  auto reply = http(server_->port, "GET", target);
  ASSERT_EQ(reply.status, 200u) << target;
  EXPECT_EQ(reply.body, bytes);
  auto cache = reply.header("Cache-Control");
  EXPECT_EQ(cache.rfind("private, max-age=", 0), 0u) << cache;
  EXPECT_LE(std::stoi(cache.substr(17)), 3600);

  auto thumb = http(server_->port, "GET",
                    std::regex_replace(target, std::regex("/v1/media/([^?]+)\\?"),
                                       "/v1/media/$1/thumbnail?width=16&height=16&"));
  EXPECT_EQ(thumb.status, 200u) << "a link opens the media's thumbnails too";
  EXPECT_EQ(thumb.header("Content-Type"), "image/png");

  auto short_lived = link_target(*alice_, id, 1);
  std::this_thread::sleep_for(2100ms);
  auto expired = http(server_->port, "GET", short_lived);
  EXPECT_EQ(expired.status, 403u);
  EXPECT_EQ(code(expired), "forbidden");
}

TEST_F(Media, AlteredLinksAre403) {
  auto id = id_of(uploaded(*alice_, "linked", "text/plain"));
  auto other = id_of(uploaded(*alice_, "other", "text/plain"));
  auto target = link_target(*alice_, id);
  std::smatch parts;
  ASSERT_TRUE(std::regex_search(target, parts, std::regex("exp=(\\d+)&sig=([A-Za-z0-9_-]+)")));
  auto exp = parts[1].str();
  auto sig = parts[2].str();
  auto later = std::to_string(std::stoll(exp) + 100000);
  auto flipped = sig;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  for (const auto& bad :
       {"/v1/media/" + id + "?exp=" + later + "&sig=" + sig,
        "/v1/media/" + id + "?exp=" + exp + "&sig=" + flipped,
        "/v1/media/" + other + "?exp=" + exp + "&sig=" + sig, "/v1/media/" + id + "?exp=" + exp,
        "/v1/media/" + id + "?sig=" + sig, "/v1/media/" + id + "?exp=-5&sig=" + sig,
        "/v1/media/" + id + "?exp=" + exp + "&sig="}) {
    auto reply = http(server_->port, "GET", bad);
    EXPECT_EQ(reply.status, 403u) << bad;
  }
  EXPECT_EQ(http(server_->port, "GET", target).status, 200u);
}

TEST_F(Media, LinkLifetimesAreBounded) {
  auto id = id_of(uploaded(*alice_, "bounded", "text/plain"));
  for (std::int64_t bad : {0, -1, 604801}) {
    EXPECT_EQ(call(*alice_, "POST", "/v1/media/" + id + "/link", json::object{{"expires_in", bad}}).status,
              400u)
        << bad;
  }
  EXPECT_EQ(call(*alice_, "POST", "/v1/media/" + id + "/link", json::object{{"expires_in", "soon"}}).status,
            400u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/media/" + id + "/link", json::object{{"expires_in", 604800}}).status,
            200u);
  auto plain = http(server_->port, "POST", "/v1/media/" + id + "/link",
                    {{"Authorization", "Bearer " + alice_->token}});
  EXPECT_EQ(plain.status, 200u) << "an empty body takes the default lifetime";
  EXPECT_EQ(http(server_->port, "POST", "/v1/media/" + id + "/link").status, 401u);
  EXPECT_EQ(call(*alice_, "POST", "/v1/media/med_nothing/link", json::object{}).status, 404u);
}

// --- thumbnails ----------------------------------------------------------------------

TEST_F(Media, ThumbnailsScaleWithinTheBoxAndCropToIt) {
  auto id = id_of(uploaded(*alice_, make_png(400, 300), "image/png"));
  auto scaled = get(*alice_, "/v1/media/" + id + "/thumbnail?width=100&height=100&method=scale");
  ASSERT_EQ(scaled.status, 200u) << scaled.body;
  EXPECT_EQ(scaled.header("Content-Type"), "image/png");
  EXPECT_EQ(png_size(scaled.body), std::make_pair(100u, 75u));
  EXPECT_EQ(scaled.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(scaled.header("Cache-Control").rfind("private", 0), 0u);
  EXPECT_FALSE(scaled.header("ETag").empty());

  auto cropped = get(*alice_, "/v1/media/" + id + "/thumbnail?width=50&height=50&method=crop");
  ASSERT_EQ(cropped.status, 200u) << cropped.body;
  EXPECT_EQ(png_size(cropped.body), std::make_pair(50u, 50u));

  auto again = get(*alice_, "/v1/media/" + id + "/thumbnail?width=100&height=100&method=scale");
  EXPECT_EQ(again.body, scaled.body) << "served from the cache";
  EXPECT_EQ(again.header("ETag"), scaled.header("ETag"));
  EXPECT_EQ(get(*alice_, "/v1/media/" + id + "/thumbnail?width=100&height=100",
                {{"If-None-Match", scaled.header("ETag")}})
                .status,
            304u);
  auto bigger = get(*alice_, "/v1/media/" + id + "/thumbnail?width=1000&height=1000");
  EXPECT_EQ(png_size(bigger.body), std::make_pair(400u, 300u)) << "never upscaled";
}

TEST_F(Media, ThumbnailsRefuseBadSizesNonImagesAndBombs) {
  auto image = id_of(uploaded(*alice_, make_png(20, 20), "image/png"));
  for (const char* query :
       {"?width=0&height=10", "?width=10", "?width=10&height=99999", "?width=ten&height=10",
        "?width=10&height=10&method=stretch", "?width=-1&height=10"}) {
    auto reply = get(*alice_, "/v1/media/" + image + "/thumbnail" + query);
    EXPECT_EQ(reply.status, 400u) << query;
  }

  auto text = id_of(uploaded(*alice_, "not an image", "text/plain"));
  EXPECT_EQ(get(*alice_, "/v1/media/" + text + "/thumbnail?width=10&height=10").status, 400u);

  auto svg = id_of(uploaded(*alice_, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
                            "image/svg+xml"));
  EXPECT_EQ(get(*alice_, "/v1/media/" + svg + "/thumbnail?width=10&height=10").status, 400u)
      << "SVG is never decoded";
  auto ppm = id_of(uploaded(*alice_, "P6\n2 2\n255\n" + std::string(12, '\x7f'), "image/x-portable-pixmap"));
  EXPECT_EQ(get(*alice_, "/v1/media/" + ppm + "/thumbnail?width=10&height=10").status, 400u);

  auto bomb = uploaded(*alice_, make_png_bomb(60000, 60000), "image/png");
  EXPECT_EQ(bomb.at("width").as_int64(), 60000) << "the header is read, the pixels are not";
  auto refused = get(*alice_, "/v1/media/" + id_of(bomb) + "/thumbnail?width=64&height=64");
  EXPECT_EQ(refused.status, 400u) << refused.body;
  EXPECT_EQ(code(refused), "bad_request");

  auto truncated = make_png(100, 100);
  truncated.resize(truncated.size() / 2);
  auto broken = id_of(uploaded(*alice_, truncated, "image/png"));
  EXPECT_EQ(get(*alice_, "/v1/media/" + broken + "/thumbnail?width=10&height=10").status, 400u);
  EXPECT_EQ(http(server_->port, "GET", "/healthz").status, 200u);
}

// --- process shapes and crashes -------------------------------------------------------

std::string register_on(std::uint16_t port, const std::string& name) {
  auto reply = http(port, "POST", "/v1/auth/register", {{"Content-Type", "application/json"}},
                    json::serialize(json::object{{"username", name}, {"password", "correct horse"}}));
  EXPECT_EQ(reply.status, 201u) << reply.body;
  return std::string(json::parse(reply.body).at("access_token").as_string());
}

Reply upload_to(std::uint16_t port, const std::string& token, const std::string& bytes) {
  return http(port, "POST", "/v1/media",
              {{"Authorization", "Bearer " + token}, {"Content-Type", "application/octet-stream"}}, bytes);
}

// SIGKILL in the middle of an upload: the half-written file is gone after the restart,
// no blob appeared for it, and what was acknowledged before is intact.
TEST(MediaProcess, AnUploadCutByAKillLeavesNothingAfterTheRestart) {
  TempDir data;
  auto media = data.path() / "media";
  std::string kept_id;
  auto kept = random_bytes(50000, 20);
  {
    UpOnDirectory server(data.path());
    auto token = register_on(server.port(), "kim");
    auto first = upload_to(server.port(), token, kept);
    ASSERT_EQ(first.status, 201u) << first.body;
    kept_id = std::string(json::parse(first.body).at("media_id").as_string());

    TestClient client(server.port());
    client.send_raw("POST /v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Length: 900000\r\n\r\n" + random_bytes(400000, 21));
    bool writing = false;
    for (int i = 0; i < 100 && !writing; ++i) {
      writing = files_under(media / "tmp") == 1;
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(writing) << "the upload is being written when the process dies";
    server.process().send_signal(SIGKILL);
    server.process().wait_exit(5s);
  }
  EXPECT_EQ(files_under(media / "tmp"), 1u) << "the kill left the partial file (until the restart)";
  UpOnDirectory restarted(data.path());
  EXPECT_EQ(files_under(media / "tmp"), 0u);
  EXPECT_EQ(files_under(media / "blobs"), 1u) << "only the acknowledged upload's blob";
  auto login = http(restarted.port(), "POST", "/v1/auth/login", {{"Content-Type", "application/json"}},
                    R"({"username":"kim","password":"correct horse"})");
  auto token = std::string(json::parse(login.body).at("access_token").as_string());
  auto reply = http(restarted.port(), "GET", "/v1/media/" + kept_id, {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body == kept);
}

// Sends a GET and hangs up at once, before any of the answer arrives: a clean FIN, so
// the server goes on sending into a closed socket, whose reset then makes its next
// send fail with EPIPE (and raise SIGPIPE, unless the process ignores it).
void get_and_hang_up(std::uint16_t port, const std::string& target, const std::string& token) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  auto request = "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ::close(fd);
}

// A client hanging up in the middle of a download costs the server that connection
// only (sendfile to a reset socket raises SIGPIPE, which must not end the process).
TEST(MediaProcess, ClientsHangingUpMidDownloadDoNotHurtTheServer) {
  TempDir data;
  UpOnDirectory server(data.path());
  auto token = register_on(server.port(), "lee");
  auto bytes = random_bytes(12 << 20, 22);
  auto reply = upload_to(server.port(), token, bytes);
  ASSERT_EQ(reply.status, 201u) << reply.body;
  auto target = "/v1/media/" + std::string(json::parse(reply.body).at("media_id").as_string());
  for (int i = 0; i < 20; ++i) get_and_hang_up(server.port(), target, token);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(http(server.port(), "GET", "/healthz").status, 200u);
  auto whole = http(server.port(), "GET", target, {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(whole.body.size(), bytes.size());
}

// A blob left by a crash between its rename and its row's COMMIT refers to nothing:
// the start-up sweep removes it (and any thumbnails of it).
TEST(MediaProcess, StartUpRemovesBlobsNothingRefersTo) {
  TempDir data;
  { UpOnDirectory server(data.path()); }
  auto orphan = std::string(64, 'a');
  auto blob = data.path() / "media" / "blobs" / "aa" / orphan;
  fs::create_directories(blob.parent_path());
  std::ofstream(blob) << "orphaned bytes";
  fs::create_directories(data.path() / "media" / "thumbs" / orphan);
  std::ofstream(data.path() / "media" / "thumbs" / orphan / "10x10-scale") << "thumb";
  UpOnDirectory restarted(data.path());
  EXPECT_FALSE(fs::exists(blob));
  EXPECT_FALSE(fs::exists(data.path() / "media" / "thumbs" / orphan));
}

// `bartab media` alone verifies tokens with the JWKS of a separate auth process, and is
// not ready until it holds one.
TEST(MediaShapes, MediaAloneIsReadyOnceAuthAnswersAndTakesItsTokens) {
  TempDir auth_data;
  RunningServer probe({}, {}, "auth");
  auto auth_port = probe.port;
  probe.process.send_signal(SIGTERM);
  ASSERT_TRUE(probe.process.wait_exit(5s).exited);

  auto auth_url = "http://127.0.0.1:" + std::to_string(auth_port);
  RunningServer media({"--set", "media.auth_url=" + auth_url, "--set", "services.auth_url=" + auth_url}, {},
                      "media");
  auto not_ready = http(media.port, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_NE(not_ready.body.find("media.jwks"), std::string::npos) << not_ready.body;

  BartabProcess auth({"auth", "--host", "127.0.0.1", "--port", std::to_string(auth_port), "--set",
                      "server.data_dir=" + auth_data.path().string(), "--set", "auth.registration=open"});
  auth.wait_listening();
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = http(media.port, "GET", "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ready) << "media fetched auth's JWKS";
  auto token = register_on(auth_port, "solo");
  auto uploaded = upload_to(media.port, token, "over the wire");
  ASSERT_EQ(uploaded.status, 201u) << uploaded.body;
  auto id = std::string(json::parse(uploaded.body).at("media_id").as_string());
  EXPECT_EQ(http(media.port, "GET", "/v1/media/" + id, {{"Authorization", "Bearer " + token}}).body,
            "over the wire");
  EXPECT_EQ(upload_to(media.port, "not-a-token", "x").status, 401u);
  auth.send_signal(SIGTERM);
  auth.wait_exit(5s);
}

}  // namespace
}  // namespace bartab::testing
