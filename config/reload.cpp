#include "config/reload.hpp"

#include <algorithm>

namespace smsgw::config {

bind_change compare(const smsc_bind& running, const smsc_bind& next) {
  if (running == next) return bind_change::none;
  smsc_bind same_limits = next;
  same_limits.window = running.window;
  same_limits.throughput = running.throughput;
  same_limits.throughput_per_sender = running.throughput_per_sender;
  return same_limits == running ? bind_change::limits : bind_change::rebind;
}

bind_plan plan_binds(const std::vector<smsc_bind>& running, const std::vector<smsc_bind>& next) {
  const auto find = [](const std::vector<smsc_bind>& in, const std::string& name) {
    return std::find_if(in.begin(), in.end(), [&](const smsc_bind& b) { return b.name == name; });
  };
  bind_plan plan;
  for (const auto& b : running) {
    if (find(next, b.name) == next.end()) plan.removed.push_back(b.name);
  }
  for (const auto& b : next) {
    const auto was = find(running, b.name);
    if (was == running.end()) {
      plan.added.push_back(b);
      continue;
    }
    switch (compare(*was, b)) {
      case bind_change::none: break;
      case bind_change::limits: plan.retuned.push_back(b); break;
      case bind_change::rebind: plan.rebound.push_back(b); break;
    }
  }
  return plan;
}

std::vector<std::string> restart_needed(const daemon_config& running, const daemon_config& next) {
  std::vector<std::string> keys;
  const auto check = [&keys](bool changed, const char* key) {
    if (changed) keys.emplace_back(key);
  };
  check(running.db.dsn != next.db.dsn, "store.dsn");
  check(running.db.pool_size != next.db.pool_size, "store.pool_size");
  check(running.db.connect_timeout != next.db.connect_timeout, "store.connect_timeout");
  check(running.db.statement_timeout != next.db.statement_timeout, "store.statement_timeout_ms");
  const auto& a = running.admin_port;
  const auto& b = next.admin_port;
  check(a.listen != b.listen, "admin.listen");
  check(a.tls != b.tls, "admin.tls");
  check(a.pool_size != b.pool_size, "admin.pool_size");
  check(a.max_connections != b.max_connections, "admin.max_connections");
  check(a.idle_timeout != b.idle_timeout, "admin.idle_timeout");
  check(a.read_timeout != b.read_timeout, "admin.read_timeout");
  check(a.upload_limit_mb != b.upload_limit_mb, "admin.upload_limit_mb");
  check(running.default_country != next.default_country, "default_country");
  check(running.delivery.max_attempts != next.delivery.max_attempts, "outbox.max_attempts");
  check(running.delivery.validity != next.delivery.validity, "outbox.validity");
  check(running.mo.batch_size != next.mo.batch_size, "inbound.batch_size");
  check(running.mo.batch_wait != next.mo.batch_wait, "inbound.batch_wait_us");
  check(running.mo.commits_in_flight != next.mo.commits_in_flight, "inbound.commits_in_flight");
  check(running.mo.redelivery_window != next.mo.redelivery_window, "inbound.redelivery_window");
  return keys;
}

daemon_config after_reload(const daemon_config& running, daemon_config next) {
  next.db = running.db;
  next.admin_port = running.admin_port;
  next.default_country = running.default_country;
  next.delivery = running.delivery;
  next.mo = running.mo;
  return next;
}

}  // namespace smsgw::config
