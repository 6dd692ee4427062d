// The one-shot commands of smsgwd: `bootstrap` (first company and admin) and `demo`.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace smsgw::daemon {

/// Runs `args` (`bootstrap --company NAME --admin USERNAME`, password on `in`; or
/// `demo --company NAME`) against the configured store after migrating it. Both are
/// idempotent. Returns the process exit code; usage errors are 2.
int run_setup_command(const config::daemon_config& cfg, const std::vector<std::string>& args,
                      std::istream& in, std::ostream& out);

}  // namespace smsgw::daemon
