// Readiness checks. Each service registers the checks it depends on (its database,
// the JWKS it verifies tokens with); /readyz runs them all.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace bartab::core {

struct CheckResult {
  bool ok = true;
  std::string detail;  // why it fails; empty when ok
};

struct NamedResult {
  std::string name;
  CheckResult result;
};

class HealthRegistry {
 public:
  using Check = std::function<CheckResult()>;

  void add(std::string name, Check check);
  // Runs every check (they must be quick and not block on the network).
  std::vector<NamedResult> run() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Check>> checks_;
};

// The data directory exists, is writable and has room left.
CheckResult check_data_dir(const std::string& path);

}  // namespace bartab::core
