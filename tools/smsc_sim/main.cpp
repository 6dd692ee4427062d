// smsc-sim: the bundled SMSC simulator. See `smsc-sim --help`.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
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
    "  Accepts ESME binds; once a client is bound, delivers each MO (from --mo, then the\n"
    "  lines `FROM TO TEXT` of --mo-file) and prints its deliver_sm_resp; prints every\n"
    "  submit_sm it receives (and appends it to --record as a tab-separated line).\n";

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  smsgw::sim::smsc_options options;
  std::vector<mo> mos;
  std::string port_file;
  std::string record_file;
  int mo_delay_ms = 200;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << "smsc-sim: " << a << " needs a value\n" << usage;
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--host")
      options.host = value();
    else if (a == "--port")
      options.port = static_cast<std::uint16_t>(std::stoi(value()));
    else if (a == "--port-file")
      port_file = value();
    else if (a == "--system-id")
      options.system_id = value();
    else if (a == "--password")
      options.password = value();
    else if (a == "--record")
      record_file = value();
    else if (a == "--mo-delay-ms")
      mo_delay_ms = std::stoi(value());
    else if (a == "--mo") {
      const std::string v = value();
      const auto c1 = v.find(':');
      const auto c2 = c1 == std::string::npos ? c1 : v.find(':', c1 + 1);
      if (c2 == std::string::npos) {
        std::cerr << "smsc-sim: --mo wants FROM:TO:TEXT\n";
        return 2;
      }
      mos.push_back({v.substr(0, c1), v.substr(c1 + 1, c2 - c1 - 1), v.substr(c2 + 1)});
    } else if (a == "--mo-file") {
      std::ifstream in(value());
      std::string from, to, text;
      while (in >> from >> to && std::getline(in >> std::ws, text)) mos.push_back({from, to, text});
    } else if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "smsc-sim: unknown argument " << a << "\n" << usage;
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
    std::printf("submit_sm from=%s to=%s message_id=%s text=%s\n", r.source.c_str(),
                r.destination.c_str(), r.message_id.c_str(), quoted(r.text).c_str());
    std::fflush(stdout);
    if (record)
      record << r.source << '\t' << r.destination << '\t' << r.message_id << '\t' << r.text
             << std::endl;
  });

  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        net::steady_timer t(ioc);
        while (!mos.empty() && sim->bound_clients() == 0) {
          t.expires_after(std::chrono::milliseconds(50));
          co_await t.async_wait(net::use_awaitable);
        }
        t.expires_after(std::chrono::milliseconds(mo_delay_ms));
        if (!mos.empty()) co_await t.async_wait(net::use_awaitable);
        for (const auto& m : mos) {
          const auto r = co_await sim->deliver(m.source, m.destination, m.text);
          std::printf("deliver_sm from=%s to=%s text=%s answered=%s status=%s latency_us=%lld\n",
                      m.source.c_str(), m.destination.c_str(), quoted(m.text).c_str(),
                      r.answered ? "yes" : "no", smsgw::smpp::status_name(r.status).c_str(),
                      static_cast<long long>(r.latency.count()));
          std::fflush(stdout);
        }
      },
      net::detached);

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    sim->stop();
    ioc.stop();
  });
  ioc.run();
  return 0;
}
