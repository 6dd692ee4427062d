#include "admin/import_jobs.hpp"

namespace smsgw::admin {

import_jobs::running::~running() {
  const std::lock_guard lock(jobs_.mutex_);
  jobs_.jobs_.erase(at_);
}

void import_jobs::running::rows_read(std::int64_t n) {
  const std::lock_guard lock(jobs_.mutex_);
  at_->rows_read = n;
}

std::unique_ptr<import_jobs::running> import_jobs::start(store::id company, store::id user,
                                                         store::id group, std::uint64_t bytes) {
  const std::lock_guard lock(mutex_);
  if (jobs_.size() >= max_running_) return nullptr;
  view v;
  v.job_id = next_id_++;
  v.company = company;
  v.user_id = user;
  v.group_id = group;
  v.started = std::chrono::system_clock::now();
  v.bytes = bytes;
  jobs_.push_back(v);
  return std::make_unique<running>(*this, std::prev(jobs_.end()));
}

std::vector<import_jobs::view> import_jobs::list(store::id company,
                                                 std::optional<store::id> user) const {
  const std::lock_guard lock(mutex_);
  std::vector<view> out;
  for (const auto& v : jobs_) {
    if (v.company == company && (!user || v.user_id == *user)) out.push_back(v);
  }
  return out;
}

}  // namespace smsgw::admin
