// submit_sm throughput of one bind against the simulator over loopback, at several
// window sizes: messages per second and CPU per message of the ESME's network thread.
//
//   smpp_bench [messages per run, default 20000]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include "smpp/session.hpp"
#include "tools/smsc_sim/smsc.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct result {
  double per_second;
  double cpu_us_per_message;
};

// Keeps `window` submits in flight until `count` are answered.
result run(std::uint32_t window, std::uint64_t count) {
  net::io_context sim_io;  // the SMSC on its own thread, so its CPU is not counted
  auto sim_work = net::make_work_guard(sim_io);
  auto sim = std::make_shared<smsgw::sim::smsc>(sim_io.get_executor(), smsgw::sim::smsc_options{});
  sim->start();
  std::thread sim_thread([&] { sim_io.run(); });

  net::io_context io;
  smsgw::smpp::session_options o;
  o.name = "bench";
  o.host = "127.0.0.1";
  o.port = sim->port();
  o.system_id = "bench";
  o.window = window;
  auto s = std::make_shared<smsgw::smpp::session>(
      io.get_executor(), o,
      [](const smsgw::smpp::sm_body&) -> net::awaitable<std::uint32_t> { co_return 0; });
  s->start();

  std::uint64_t started = 0;
  std::uint64_t accepted = 0;
  double cpu = 0;
  std::chrono::steady_clock::duration wall{};
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        net::steady_timer t(io);
        while (s->state() != smsgw::smpp::session_state::bound) {
          t.expires_after(1ms);
          co_await t.async_wait(net::use_awaitable);
        }
        smsgw::smpp::sm_body b;
        b.source = {0, 1, "4040"};
        b.destination = {1, 1, "61400000001"};
        b.short_message = "Welcome to Movie News! Reply MOVIE STOP to leave.";
        const double cpu0 = thread_cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        std::uint64_t done = 0;
        for (std::uint32_t w = 0; w < window; ++w) {
          net::co_spawn(
              io,
              [&]() -> net::awaitable<void> {
                while (started < count) {
                  ++started;
                  const auto r = co_await s->submit(b);
                  if (r.what == smsgw::smpp::submit_result::outcome::accepted) ++accepted;
                }
                ++done;
              },
              net::detached);
        }
        while (done < window) {
          t.expires_after(1ms);
          co_await t.async_wait(net::use_awaitable);
        }
        wall = std::chrono::steady_clock::now() - t0;
        cpu = thread_cpu_seconds() - cpu0;
        co_await s->stop(1s);
        io.stop();
      },
      net::detached);
  io.run();

  net::post(sim_io, [&] { sim->stop(); });
  sim_work.reset();
  sim_io.stop();
  sim_thread.join();
  const double seconds = std::chrono::duration<double>(wall).count();
  if (accepted != count)
    std::fprintf(stderr, "only %llu of %llu accepted\n", static_cast<unsigned long long>(accepted),
                 static_cast<unsigned long long>(count));
  return {static_cast<double>(accepted) / seconds, cpu * 1e6 / static_cast<double>(count)};
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  std::printf("submit_sm over loopback, %llu messages per run\n",
              static_cast<unsigned long long>(count));
  std::printf("%8s %14s %22s\n", "window", "messages/s", "ESME CPU us/message");
  for (const std::uint32_t window : {1U, 10U, 100U}) {
    const auto r = run(window, window == 1 ? count / 4 : count);
    std::printf("%8u %14.0f %22.1f\n", window, r.per_second, r.cpu_us_per_message);
  }
  return 0;
}
