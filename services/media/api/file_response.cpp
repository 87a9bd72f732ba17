#include "services/media/api/file_response.hpp"

#include "core/errors.hpp"
#include "core/http/conditional.hpp"
#include "services/media/service/content_rules.hpp"

namespace bartab::media {

namespace bhttp = boost::beast::http;
using core::http::Response;
using core::http::StringResponse;

namespace {

constexpr std::int64_t kYear = 365 * 24 * 3600;

// Media bytes behind an id never change, so public media is cached for good. Private
// media stays out of shared caches; a signed link's answer is not kept past the link.
std::string cache_control(const OpenedFile& opened, const Reader& reader) {
  if (opened.record.is_public) return "public, max-age=" + std::to_string(kYear) + ", immutable";
  if (reader.kind == Reader::Kind::link)
    return "private, max-age=" + std::to_string(reader.link_seconds_left);
  return "private, max-age=" + std::to_string(kYear) + ", immutable";
}

// The headers every answer about this representation carries, 304 and 416 included.
template <class Message>
void validators(Message& m, const OpenedFile& opened, const Reader& reader) {
  m.set(bhttp::field::etag, opened.etag);
  m.set(bhttp::field::cache_control, cache_control(opened, reader));
  m.set(bhttp::field::accept_ranges, "bytes");
  m.set("X-Content-Type-Options", "nosniff");
  m.set("Content-Security-Policy", media_csp());
}

std::string file_name(const OpenedFile& opened, bool thumbnail) {
  if (!thumbnail) return opened.record.name;
  return {};
}

}  // namespace

Response file_response(const core::http::Request& request, OpenedFile opened, const Reader& reader,
                       bool thumbnail) {
  const auto& head = request.message;
  if (core::http::none_match(head[bhttp::field::if_none_match], opened.etag)) {
    StringResponse not_modified{bhttp::status::not_modified, 11};
    validators(not_modified, opened, reader);
    return not_modified;
  }
  auto decision = core::http::decide_range(head[bhttp::field::range], head[bhttp::field::if_range],
                                           opened.etag, opened.size);
  if (decision.kind == core::http::RangeDecision::Kind::unsatisfiable) {
    throw core::ApiError(
        core::ErrorCode::range_not_satisfiable,
        "the range lies outside the " + std::to_string(opened.size) + " bytes of the media",
        {{"Content-Range", core::http::unsatisfied_range(opened.size)}, {"Accept-Ranges", "bytes"}});
  }

  core::http::FileResponse response;
  response.version(11);
  response.result(bhttp::status::ok);
  validators(response, opened, reader);
  response.set(bhttp::field::content_type, opened.content_type);
  response.set(bhttp::field::content_disposition,
               content_disposition(served_inline(opened.content_type), file_name(opened, thumbnail)));
  response.offset = 0;
  response.length = opened.size;
  if (decision.kind == core::http::RangeDecision::Kind::partial) {
    response.result(bhttp::status::partial_content);
    response.set(bhttp::field::content_range, core::http::content_range(decision.range, opened.size));
    response.offset = decision.range.offset;
    response.length = decision.range.length;
  }
  response.file = std::move(opened.file);
  return response;
}

}  // namespace bartab::media
