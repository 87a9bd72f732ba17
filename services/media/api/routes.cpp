// The media service's HTTP routes. Each handler: authenticate, parse into a typed
// request, call one MediaService method, map the result.
#include "services/media/api/routes.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "core/errors.hpp"
#include "core/tokens/bearer.hpp"
#include "services/media/api/file_response.hpp"
#include "services/media/service/content_rules.hpp"

namespace bartab::media {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using boost::asio::awaitable;
using core::http::Request;
using core::http::Response;

namespace {

json::object record_json(const MediaRecord& r) {
  json::object out{{"media_id", r.media_id}, {"content_type", r.content_type},
                   {"size", r.size},         {"sha256", r.sha256},
                   {"name", r.name},         {"visibility", r.is_public ? "public" : "private"}};
  if (r.width) out["width"] = *r.width;
  if (r.height) out["height"] = *r.height;
  return out;
}

NewUpload parse_upload(const Request& r) {
  NewUpload upload;
  auto declared = r.message[bhttp::field::content_type];
  if (!declared.empty()) {
    upload.declared_type = normalize_content_type(declared);
    if (!upload.declared_type) core::throw_bad_request("the Content-Type is not a valid media type");
  }
  if (auto name = r.query("name")) {
    auto cleaned = clean_filename(*name);
    if (!cleaned) core::throw_bad_request("name must be a file name of 1 to 255 bytes of UTF-8 text");
    upload.name = std::move(*cleaned);
  }
  auto visibility = r.query("visibility").value_or("private");
  if (visibility != "private" && visibility != "public") {
    core::throw_bad_request("visibility must be \"private\" or \"public\"");
  }
  upload.is_public = visibility == "public";
  return upload;
}

// Who is reading: the bearer token when there is one, else a signed link's query,
// else nobody (enough only for public media).
awaitable<Reader> reader_of(const Request& r, MediaService& s, core::tokens::TokenVerifier& v) {
  if (!r.message[bhttp::field::authorization].empty()) {
    auto caller = co_await core::tokens::authenticate(r, v);
    co_return MediaService::token_reader(caller);
  }
  auto exp = r.query("exp");
  auto sig = r.query("sig");
  if (!exp && !sig) co_return Reader{};
  co_return s.link_reader(std::string(r.param("media_id")), exp.value_or(""), sig.value_or(""));
}

std::uint32_t dimension(const Request& r, std::string_view name, std::uint32_t max) {
  auto text = r.query(name);
  if (!text) core::throw_bad_request(std::string(name) + " is required");
  std::uint32_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (text->empty() || ec != std::errc{} || end != text->data() + text->size() || n == 0 || n > max) {
    core::throw_bad_request(std::string(name) + " must be an integer from 1 to " + std::to_string(max));
  }
  return n;
}

ThumbnailRequest parse_thumbnail(const Request& r, std::uint32_t max) {
  ThumbnailRequest t;
  t.width = dimension(r, "width", max);
  t.height = dimension(r, "height", max);
  auto method = r.query("method").value_or("scale");
  if (method != "scale" && method != "crop") core::throw_bad_request("method must be \"scale\" or \"crop\"");
  t.crop = method == "crop";
  return t;
}

// `expires_in` in seconds; the body may be empty.
std::int64_t parse_lifetime(const Request& r) {
  if (r.message.body().empty()) return SignedLinks::kDefaultLifetimeS;
  auto body = r.json_object();
  const auto* value = body.if_contains("expires_in");
  if (value == nullptr || value->is_null()) return SignedLinks::kDefaultLifetimeS;
  if (!value->is_int64() && !value->is_uint64()) core::throw_bad_request("expires_in must be an integer");
  if (value->is_uint64()) core::throw_bad_request("expires_in must be between 1 and 604800 seconds");
  return value->as_int64();
}

}  // namespace

std::vector<core::http::RouteSpec> media_routes(MediaService& s, core::tokens::TokenVerifier& v,
                                                std::uint64_t max_upload_bytes) {
  using V = bhttp::verb;
  core::http::RouteOptions upload_options;
  upload_options.body_limit = static_cast<std::size_t>(max_upload_bytes);
  upload_options.stream_body = true;
  return {
      // POST /v1/media?name=FILE&visibility=private|public: the body's raw bytes,
      // streamed to disk; 201 with the record, 413 past the size limit or the quota.
      {V::post, "/v1/media",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto upload = parse_upload(r);
         auto record = co_await s.upload(caller, std::move(upload), *r.body_stream);
         co_return core::http::json_response(201, record_json(record));
       },
       upload_options},

      // GET (and HEAD) /v1/media/{media_id}: the bytes, with caching, conditional and
      // range support; a token, a signed link, or nothing for public media.
      {V::get, "/v1/media/{media_id}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto reader = co_await reader_of(r, s, v);
         auto opened = co_await s.open(std::string(r.param("media_id")), reader);
         co_return file_response(r, std::move(opened), reader, /*thumbnail=*/false);
       }},

      // GET /v1/media/{media_id}/thumbnail?width=W&height=H&method=scale|crop: an
      // image no larger than W x H, made on first request and cached.
      {V::get, "/v1/media/{media_id}/thumbnail",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto reader = co_await reader_of(r, s, v);
         auto request = parse_thumbnail(r, s.max_thumbnail_dimension());
         auto opened = co_await s.thumbnail(std::string(r.param("media_id")), reader, request);
         co_return file_response(r, std::move(opened), reader, /*thumbnail=*/true);
       }},

      // POST /v1/media/{media_id}/link {expires_in?}: a signed URL that opens the media
      // (and its thumbnails) without a token until it expires.
      {V::post, "/v1/media/{media_id}/link",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         auto lifetime = parse_lifetime(r);
         auto link = co_await s.create_link(caller, std::string(r.param("media_id")), lifetime);
         co_return core::http::json_response(200, {{"url", link.url}, {"expires_at", link.expires_at}});
       }},

      // DELETE /v1/media/{media_id}: the uploader or an admin; 204.
      {V::delete_, "/v1/media/{media_id}",
       [&s, &v](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, v);
         co_await s.remove(caller, std::string(r.param("media_id")));
         co_return core::http::empty_response(204);
       }},
  };
}

}  // namespace bartab::media
