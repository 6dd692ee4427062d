// The daemon as one object: store, SMPP binds, inbound pipeline, dispatcher, admin port.
// main() and the integration tests build it the same way.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "config/config.hpp"

namespace smsgw::daemon {

namespace net = boost::asio;

class application {
 public:
  /// `instance` names this process in outbox claims (host:pid by default).
  application(net::io_context& ioc, config::daemon_config cfg, std::string instance = "");
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// Applies migrations (waiting while the store is unreachable), then starts the admin
  /// port, the binds and the dispatcher. Throws when the admin port cannot listen.
  net::awaitable<void> start();

  /// Drains and stops within `bound`: closes the admin port to new connections, answers
  /// new deliver_sm with ESME_RX_T_APPN (the SMSC keeps them), lets the MOs in hand commit
  /// and be answered, lets the submits in the window be answered, unbinds every bind.
  net::awaitable<void> stop(std::chrono::milliseconds bound);

  /// Applies a new configuration (SIGHUP), at once: the bind list (new binds start; removed
  /// ones stop taking MOs and submits, let their window and MOs in hand be answered within
  /// their response timeout, and unbind; changed hosts, credentials or other bind settings
  /// do that and bind again; new windows and rates apply to the live binds), the reassembly
  /// and stop timeouts. Keys only a restart applies keep their running values; their names
  /// are returned (`store.dsn`, `admin.listen`, ...). `next` must have been validated.
  std::vector<std::string> reload(const config::daemon_config& next);
  /// The configuration running now (the last reload's, restart-only keys excepted).
  [[nodiscard]] const config::daemon_config& running_config() const;

  /// Waits for the store work already queued (none is cut off mid-transaction). Call once the
  /// event loop has stopped, before its pending handlers are destroyed: a store job may point
  /// into a suspended coroutine's frame. The destructor calls it too.
  void finish();

  /// Called once, when the store is migrated and the admin port listens (systemd's
  /// READY=1): a carrier that cannot be reached at boot must not hold the daemon back, nor
  /// get it restarted in a loop; the binds come up on their own and report in status().
  void on_ready(std::function<void()> callback);
  /// Called after every bind state change once ready (systemd's STATUS=).
  void on_status_change(std::function<void()> callback);

  /// For the watchdog, once per beat: false (with the reason logged) when the store threads
  /// have not taken the probe sent at the previous call, or a bind's state machine is stuck.
  /// Sends the next probe. (That it is called at all says the event loop runs.)
  [[nodiscard]] bool alive();

  /// True once the store is migrated and the admin port listens.
  [[nodiscard]] bool ready() const;
  /// True while every bind (both sessions of a receiver_transmitter bind) is bound.
  [[nodiscard]] bool binds_bound() const;
  /// `binds up 1/1, outbox pending 0, in flight 0, MOs 12.5/s`: for sd_notify STATUS= and
  /// logs (the rate since the previous call at least a second ago).
  [[nodiscard]] std::string status() const;
  /// The admin port actually bound (useful when the config says port 0).
  [[nodiscard]] std::uint16_t admin_port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `hostname:pid`.
std::string default_instance_name();

}  // namespace smsgw::daemon
