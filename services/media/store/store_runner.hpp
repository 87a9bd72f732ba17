// Runs media store work on the media database's thread. Uploads are group committed
// (`write`): concurrent ones share a transaction and its fsync. Deletions run alone
// (`write_then`), so their clean-up can follow their own COMMIT at once.
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
  // Durable writes, group committed: `work` runs in its own savepoint inside a
  // transaction shared with the writes queued meanwhile; the caller resumes after the
  // COMMIT (a throwing work is rolled back alone).
  virtual boost::asio::awaitable<void> write(std::function<void(MediaStore&)> work) = 0;
  // A write in a transaction of its own; `after_commit` runs on the store's thread
  // right after that COMMIT succeeded, before any other store work (so what it checks
  // cannot change under it: the blob store's clean-up relies on this).
  virtual boost::asio::awaitable<void> write_then(std::function<void(MediaStore&)> work,
                                                  std::function<void(MediaStore&)> after_commit) = 0;
  virtual void run_blocking(const std::function<void(MediaStore&)>& work) = 0;
  virtual core::CheckResult check() = 0;
};

std::unique_ptr<StoreRunner> open_sqlite_store(const std::string& path);

}  // namespace bartab::media
