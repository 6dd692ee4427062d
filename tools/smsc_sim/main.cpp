// smsc-sim: the bundled SMSC simulator. See `smsc-sim --help`.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "smpp/pdu.hpp"
#include "tools/smsc_sim/smsc.hpp"

namespace net = boost::asio;
using smsgw::sim::smsc;

namespace {

struct mo {
  std::string source, destination, text;
};

const char* usage =
    "usage: smsc-sim [--host H] [--port P] [--port-file F] [--system-id ID --password PW]\n"
    "                [--mo FROM:TO:TEXT]... [--mo-file F] [--mo-delay-ms N] [--record F]\n"
    "                [--mo-count N --mo-to TO --mo-text TEXT [--mo-rate R] [--mo-window W]\n"
    "                [--mo-retry-ms N]]\n"
    "                [--receipts] [--refuse-binds STATUS] [--submit-status STATUS\n"
    "                [--submit-status-count N]] [--response-delay-ms N] [--drop-after N]\n"
    "                [--tls-cert PEM --tls-key PEM] [--mo-fifo PATH] [--quiet]\n"
    "  Accepts ESME binds; once a client is bound, delivers each MO (from --mo, then the\n"
    "  lines `FROM TO TEXT` of --mo-file; long texts as concatenated parts) and prints its\n"
    "  deliver_sm_resp; prints every submit_sm it receives (and appends it to --record).\n"
    "  --mo-fifo makes a named pipe (if missing) and delivers each line `FROM TO TEXT`\n"
    "  written to it while running (echo '+61400000123 4040 MOVIE' > PATH).\n"
    "  --mo-count generates N MOs from distinct senders, at most W unanswered, R per second\n"
    "  (0: as fast as answered), then prints the rate and latency percentiles; with\n"
    "  --mo-retry-ms, one answered with a temporary error, unanswered or not taken is\n"
    "  delivered again N ms later (as an SMSC does) until it is answered OK or refused.\n"
    "  STATUS is a number (0x58) as in SMPP 3.4 section 5.1.3.\n";

// A line `FROM TO TEXT` as an MO; nullopt when it has fewer than three fields.
std::optional<mo> parse_mo_line(const std::string& line) {
  std::istringstream in(line);
  mo m;
  if (!(in >> m.source >> m.destination) || !std::getline(in >> std::ws, m.text) ||
      m.text.empty()) {
    return std::nullopt;
  }
  if (m.text.back() == '\r') m.text.pop_back();
  return m;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

// Keeps `window` MOs unanswered at most, `rate` per second at most, and reports. With a
// `retry` pause, an MO answered with a temporary error, left unanswered or not taken (no
// client bound) is delivered again after it, as an SMSC does, until it is answered ESME_ROK
// or refused; it keeps its place in the window meanwhile.
net::awaitable<void> generate_load(net::io_context& ioc, smsc& sim, std::uint64_t count,
                                   std::uint32_t rate, std::uint32_t window, const std::string& to,
                                   const std::string& text, std::chrono::milliseconds retry) {
  std::vector<std::int64_t> latencies;
  latencies.reserve(count);
  std::uint64_t sent = 0;
  std::uint64_t ok = 0;
  std::uint64_t temporary = 0;   // ESME_RX_T_APPN: the ESME asks for a redelivery
  std::uint64_t refused = 0;     // any other error status
  std::uint64_t unanswered = 0;  // sent, and no deliver_sm_resp came
  std::uint64_t not_sent = 0;    // no client bound to take it
  std::uint64_t retried = 0;     // deliveries again (with a retry pause)
  std::uint32_t outstanding = 0;
  net::steady_timer pause(ioc);
  const auto started = std::chrono::steady_clock::now();
  while (sent < count) {
    if (outstanding >= window) {
      pause.expires_after(std::chrono::microseconds(200));
      co_await pause.async_wait(net::use_awaitable);
      continue;
    }
    if (rate > 0) {
      const auto due = started + std::chrono::microseconds(sent * 1'000'000 / rate);
      if (due > std::chrono::steady_clock::now()) {
        pause.expires_at(due);
        co_await pause.async_wait(net::use_awaitable);
      }
    }
    ++outstanding;
    const auto from = "+61499" + std::to_string(1'000'000 + sent).substr(1);
    ++sent;
    net::co_spawn(
        ioc,
        [&, from]() -> net::awaitable<void> {
          for (;;) {
            const auto r = co_await sim.deliver(from, to, text);
            bool again = retry.count() > 0;
            if (!r.sent) {
              ++not_sent;
            } else if (!r.answered) {
              ++unanswered;
            } else if (r.status == smsgw::smpp::status::ok) {
              ++ok;
              again = false;
            } else if (r.status == smsgw::smpp::status::temporary_app_error) {
              ++temporary;
            } else {
              ++refused;
              again = false;
            }
            if (r.sent) latencies.push_back(r.latency.count());
            if (!again) break;
            ++retried;
            net::steady_timer wait(ioc, retry);
            co_await wait.async_wait(net::use_awaitable);
          }
          --outstanding;
        },
        net::detached);
  }
  while (outstanding > 0) {
    pause.expires_after(std::chrono::milliseconds(1));
    co_await pause.async_wait(net::use_awaitable);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::sort(latencies.begin(), latencies.end());
  const auto pct = [&](double p) {
    return latencies.empty()
               ? 0
               : latencies[std::min(
                     latencies.size() - 1,
                     static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
  };
  std::printf(
      "load mos=%llu ok=%llu temporary=%llu refused=%llu unanswered=%llu not_sent=%llu "
      "seconds=%.3f mo_per_s=%.0f p50_us=%lld p99_us=%lld max_us=%lld retried=%llu\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(ok),
      static_cast<unsigned long long>(temporary), static_cast<unsigned long long>(refused),
      static_cast<unsigned long long>(unanswered), static_cast<unsigned long long>(not_sent),
      seconds, static_cast<double>(sent) / seconds, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)),
      static_cast<long long>(latencies.empty() ? 0 : latencies.back()),
      static_cast<unsigned long long>(retried));
  std::fflush(stdout);
}

net::awaitable<void> deliver_and_print(smsc& sim, const mo& m) {
  const auto r = co_await sim.deliver(m.source, m.destination, m.text);
  std::printf("deliver_sm from=%s to=%s text=%s answered=%s status=%s latency_us=%lld\n",
              m.source.c_str(), m.destination.c_str(), quoted(m.text).c_str(),
              r.answered ? "yes" : "no", smsgw::smpp::status_name(r.status).c_str(),
              static_cast<long long>(r.latency.count()));
  std::fflush(stdout);
}

// Delivers each line written to the named pipe at `path`, for as long as the simulator runs.
// Opened for reading and writing, so that a writer closing it is not the end of input.
net::awaitable<void> deliver_from_fifo(net::io_context& ioc, smsc& sim, const std::string& path) {
  if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot make the named pipe " + path + ": " + std::strerror(errno));
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  net::posix::stream_descriptor pipe(ioc, fd);
  std::printf("reading MOs from %s\n", path.c_str());
  std::fflush(stdout);
  std::string buffer;
  net::steady_timer t(ioc);
  for (;;) {
    const auto n =
        co_await net::async_read_until(pipe, net::dynamic_buffer(buffer), '\n', net::use_awaitable);
    const std::string line = buffer.substr(0, n - 1);
    buffer.erase(0, n);
    const auto m = parse_mo_line(line);
    if (!m) {
      std::printf("ignored line=%s (want FROM TO TEXT)\n", quoted(line).c_str());
      std::fflush(stdout);
      continue;
    }
    while (sim.bound_clients() == 0) {
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(net::use_awaitable);
    }
    co_await deliver_and_print(sim, *m);
  }
}

}  // namespace

int main(int argc, char** argv) {
  smsgw::sim::smsc_options options;
  std::vector<mo> mos;
  std::string port_file;
  std::string record_file;
  std::string fifo_path;
  int mo_delay_ms = 200;
  std::uint64_t load_count = 0;
  std::uint32_t load_rate = 0;
  std::uint32_t load_window = 10;
  std::chrono::milliseconds load_retry{0};
  std::string load_to = "4040";
  std::string load_text = "MOVIE";
  bool quiet = false;
  const auto to_u32 = [](const std::string& v) {
    return static_cast<std::uint32_t>(std::stoul(v, nullptr, 0));
  };
  // Each option with a value, and what it sets.
  const std::map<std::string, std::function<void(const std::string&)>> with_value{
      {"--host", [&](const std::string& v) { options.host = v; }},
      {"--port",
       [&](const std::string& v) { options.port = static_cast<std::uint16_t>(to_u32(v)); }},
      {"--port-file", [&](const std::string& v) { port_file = v; }},
      {"--system-id", [&](const std::string& v) { options.system_id = v; }},
      {"--password", [&](const std::string& v) { options.password = v; }},
      {"--record", [&](const std::string& v) { record_file = v; }},
      {"--mo-delay-ms", [&](const std::string& v) { mo_delay_ms = static_cast<int>(to_u32(v)); }},
      {"--mo",
       [&](const std::string& v) {
         const auto c1 = v.find(':');
         const auto c2 = c1 == std::string::npos ? c1 : v.find(':', c1 + 1);
         if (c2 == std::string::npos) throw std::invalid_argument("--mo wants FROM:TO:TEXT");
         mos.push_back({v.substr(0, c1), v.substr(c1 + 1, c2 - c1 - 1), v.substr(c2 + 1)});
       }},
      {"--mo-file",
       [&](const std::string& v) {
         std::ifstream in(v);
         if (!in) throw std::invalid_argument("cannot read " + v);
         for (std::string line; std::getline(in, line);) {
           if (auto m = parse_mo_line(line)) mos.push_back(std::move(*m));
         }
       }},
      {"--mo-fifo", [&](const std::string& v) { fifo_path = v; }},
      {"--mo-count", [&](const std::string& v) { load_count = std::stoull(v); }},
      {"--mo-rate", [&](const std::string& v) { load_rate = to_u32(v); }},
      {"--mo-retry-ms",
       [&](const std::string& v) { load_retry = std::chrono::milliseconds(to_u32(v)); }},
      {"--mo-window",
       [&](const std::string& v) { load_window = std::max<std::uint32_t>(1, to_u32(v)); }},
      {"--mo-to", [&](const std::string& v) { load_to = v; }},
      {"--mo-text", [&](const std::string& v) { load_text = v; }},
      {"--refuse-binds", [&](const std::string& v) { options.refuse_binds = to_u32(v); }},
      {"--submit-status", [&](const std::string& v) { options.submit_status = to_u32(v); }},
      {"--submit-status-count",
       [&](const std::string& v) { options.submit_status_count = to_u32(v); }},
      {"--response-delay-ms",
       [&](const std::string& v) {
         options.response_delay = std::chrono::milliseconds(to_u32(v));
       }},
      {"--drop-after", [&](const std::string& v) { options.drop_after_pdus = to_u32(v); }},
      {"--tls-cert", [&](const std::string& v) { options.tls_certificate = v; }},
      {"--tls-key", [&](const std::string& v) { options.tls_key = v; }},
  };
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--receipts") {
      options.receipts = true;
      continue;
    }
    if (a == "--quiet") {
      quiet = true;
      continue;
    }
    const auto option = with_value.find(a);
    if (option == with_value.end() || i + 1 >= args.size()) {
      std::cerr << "smsc-sim: "
                << (option == with_value.end() ? "unknown argument " : "no value for ") << a << "\n"
                << usage;
      return 2;
    }
    try {
      option->second(args[++i]);
    } catch (const std::exception& e) {
      std::cerr << "smsc-sim: " << a << ": " << e.what() << "\n";
      return 2;
    }
  }

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  net::io_context ioc;
  auto sim = std::make_shared<smsc>(ioc.get_executor(), options);
  sim->start();
  std::printf("smsc-sim listening on %s:%u\n", options.host.c_str(), sim->port());
  std::fflush(stdout);
  if (!port_file.empty()) std::ofstream(port_file) << sim->port() << "\n";

  std::ofstream record;
  if (!record_file.empty()) record.open(record_file, std::ios::app);
  sim->on_submit([&](const smsgw::sim::received_submit& r) {
    if (!quiet) {
      std::printf("submit_sm from=%s to=%s message_id=%s text=%s\n", r.source.c_str(),
                  r.destination.c_str(), r.message_id.c_str(), quoted(r.text).c_str());
      std::fflush(stdout);
    }
    if (record)  // --quiet or not: the record is what a test or benchmark counts
      record << r.source << '\t' << r.destination << '\t' << r.message_id << '\t' << r.text
             << std::endl;
  });

  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        net::steady_timer t(ioc);
        const bool work = !mos.empty() || load_count > 0;
        while (work && sim->bound_clients() == 0) {
          t.expires_after(std::chrono::milliseconds(50));
          co_await t.async_wait(net::use_awaitable);
        }
        t.expires_after(std::chrono::milliseconds(mo_delay_ms));
        if (work) co_await t.async_wait(net::use_awaitable);
        for (const auto& m : mos) co_await deliver_and_print(*sim, m);
        if (load_count > 0) {
          co_await generate_load(ioc, *sim, load_count, load_rate, load_window, load_to, load_text,
                                 load_retry);
        }
        if (!fifo_path.empty()) co_await deliver_from_fifo(ioc, *sim, fifo_path);
      },
      [](const std::exception_ptr& e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          std::cerr << "smsc-sim: " << x.what() << "\n";
          std::exit(1);
        }
      });

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    sim->stop();
    ioc.stop();
  });
  ioc.run();
  return 0;
}
