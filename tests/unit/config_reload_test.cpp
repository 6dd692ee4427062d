// What a SIGHUP applies live and what it reports as needing a restart.
#include "config/reload.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace config = smsgw::config;
using std::chrono::seconds;

config::smsc_bind bind(const std::string& name) {
  config::smsc_bind b;
  b.name = name;
  b.host = "smsc.example.net";
  b.system_id = "sys";
  b.password = "pw";
  return b;
}

std::vector<std::string> names(const std::vector<config::smsc_bind>& binds) {
  std::vector<std::string> out;
  out.reserve(binds.size());
  for (const auto& b : binds) out.push_back(b.name);
  return out;
}

TEST(ConfigReload, WindowAndThroughputAreRetunedEverythingElseOfABindRebinds) {
  const auto running = bind("a");
  EXPECT_EQ(config::compare(running, running), config::bind_change::none);
  auto next = running;
  next.window = 50;
  next.throughput = 100;
  next.throughput_per_sender = 1;
  EXPECT_EQ(config::compare(running, next), config::bind_change::limits);

  const std::vector<void (*)(config::smsc_bind&)> rebinds = {
      [](config::smsc_bind& b) { b.host = "other.example.net"; },
      [](config::smsc_bind& b) { b.port = 2776; },
      [](config::smsc_bind& b) { b.system_id = "sys2"; },
      [](config::smsc_bind& b) { b.password = "pw2"; },
      [](config::smsc_bind& b) { b.system_type = "VMA"; },
      [](config::smsc_bind& b) { b.address_range = "^4040"; },
      [](config::smsc_bind& b) { b.mode = config::bind_mode::receiver_transmitter; },
      [](config::smsc_bind& b) { b.use_message_payload = true; },
      [](config::smsc_bind& b) { b.concat_16bit = true; },
      [](config::smsc_bind& b) { b.enquire_link_interval = seconds(5); },
      [](config::smsc_bind& b) { b.response_timeout = seconds(5); },
      [](config::smsc_bind& b) { b.reconnect.max = std::chrono::milliseconds(5000); },
      [](config::smsc_bind& b) { b.tls = config::smsc_tls{}; },
  };
  for (std::size_t i = 0; i < rebinds.size(); ++i) {
    auto changed = running;
    changed.window = 99;  // a limit changing too does not make it less of a rebind
    rebinds[i](changed);
    EXPECT_EQ(config::compare(running, changed), config::bind_change::rebind) << i;
  }
}

TEST(ConfigReload, BindsAreMatchedByName) {
  auto kept = bind("kept");
  auto retuned = bind("retuned");
  auto moved = bind("moved");
  const std::vector running = {kept, retuned, moved, bind("gone")};
  retuned.window = 100;
  moved.host = "new.example.net";
  const std::vector next = {bind("new"), moved, retuned, kept};

  const auto plan = config::plan_binds(running, next);
  EXPECT_EQ(names(plan.added), std::vector<std::string>{"new"});
  EXPECT_EQ(plan.removed, std::vector<std::string>{"gone"});
  EXPECT_EQ(names(plan.rebound), std::vector<std::string>{"moved"});
  ASSERT_EQ(names(plan.retuned), std::vector<std::string>{"retuned"});
  EXPECT_EQ(plan.retuned[0].window, 100U);
  EXPECT_FALSE(plan.empty());
  EXPECT_TRUE(config::plan_binds(running, running).empty());
}

TEST(ConfigReload, StoreAdminCountryAndOutboxNeedARestartAndKeepRunning) {
  config::daemon_config running;
  running.smsc = {bind("a")};
  auto next = running;
  next.level = config::log_level::debug;
  next.reassembly_timeout = seconds(60);
  next.stop_timeout = seconds(30);
  next.smsc = {bind("b")};
  EXPECT_TRUE(config::restart_needed(running, next).empty());
  EXPECT_EQ(config::after_reload(running, next), next);  // all of it live

  next.db.dsn = "host=elsewhere";
  next.db.pool_size = 8;
  next.admin_port.listen = "0.0.0.0:9090";
  next.admin_port.tls = config::tls_files{"cert.pem", "key.pem"};
  next.admin_port.pool_size = 4;
  next.admin_port.max_connections = 10;
  next.admin_port.idle_timeout = seconds(5);
  next.admin_port.read_timeout = seconds(5);
  next.admin_port.upload_limit_mb = 1;
  next.default_country = "GB";
  next.delivery.max_attempts = 3;
  next.delivery.validity = seconds(3600);
  next.db.connect_timeout = seconds(1);
  next.db.statement_timeout = std::chrono::milliseconds(100);
  next.mo.batch_size = 1;
  next.mo.batch_wait = std::chrono::microseconds(1);
  next.mo.commits_in_flight = 1;
  next.mo.redelivery_window = seconds(60);
  EXPECT_EQ(
      config::restart_needed(running, next),
      (std::vector<std::string>{
          "store.dsn", "store.pool_size", "store.connect_timeout", "store.statement_timeout_ms",
          "admin.listen", "admin.tls", "admin.pool_size", "admin.max_connections",
          "admin.idle_timeout", "admin.read_timeout", "admin.upload_limit_mb", "default_country",
          "outbox.max_attempts", "outbox.validity", "inbound.batch_size", "inbound.batch_wait_us",
          "inbound.commits_in_flight", "inbound.redelivery_window"}));
  const auto applied = config::after_reload(running, next);
  EXPECT_EQ(applied.db, running.db);
  EXPECT_EQ(applied.admin_port, running.admin_port);
  EXPECT_EQ(applied.default_country, running.default_country);
  EXPECT_EQ(applied.delivery, running.delivery);
  EXPECT_EQ(applied.mo, running.mo);
  EXPECT_EQ(applied.level, config::log_level::debug);
  EXPECT_EQ(applied.smsc, next.smsc);
  // Nothing else is left behind: once the restart keys are put back, it is the new file.
  EXPECT_TRUE(config::restart_needed(running, applied).empty());
}

}  // namespace
