// What a reload (SIGHUP) can apply to a running daemon, and what only a restart applies.
// Pure functions of the running and the new configuration: the daemon acts on their answer.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace smsgw::config {

/// What a reload does with a bind that is in both the running and the new file.
enum class bind_change {
  none,    ///< identical
  limits,  ///< only window, throughput or throughput_per_sender: applied to the live bind
  rebind,  ///< anything else (host, port, credentials, mode, TLS, timers): unbind, bind again
};
bind_change compare(const smsc_bind& running, const smsc_bind& next);

/// The binds a reload starts, drains and unbinds, rebinds and retunes, matched by name.
struct bind_plan {
  std::vector<smsc_bind> added;
  std::vector<std::string> removed;
  std::vector<smsc_bind> rebound;
  std::vector<smsc_bind> retuned;
  [[nodiscard]] bool empty() const {
    return added.empty() && removed.empty() && rebound.empty() && retuned.empty();
  }
};
bind_plan plan_binds(const std::vector<smsc_bind>& running, const std::vector<smsc_bind>& next);

/// The keys whose new value only a restart applies, as the file names them (`store.dsn`,
/// `admin.listen`, `default_country`, `outbox.max_attempts`, ...), in file order.
std::vector<std::string> restart_needed(const daemon_config& running, const daemon_config& next);

/// What the daemon runs after reloading `next`: its live keys, and the running values of the
/// keys that need a restart.
daemon_config after_reload(const daemon_config& running, daemon_config next);

}  // namespace smsgw::config
