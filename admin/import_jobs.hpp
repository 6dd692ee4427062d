// The imports running in this daemon: what GET /api/v1/imports shows (rows read so far),
// and the cap on how many run at once, so that long imports cannot take every database
// connection of the API. Thread-safe: imports run on the API's database threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "store/id.hpp"

namespace smsgw::admin {

class import_jobs {
 public:
  /// One import as the list shows it.
  struct view {
    std::uint64_t job_id = 0;
    store::id company = 0;
    store::id user_id = 0;
    store::id group_id = 0;
    std::chrono::system_clock::time_point started;
    std::uint64_t bytes = 0;     ///< the file's size
    std::int64_t rows_read = 0;  ///< so far
  };

  /// A running import; it leaves the list when destroyed.
  class running {
   public:
    running(import_jobs& jobs, std::list<view>::iterator at) : jobs_(jobs), at_(at) {}
    ~running();
    running(const running&) = delete;
    running& operator=(const running&) = delete;
    void rows_read(std::int64_t n);

   private:
    import_jobs& jobs_;
    std::list<view>::iterator at_;
  };

  explicit import_jobs(std::size_t max_running) : max_running_(max_running) {}

  /// A new running import of `company`, or nullptr when `max_running` already run.
  std::unique_ptr<running> start(store::id company, store::id user, store::id group,
                                 std::uint64_t bytes);
  /// The running imports of `company` (of `user` only, unless nullopt), oldest first.
  [[nodiscard]] std::vector<view> list(store::id company, std::optional<store::id> user) const;

 private:
  std::size_t max_running_;
  mutable std::mutex mutex_;
  std::list<view> jobs_;  // a list: a running import keeps an iterator to its entry
  std::uint64_t next_id_ = 1;
};

}  // namespace smsgw::admin
