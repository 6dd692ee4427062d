// The logger of one component (`smpp`, `dispatcher`, …): the default logger's sinks and
// level under the component's name, registered so that a level change reaches it too.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

namespace smsgw::logging {

/// The registered logger named `name`, made from the default logger on first use.
/// Keep the result (a function-local static): the lookup takes the registry's lock.
inline std::shared_ptr<spdlog::logger> component(const std::string& name) {
  static std::mutex made;  // two threads asking first must not both register it
  const std::lock_guard lock(made);
  if (auto existing = spdlog::get(name)) return existing;
  auto made_now = spdlog::default_logger()->clone(name);
  spdlog::register_logger(made_now);
  return made_now;
}

}  // namespace smsgw::logging
