// X-Request-Id: a client's id is echoed when it is a short plain token (so it is safe
// in logs); otherwise the server makes one.
#pragma once

#include <string>
#include <string_view>

namespace bartab::core::http {

bool valid_request_id(std::string_view id);
std::string new_request_id();  // 24 lowercase hex digits

}  // namespace bartab::core::http
