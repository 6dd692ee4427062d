#include "daemon/metrics.hpp"

#include <iterator>

#include <fmt/format.h>

namespace smsgw::daemon {

void metrics::mo(std::size_t decision_index) {
  if (decision_index < mo_.size()) mo_[decision_index].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t metrics::mos() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < mo_.size(); ++i) {
    if (i != receipt) n += mo_[i].load(std::memory_order_relaxed);
  }
  return n;
}

void metrics::mo_latency(std::uint64_t micros) {
  const double ms = static_cast<double>(micros) / 1000.0;
  std::size_t i = 0;
  while (i < latency_buckets_ms.size() && ms > latency_buckets_ms[i]) ++i;
  latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

std::string metrics::render(const std::string& extra) const {
  static constexpr const char* decisions[] = {
      "company_stop", "company_start", "opt_in",  "opt_out",     "keyword_help", "company_help",
      "unmatched",    "unrouted",      "receipt", "redelivered", "refused"};
  static_assert(std::size(decisions) == std::tuple_size_v<decltype(mo_)>);
  static constexpr const char* results[] = {"accepted",   "retried",  "failed",
                                            "unanswered", "in_doubt", "expired"};
  std::string out;
  out += "# HELP smsgw_mo_total MOs handled, by decision.\n# TYPE smsgw_mo_total counter\n";
  for (std::size_t i = 0; i < mo_.size(); ++i) {
    out += fmt::format("smsgw_mo_total{{decision=\"{}\"}} {}\n", decisions[i], mo_[i].load());
  }
  out +=
      "# HELP smsgw_mo_failed_total MOs answered with a temporary error (what a retry can "
      "fix: store down, timeouts, serialization failures).\n"
      "# TYPE smsgw_mo_failed_total counter\n";
  out += fmt::format("smsgw_mo_failed_total {}\n", mo_failed_.load());
  out +=
      "# HELP smsgw_mt_total Outbox sends, by result (unanswered: written, never answered and "
      "sent again, so possibly delivered twice).\n# TYPE smsgw_mt_total counter\n";
  for (std::size_t i = 0; i < mt_.size(); ++i) {
    out += fmt::format("smsgw_mt_total{{result=\"{}\"}} {}\n", results[i], mt_[i].load());
  }
  out +=
      "# HELP smsgw_mo_latency_seconds deliver_sm to deliver_sm_resp.\n"
      "# TYPE smsgw_mo_latency_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets_.size(); ++i) {
    cumulative += latency_buckets_[i].load();
    const std::string le =
        i < latency_buckets_ms.size() ? fmt::format("{}", latency_buckets_ms[i] / 1000.0) : "+Inf";
    out += fmt::format("smsgw_mo_latency_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  out += fmt::format("smsgw_mo_latency_seconds_sum {}\n",
                     static_cast<double>(latency_sum_us_.load()) / 1e6);
  out += fmt::format("smsgw_mo_latency_seconds_count {}\n", cumulative);
  return out + extra;
}

}  // namespace smsgw::daemon
