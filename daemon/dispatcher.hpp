// Submits outbox rows over the SMPP sessions: rows handed over right after the inbound
// commit (fast path) and rows claimed from the table (restarts, other daemons' leftovers,
// sends queued by the admin API).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "store/runner.hpp"
#include "daemon/metrics.hpp"
#include "smpp/session.hpp"
#include "store/outbox.hpp"

namespace smsgw::daemon {

namespace net = boost::asio;

class dispatcher : public std::enable_shared_from_this<dispatcher> {
 public:
  /// `instance` names this daemon in outbox claims.
  dispatcher(net::any_io_executor ex, store::db_runner& db, metrics& m, std::string instance);

  void add_session(std::shared_ptr<smpp::session> s);
  /// Starts the claim loop (polls every `poll_interval`).
  void start(std::chrono::milliseconds poll_interval);
  /// Submits rows this daemon already claimed.
  void send_now(std::vector<store::outbox_row> rows);
  /// Stops claiming and waits up to `drain` for submits in flight.
  net::awaitable<void> stop(std::chrono::milliseconds drain);

  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }

 private:
  net::awaitable<void> claim_loop(std::chrono::milliseconds poll_interval);
  net::awaitable<void> send(store::outbox_row row);
  std::shared_ptr<smpp::session> session_for(const store::outbox_row& row) const;
  [[nodiscard]] std::size_t capacity() const;

  net::any_io_executor executor_;
  store::db_runner& db_;
  metrics& metrics_;
  std::string instance_;
  std::vector<std::shared_ptr<smpp::session>> sessions_;
  std::size_t in_flight_ = 0;
  std::uint16_t next_reference_ = 1;  // concatenation reference of long submits
  bool stopping_ = false;
  net::steady_timer wake_;
};

}  // namespace smsgw::daemon
