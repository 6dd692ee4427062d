// systemd notifications (no-ops when not started by systemd).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace smsgw::daemon::notify {

/// READY=1 with a STATUS= line.
void ready(const std::string& status);
/// STATUS= line.
void status(const std::string& status);
/// RELOADING=1: a reload runs until the next ready().
void reloading();
/// STOPPING=1.
void stopping();
/// WATCHDOG=1.
void watchdog();
/// The interval at which watchdog() must be called, when systemd asked for one.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace smsgw::daemon::notify
