// Process-wide counters for /metrics (Prometheus text format). Lock-free increments.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "keywords/decide.hpp"

namespace smsgw::daemon {

/// What happened to one outbox row's send.
enum class mt_result {
  accepted,    ///< every part accepted
  retried,     ///< queued again (temporary error, no bind, throttled)
  failed,      ///< refused for good
  unanswered,  ///< written, never answered, queued again: may reach the handset twice
  in_doubt,    ///< answered unreadably: not sent again
  expired,     ///< out of attempts or validity
};

class metrics {
 public:
  /// An MO was handled with `decision` (`unrouted`, `receipt`, or a keywords action name).
  void mo(std::size_t decision_index);
  void mo_failed() { mo_failed_.fetch_add(1, std::memory_order_relaxed); }
  void mt(mt_result r) { mt_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  /// The latency of one MO from deliver_sm to deliver_sm_resp, in microseconds.
  void mo_latency(std::uint64_t micros);

  /// Index of a decision for mo(): keyword actions first, then `unrouted`, `receipt`,
  /// `redelivered` (the SMSC sent an MO again: nothing doubled) and `refused` (an MO no
  /// redelivery can fix, answered ESME_RX_P_APPN).
  static std::size_t index_of(keywords::action a) { return static_cast<std::size_t>(a); }
  static constexpr std::size_t unrouted = 7;
  static constexpr std::size_t receipt = 8;
  static constexpr std::size_t redelivered = 9;
  static constexpr std::size_t refused = 10;

  /// MOs handled so far, whatever their decision (receipts excepted).
  [[nodiscard]] std::uint64_t mos() const;

  /// Renders every counter; `extra` (already formatted lines) is appended.
  [[nodiscard]] std::string render(const std::string& extra) const;

 private:
  static constexpr std::array<double, 8> latency_buckets_ms{1, 2, 5, 10, 25, 50, 100, 1000};
  std::array<std::atomic<std::uint64_t>, 11> mo_{};
  std::atomic<std::uint64_t> mo_failed_{0};
  std::array<std::atomic<std::uint64_t>, 6> mt_{};
  std::array<std::atomic<std::uint64_t>, 9> latency_buckets_{};  // last one: +Inf
  std::atomic<std::uint64_t> latency_sum_us_{0};
};

}  // namespace smsgw::daemon
