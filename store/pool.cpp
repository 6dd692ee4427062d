#include "store/pool.hpp"

#include <numeric>

namespace smsgw::store {

pool::pool(std::string dsn, std::size_t size) : dsn_(std::move(dsn)), slots_(size), free_(size) {
  std::iota(free_.rbegin(), free_.rend(), std::size_t{0});
}

pool::lease::lease(pool& p) : pool_(p) {
  std::unique_lock lock(p.mutex_);
  p.available_.wait(lock, [&] { return !p.free_.empty(); });
  slot_ = p.free_.back();
  p.free_.pop_back();
}

pool::lease::~lease() {
  const std::lock_guard lock(pool_.mutex_);
  if (discard_) pool_.slots_[slot_].reset();
  pool_.free_.push_back(slot_);
  pool_.available_.notify_one();
}

pqxx::connection& pool::lease::connection() {
  auto& slot = pool_.slots_[slot_];  // only this lease touches this slot
  if (slot && !slot->is_open()) slot.reset();
  if (!slot) slot = std::make_unique<pqxx::connection>(pool_.dsn_);
  return *slot;
}

}  // namespace smsgw::store
