// Send-rate limits: a token bucket per bind and per sender, and the back-off a bind takes
// when the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL. Pure: time comes in as an argument.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace smsgw::smpp {

using steady_time = std::chrono::steady_clock::time_point;

/// A token bucket (GCRA form): `rate` tokens per second, up to `burst` at once.
class token_bucket {
 public:
  /// rate 0 means unlimited.
  explicit token_bucket(std::uint32_t rate = 0, std::uint32_t burst = 1);
  /// Takes one token and returns how long to wait before using it (zero when available).
  std::chrono::nanoseconds reserve(steady_time now);
  [[nodiscard]] bool unlimited() const { return rate_ == 0; }
  /// When the bucket will be full again (nothing reserved beyond it).
  [[nodiscard]] steady_time idle_after() const { return tat_; }

 private:
  std::uint32_t rate_;
  std::chrono::nanoseconds interval_{0};
  std::chrono::nanoseconds tolerance_{0};
  steady_time tat_{};  // theoretical arrival time of the next token
};

/// One bucket per sender address, forgetting senders idle for a minute once many are known.
class sender_buckets {
 public:
  explicit sender_buckets(std::uint32_t rate_per_sender) : rate_(rate_per_sender) {}
  std::chrono::nanoseconds reserve(const std::string& sender, steady_time now);
  [[nodiscard]] std::size_t size() const { return buckets_.size(); }

 private:
  static constexpr std::size_t prune_above = 10'000;
  std::uint32_t rate_;
  std::unordered_map<std::string, token_bucket> buckets_;
};

/// How hard the SMSC pushed back: a pause that doubles on every throttling answer, up to
/// `max`, and is forgotten on the first accepted submit.
class throttle_backoff {
 public:
  throttle_backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}
  /// The SMSC throttled us at `now`: sending pauses until the returned time.
  steady_time throttled(steady_time now);
  /// A submit was accepted: back to full speed.
  void recovered() { next_ = initial_; }
  /// Sending may resume at this time (in the past when not throttled).
  [[nodiscard]] steady_time paused_until() const { return until_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_;
  steady_time until_{};
};

}  // namespace smsgw::smpp
