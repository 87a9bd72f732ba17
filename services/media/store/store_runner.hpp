// Runs media store work on the media database's thread. Media writes are rare next to
// chat's, so each runs in its own transaction (no group commit): `write` resumes its
// caller after the COMMIT.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/ops/health.hpp"
#include "services/media/store/media_store.hpp"

namespace bartab::media {

class StoreRunner {
 public:
  virtual ~StoreRunner() = default;
  virtual boost::asio::awaitable<void> read(std::function<void(MediaStore&)> work) = 0;
  // `work` runs inside a transaction; `after_commit`, when given, runs on the store's
  // thread right after the COMMIT succeeded, before any other store work (so what it
  // checks cannot change under it: the blob store's clean-up relies on this).
  virtual boost::asio::awaitable<void> write(std::function<void(MediaStore&)> work,
                                             std::function<void(MediaStore&)> after_commit = {}) = 0;
  virtual void run_blocking(const std::function<void(MediaStore&)>& work) = 0;
  virtual core::CheckResult check() = 0;
};

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path);

}  // namespace bartab::media
