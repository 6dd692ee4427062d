// smsgwd: wiring only. See `smsgwd --help`.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/notify.hpp"
#include "daemon/setup.hpp"
#include "logging/format.hpp"

namespace net = boost::asio;
using namespace smsgw;  // NOLINT(google-build-using-namespace): main.cpp only wires

namespace {

constexpr const char* usage =
    "usage: smsgwd --config FILE [--log-format json]  run the gateway (json: one object per\n"
    "                                                 line, for log shippers)\n"
    "       smsgwd --check-config FILE                validate FILE, exit 0 or 1\n"
    "       smsgwd --config FILE bootstrap --company NAME --admin USERNAME\n"
    "                                                 create a company and its admin\n"
    "                                                 (password read from standard input)\n"
    "       smsgwd --config FILE demo --company NAME  add the demo group, number 4040 and\n"
    "                                                 keyword MOVIE to a company\n"
    "       smsgwd --version\n";

void setup_logging(config::log_level level, logging::format f) {
  // stderr only: journald keeps it (with each line's priority), and each line names its
  // component.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(logging::make_formatter(f, logging::stderr_is_journal()));
  auto logger = std::make_shared<spdlog::logger>("smsgwd", sink);
  spdlog::set_default_logger(logger);
  spdlog::set_level(static_cast<spdlog::level::level_enum>(level));
}

// SIGHUP: re-reads the file and applies what can change live (RELOADING=1 until done, then
// READY=1 again). A file that no longer validates changes nothing; keys only a restart
// applies are named in the log.
void reload(const std::string& path, daemon::application& app) {
  daemon::notify::reloading();
  const auto next = config::load(path);
  if (!next) {
    spdlog::error("reload refused, config unchanged error=\"{}\"", next.error().describe(path));
  } else {
    spdlog::set_level(static_cast<spdlog::level::level_enum>(next->level));
    const auto restart = app.reload(*next);
    if (restart.empty()) {
      spdlog::info("reload done log_level={}", spdlog::level::to_string_view(spdlog::get_level()));
    } else {
      spdlog::warn("reload done, restart needed to apply keys={}", fmt::join(restart, ","));
    }
  }
  daemon::notify::ready(app.status());
}

int run(const std::string& path, const config::daemon_config& cfg) {
  daemon::event_loop ioc(1);
  daemon::application app(ioc, cfg);
  app.on_ready([&app] { daemon::notify::ready(app.status()); });
  app.on_status_change([&app] { daemon::notify::status(app.status()); });

  net::signal_set hangups(ioc, SIGHUP);
  std::function<void()> on_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload(path, app);
      on_hangup();
    });
  };
  on_hangup();

  // SIGTERM (or SIGINT): drain within stop_timeout, then exit. A second one, or the bound
  // passing, ends the loop at once: the store work already started still finishes, and what
  // was not answered the SMSC redelivers.
  bool stopping = false;
  net::steady_timer at_the_bound(ioc);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void()> on_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (stopping) {
        spdlog::warn("second signal, stopping now signal={}", sig);
        ioc.stop();
        return;
      }
      stopping = true;
      on_signal();
      hangups.cancel();
      // The bound a reload may have changed.
      const auto timeout = app.running_config().stop_timeout;
      const auto bound = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
      spdlog::info("signal received signal={} stop_timeout_s={}", sig, timeout.count());
      daemon::notify::stopping();
      at_the_bound.expires_after(bound);
      at_the_bound.async_wait([&](const boost::system::error_code& e) {
        if (e) return;
        spdlog::warn("stop_timeout passed, stopping now");
        ioc.stop();
      });
      net::co_spawn(
          ioc,
          [&, bound]() -> net::awaitable<void> {
            // What is left of the bound after the drain is for the store work to finish.
            co_await app.stop(bound - std::min(bound / 10, std::chrono::milliseconds(500)));
            ioc.stop();
          },
          net::detached);
    });
  };
  on_signal();

  // Watchdog and STATUS= lines, at half the watchdog interval (or every 10 s).
  net::steady_timer heartbeat(ioc);
  const auto interval = daemon::notify::watchdog_interval().value_or(std::chrono::seconds(20)) / 2;
  std::function<void()> beat = [&] {
    heartbeat.expires_after(interval);
    heartbeat.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      // Withheld while the store threads or a bind are stuck: systemd restarts a daemon whose
      // MOs cannot move. A loop that is stuck never gets here.
      if (app.alive()) daemon::notify::watchdog();
      daemon::notify::status(app.status());
      beat();
    });
  };
  beat();

  int exit_code = 0;
  net::co_spawn(ioc, app.start(), [&](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::critical("start failed error=\"{}\"", ex.what());
    }
    exit_code = 1;
    ioc.stop();
  });
  ioc.run();
  // In this order: the store threads finish their jobs, the suspended coroutines (which
  // point into `app`) are destroyed, then `app`, then the loop.
  app.finish();
  ioc.discard_pending();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "smsgwd 0.1.0\n";
    return 0;
  }
  if (args.size() < 2 || (args[0] != "--config" && args[0] != "--check-config")) {
    std::cerr << usage;
    return 2;
  }
  const auto cfg = config::load(args[1]);
  if (!cfg) {
    std::cerr << cfg.error().describe(args[1]) << "\n";
    return 1;
  }
  if (args[0] == "--check-config") {
    std::cout << args[1] << ": ok\n";
    return 0;
  }
  auto format = logging::format::text;
  std::vector<std::string> rest(args.begin() + 2, args.end());
  if (rest.size() >= 2 && rest[0] == "--log-format") {
    if (rest[1] != "json" && rest[1] != "text") {
      std::cerr << "--log-format is text or json\n" << usage;
      return 2;
    }
    format = rest[1] == "json" ? logging::format::json : logging::format::text;
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  setup_logging(cfg->level, format);
  try {
    if (rest.empty()) return run(args[1], *cfg);
    return daemon::run_setup_command(*cfg, rest, std::cin, std::cout);
  } catch (const std::exception& e) {
    spdlog::critical("failed error=\"{}\"", e.what());
    return 1;
  }
}
