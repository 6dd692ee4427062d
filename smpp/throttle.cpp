#include "smpp/throttle.hpp"

#include <algorithm>

namespace smsgw::smpp {

token_bucket::token_bucket(std::uint32_t rate, std::uint32_t burst) : rate_(rate) {
  if (rate_ == 0) return;
  interval_ = std::chrono::nanoseconds(1'000'000'000LL / rate_);
  tolerance_ = interval_ * (std::max<std::uint32_t>(burst, 1) - 1);
}

std::chrono::nanoseconds token_bucket::reserve(steady_time now) {
  if (rate_ == 0) return std::chrono::nanoseconds(0);
  const steady_time start = std::max(tat_, now);
  const auto wait =
      std::max(std::chrono::nanoseconds(0),
               std::chrono::duration_cast<std::chrono::nanoseconds>(start - tolerance_ - now));
  tat_ = start + interval_;
  return wait;
}

std::chrono::nanoseconds sender_buckets::reserve(const std::string& sender, steady_time now) {
  if (rate_ == 0) return std::chrono::nanoseconds(0);
  if (buckets_.size() > prune_above) {
    std::erase_if(buckets_, [&](const auto& b) {
      return b.second.idle_after() + std::chrono::minutes(1) < now;
    });
  }
  return buckets_.try_emplace(sender, rate_, 1).first->second.reserve(now);
}

steady_time throttle_backoff::throttled(steady_time now) {
  // Every outstanding submit may come back throttled: one pause per episode, not per answer.
  if (now >= until_) {
    until_ = now + next_;
    next_ = std::min(next_ * 2, max_);
  }
  return until_;
}

}  // namespace smsgw::smpp
