#include "store/pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <numeric>

#include <spdlog/spdlog.h>

#include "logging/component.hpp"

namespace smsgw::store {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("store");
  return *logger;
}

}  // namespace

std::string with_connect_timeout(const std::string& dsn, std::chrono::seconds timeout) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const auto value =
      "connect_timeout=" + std::to_string(std::max<std::int64_t>(timeout.count(), 1));
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://")) {
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + value;
  }
  return dsn.empty() ? value : dsn + " " + value;
}

pool::pool(std::string dsn, std::size_t size, std::chrono::milliseconds job_bound,
           connect_hook on_connect)
    : dsn_(std::move(dsn)),
      job_bound_(job_bound),
      on_connect_(std::move(on_connect)),
      slots_(size),
      free_(size),
      jobs_(size) {
  std::iota(free_.rbegin(), free_.rend(), std::size_t{0});
  if (job_bound_.count() > 0) watchdog_ = std::thread([this] { watchdog(); });
}

pool::~pool() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

std::uint64_t pool::cuts() const {
  const std::lock_guard lock(mutex_);
  return cuts_;
}

void pool::watchdog() {
  const auto tick =
      std::clamp(job_bound_ / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, tick, [this] { return stopping_; })) {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t slot = 0; slot < jobs_.size(); ++slot) {
      auto& j = jobs_[slot];
      if (!j.running || j.cut || now - j.since < job_bound_) continue;
      // The connection stays open until its job ends (under this mutex), so the socket is
      // still its own: shutting it down wakes the job's blocked read with an error.
      ::shutdown(j.socket, SHUT_RDWR);
      j.cut = true;
      ++cuts_;
      log().warn("store job outran its bound, connection cut bound_ms={} slot={}",
                 job_bound_.count(), slot);
    }
  }
}

std::size_t pool::open_all() {
  std::vector<std::unique_ptr<lease>> held;  // every slot at once: each opened exactly once
  std::size_t warmed = 0;
  for (std::size_t i = 0; i < size(); ++i) {
    held.push_back(std::make_unique<lease>(*this));
    auto& l = *held.back();
    try {
      l.open();
      auto& c = l.connection();
      const watched w(*this, l, c, true);
      if (greet(c)) ++warmed;
    } catch (const pqxx::broken_connection&) {
      l.discard();
      throw;
    }
  }
  return warmed;
}

bool pool::greet(pqxx::connection& c) const {
  if (!on_connect_) return false;
  try {
    return on_connect_(c);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    log().warn("store connection not warmed up error=\"{}\"", e.what());
    return false;
  }
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

bool pool::lease::open() {
  auto& slot = pool_.slots_[slot_];  // only this lease touches this slot
  if (slot && slot->is_open()) return false;
  slot = std::make_unique<pqxx::connection>(pool_.dsn_);
  return true;
}

pqxx::connection& pool::lease::connection() {
  return *pool_.slots_[slot_];
}

pool::watched::watched(pool& p, lease& l, pqxx::connection& c, bool bounded)
    : pool_(p), lease_(l), bounded_(bounded && p.job_bound_.count() > 0) {
  if (!bounded_) return;
  const std::lock_guard lock(pool_.mutex_);
  pool_.jobs_[lease_.slot()] = job{true, false, c.sock(), std::chrono::steady_clock::now()};
}

pool::watched::~watched() {
  if (!bounded_) return;
  const std::lock_guard lock(pool_.mutex_);
  auto& j = pool_.jobs_[lease_.slot()];
  if (j.cut) lease_.discard();
  j = job{};
}

}  // namespace smsgw::store
