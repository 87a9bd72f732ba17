// Maps an opened media file to its HTTP answer: the caching headers (ETag,
// Cache-Control by how the read was authorised), conditional requests (304), single
// ranges (206/416) and the headers that make serving user content safe (nosniff, a
// sandboxing CSP, attachment disposition outside a small inline allowlist).
#pragma once

#include "core/http/message.hpp"
#include "services/media/service/media_service.hpp"

namespace bartab::media {

core::http::Response file_response(const core::http::Request& request, OpenedFile opened,
                                   const Reader& reader, bool thumbnail);

}  // namespace bartab::media
