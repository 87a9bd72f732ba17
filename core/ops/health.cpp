#include "core/ops/health.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

namespace bartab::core {

namespace {
// Below this much free space writes are likely to fail soon; report not ready.
constexpr unsigned long long kMinFreeBytes = 16ull << 20;
}  // namespace

void HealthRegistry::add(std::string name, Check check) {
  std::lock_guard lock(mutex_);
  checks_.emplace_back(std::move(name), std::move(check));
}

std::vector<NamedResult> HealthRegistry::run() const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard lock(mutex_);
    checks = checks_;
  }
  std::vector<NamedResult> results;
  for (const auto& [name, check] : checks) {
    try {
      results.push_back({name, check()});
    } catch (const std::exception& e) {
      results.push_back({name, {false, e.what()}});
    }
  }
  return results;
}

CheckResult check_data_dir(const std::string& path) {
  if (::access(path.c_str(), W_OK | X_OK) != 0) return {false, "data directory is not writable"};
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return {false, "cannot stat the data directory"};
  auto free_bytes = static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < kMinFreeBytes) {
    return {false, "only " + std::to_string(free_bytes) + " bytes free on the data volume"};
  }
  return {};
}

}  // namespace bartab::core
