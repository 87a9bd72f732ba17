// Logging through spdlog to stderr, as text or as one JSON object per line, and the
// access log (one line per request on the "access" logger).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/config/config.hpp"

namespace bartab::core {

// Installs the default logger and the access logger. Call once at start-up.
void init_logging(const LogConfig& config);

struct AccessRecord {
  std::string_view method;
  std::string_view route;  // the route pattern, or "unmatched"
  unsigned status = 0;
  std::uint64_t bytes = 0;  // response body bytes
  std::uint64_t micros = 0;
  std::string_view request_id;
};

bool access_log_enabled();
void log_access(const AccessRecord& record);

// Escapes text for inclusion inside a JSON string literal.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace bartab::core
