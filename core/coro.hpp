// Helpers for coroutines spawned with co_spawn: every one of them logs its exception.
#pragma once

#include <spdlog/spdlog.h>
#include <exception>
#include <string>

namespace bartab::core {

// A co_spawn completion token that logs an escaping exception with the task's name.
inline auto log_exceptions(std::string task) {
  return [task = std::move(task)](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}", task, e.what());
    } catch (...) {
      spdlog::error("{} failed with an unknown exception", task);
    }
  };
}

}  // namespace bartab::core
