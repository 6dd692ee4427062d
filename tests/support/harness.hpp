// One smsgwd (in-process) bound to one SMSC simulator over loopback, with its io_context
// on a background thread: what the integration tests drive.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/app.hpp"
#include "daemon/event_loop.hpp"
#include "tools/smsc_sim/smsc.hpp"

namespace smsgw::testing {

namespace net = boost::asio;

/// A config for one bind to 127.0.0.1:`smsc_port`, admin port on a free port.
config::daemon_config test_config(const std::string& dsn, std::uint16_t smsc_port,
                                  const std::string& bind_name = "sim");

class harness {
 public:
  /// Changes test_config before the daemon starts.
  using configure_fn = std::function<void(config::daemon_config&)>;

  /// Starts a simulator and a daemon on `dsn`; does not wait for readiness. With
  /// `external_smsc`, the daemon binds to that port instead (the simulator still runs).
  explicit harness(const std::string& dsn, const std::string& instance = "test",
                   sim::smsc_options sim_options = {},
                   std::optional<std::uint16_t> external_smsc = std::nullopt,
                   const configure_fn& configure = {});
  ~harness();
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  /// Waits until the daemon is ready (store migrated, admin port up) and every bind bound.
  [[nodiscard]] bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Injects an MO and waits for its deliver_sm_resp.
  sim::deliver_result deliver(const std::string& from, const std::string& to,
                              const std::string& text);
  /// Injects one deliver_sm body as given and waits for its deliver_sm_resp.
  sim::deliver_result deliver_pdu(const smpp::sm_body& body);
  /// Injects every body at once (none waits for another's response) and waits for all
  /// their deliver_sm_resp; results in the order given.
  std::vector<sim::deliver_result> deliver_together(const std::vector<smpp::sm_body>& bodies);
  /// Polls `done` every 10 ms until true or `timeout`.
  static bool eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

  [[nodiscard]] sim::smsc& smsc() { return *smsc_; }
  [[nodiscard]] daemon::application& app() { return *app_; }
  [[nodiscard]] net::io_context& io() { return io_; }

 private:
  daemon::event_loop io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::shared_ptr<sim::smsc> smsc_;
  std::unique_ptr<daemon::application> app_;
  std::thread thread_;
};

}  // namespace smsgw::testing
