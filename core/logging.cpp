#include "core/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <ctime>

namespace bartab::core {
namespace {

std::atomic<bool> g_access_enabled{false};
std::atomic<bool> g_json{false};
std::shared_ptr<spdlog::logger> g_access;

// One JSON object per line: {"ts","level","logger","msg"}. For the access logger the
// message already is a list of JSON fields and is spliced in as they are.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(bool fields_in_message) : fields_in_message_(fields_in_message) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"ts\":\"";
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ms));
    line += stamp;
    line += "\",\"level\":\"";
    auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",\"logger\":\"";
    append_json_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += "\",";
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (fields_in_message_) {
      line += payload;
    } else {
      line += "\"msg\":\"";
      append_json_escaped(line, payload);
      line += "\"";
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(fields_in_message_);
  }

 private:
  bool fields_in_message_;
};

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void init_logging(const LogConfig& config) {
  // A sink each: the pattern belongs to the sink. Both write stderr under spdlog's
  // console mutex, so lines never interleave.
  auto main = std::make_shared<spdlog::logger>("bartab", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto access = std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  bool json = config.format == "json";
  if (json) {
    main->set_formatter(std::make_unique<JsonFormatter>(false));
    access->set_formatter(std::make_unique<JsonFormatter>(true));
  } else {
    main->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    access->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ access %v", spdlog::pattern_time_type::utc);
  }
  auto level = spdlog::level::from_str(config.level);
  main->set_level(level);
  access->set_level(spdlog::level::info);
  main->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(main);
  g_access = access;
  g_json = json;
  g_access_enabled = config.access;
}

bool access_log_enabled() {
  return g_access_enabled.load(std::memory_order_relaxed);
}

void log_access(const AccessRecord& r) {
  if (!access_log_enabled() || !g_access) return;
  if (g_json.load(std::memory_order_relaxed)) {
    std::string fields = "\"method\":\"";
    append_json_escaped(fields, r.method);
    fields += "\",\"route\":\"";
    append_json_escaped(fields, r.route);
    fields +=
        fmt::format("\",\"status\":{},\"bytes\":{},\"us\":{},\"request_id\":\"", r.status, r.bytes, r.micros);
    append_json_escaped(fields, r.request_id);
    fields += "\"";
    g_access->info(fields);
    return;
  }
  g_access->info("{} {} {} {}B {}us id={}", r.method, r.route, r.status, r.bytes, r.micros, r.request_id);
}

}  // namespace bartab::core
