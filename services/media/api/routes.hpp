// The media service's HTTP routes, registered in one list.
#pragma once

#include <vector>

#include "core/http/router.hpp"
#include "core/tokens/verifier.hpp"
#include "services/media/service/media_service.hpp"

namespace bartab::media {

std::vector<core::http::RouteSpec> media_routes(MediaService& service, core::tokens::TokenVerifier& verifier,
                                                std::uint64_t max_upload_bytes);

}  // namespace bartab::media
