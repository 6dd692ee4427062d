// Submits outbox rows over the SMPP sessions: rows handed over right after the inbound
// commit (fast path) and rows claimed from the table (restarts, other daemons' leftovers,
// sends queued by the admin API).
//
// Its claims live under a lease it renews (store/outbox.hpp); every send is bounded so that
// it ends well inside the lease, and no send starts when the lease could run out before it
// ends, so another daemon never takes over a row this one is still sending.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/metrics.hpp"
#include "smpp/session.hpp"
#include "store/outbox.hpp"
#include "store/runner.hpp"

namespace smsgw::daemon {

namespace net = boost::asio;

class dispatcher : public std::enable_shared_from_this<dispatcher> {
 public:
  /// `claimer` names this daemon process in outbox claims (unique per process).
  dispatcher(net::any_io_executor ex, store::db_runner& db, metrics& m, std::string claimer,
             store::delivery_policy policy);

  void add_session(std::shared_ptr<smpp::session> s);
  /// Sends nothing more through `s` (a bind a reload removes); sends already on it finish.
  /// The lease stops naming its bind, so its rows count as unserved unless a daemon serves it.
  void remove_session(const std::shared_ptr<smpp::session>& s);
  /// Starts the lease and the claim loops. The claim loop claims while rows come back and
  /// then sleeps until woken (wake(), a send finishing with more rows due, this daemon's
  /// next retry, or the upkeep seeing due rows), at most a sixth of the lease.
  void start();
  /// Rows were queued (the outbox channel was notified): claim now.
  void wake();
  /// Submits rows this daemon already claimed.
  void send_now(std::vector<store::outbox_row> rows);
  /// Stops claiming and waits up to `drain` for submits in flight.
  net::awaitable<void> stop(std::chrono::milliseconds drain);

  [[nodiscard]] std::size_t in_flight() const { return sending_.size(); }
  /// Outbox rows queued or being submitted, all daemons, as the last upkeep saw them.
  [[nodiscard]] std::int64_t pending() const { return pending_.load(); }
  [[nodiscard]] const std::string& claimer() const { return claimer_; }
  /// The outbox as last seen by the upkeep (every lease renewal), for /metrics.
  [[nodiscard]] std::string render_gauges() const;

  /// The longest a send may wait to write its submits; the lease is a multiple of it.
  static constexpr std::chrono::seconds send_budget{30};
  /// Batches of outcomes recorded at once, on as many pooled connections.
  static constexpr int max_recorders = 2;
  /// Rows claimed for one bind: as many as it accepts in `claim_ahead` at its measured rate
  /// (or its configured throughput), at least 16 windows and at most max_claimed_per_bind.
  static constexpr std::chrono::milliseconds claim_ahead{250};
  static constexpr std::size_t max_claimed_per_bind = 5000;
  /// How long a row this daemon claimed may wait for its send to start before an upkeep
  /// suspects its claim's commit was in doubt (store::find_unsent); the next upkeep queues
  /// it again if it is still unsent (store::requeue_unsent).
  static constexpr std::chrono::seconds unsent_grace{60};

 private:
  using change = std::function<bool(pqxx::transaction_base&)>;
  /// Parts a bind had accepted per second, over about the last second.
  struct bind_rate {
    std::chrono::steady_clock::time_point since{};
    std::size_t count = 0;
    double per_second = 0;
  };
  /// An accepted part waiting for the recorder, with its answer.
  struct pending_accept {
    store::accepted_part part;
    bool kept = true;
    bool done = false;
  };

  net::awaitable<void> claim_loop();
  net::awaitable<void> lease_loop();
  net::awaitable<void> send(store::outbox_row row);
  net::awaitable<bool> record(store::id row, const change& c);
  /// Records `p` with every other part accepted meanwhile, in one transaction.
  net::awaitable<bool> record_batched(pending_accept& p);
  net::awaitable<void> recorder();
  std::shared_ptr<smpp::session> session_for(const store::outbox_row& row) const;
  [[nodiscard]] std::size_t capacity() const;
  [[nodiscard]] bool room_to_claim() const;
  void count_accepted(const std::string& bind);
  [[nodiscard]] bool lease_allows(const smpp::session& s) const;

  net::any_io_executor executor_;
  store::db_runner& db_;
  metrics& metrics_;
  std::string claimer_;
  store::delivery_policy policy_;
  std::vector<std::shared_ptr<smpp::session>> sessions_;
  std::vector<std::string> served_;                   // names of the binds that can submit
  std::unordered_map<std::string, bind_rate> rates_;  // by bind name
  std::chrono::seconds lease_{120};
  std::chrono::steady_clock::time_point lease_until_{};  // as this daemon can be sure of it
  std::unordered_multiset<store::id> sending_;           // the rows a send() is working on
  std::vector<store::unsent_row> unsent_;  // claimed but unsent, as the last upkeep saw them
  bool stopping_ = false;
  bool more_due_ = false;  // the last claim was full: claim again once capacity frees
  bool woken_ = false;     // a wake() came while the claim loop was not sleeping
  std::chrono::steady_clock::time_point next_retry_ = std::chrono::steady_clock::time_point::max();
  net::steady_timer wake_;
  net::steady_timer lease_timer_;
  std::vector<pending_accept*> accepted_;  // waiting for the recorder
  int recorders_ = 0;                      // batches in the store now (at most max_recorders)
  net::steady_timer recorded_;             // cancelled after each batch: its waiters look at `done`
  std::atomic<std::int64_t> pending_{0};
  std::atomic<std::int64_t> unserved_{0};
  std::atomic<double> oldest_due_{0};
};

}  // namespace smsgw::daemon
