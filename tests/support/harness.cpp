#include "tests/support/harness.hpp"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>

namespace smsgw::testing {

config::daemon_config test_config(const std::string& dsn, std::uint16_t smsc_port,
                                  const std::string& bind_name) {
  config::daemon_config c;
  c.db.dsn = dsn;
  c.db.pool_size = 2;
  c.admin_port.listen = "127.0.0.1:0";
  // Short HTTP deadlines, so that the tests of slow and idle clients take seconds.
  c.admin_port.idle_timeout = std::chrono::seconds(5);
  c.admin_port.read_timeout = std::chrono::seconds(3);
  config::smsc_bind b;
  b.name = bind_name;
  b.host = "127.0.0.1";
  b.port = smsc_port;
  b.system_id = "smsgw";
  b.password = "secret";
  b.window = 10;
  b.enquire_link_interval = std::chrono::seconds(30);
  b.response_timeout = std::chrono::seconds(5);
  b.reconnect.initial = std::chrono::milliseconds(100);
  b.reconnect.max = std::chrono::milliseconds(1000);
  c.smsc.push_back(b);
  return c;
}

harness::harness(const std::string& dsn, const std::string& instance, sim::smsc_options sim_options,
                 std::optional<std::uint16_t> external_smsc, const configure_fn& configure)
    : work_(net::make_work_guard(io_)) {
  smsc_ = std::make_shared<sim::smsc>(io_.get_executor(), std::move(sim_options));
  smsc_->start();
  auto cfg = test_config(dsn, external_smsc.value_or(smsc_->port()));
  if (configure) configure(cfg);
  app_ = std::make_unique<daemon::application>(io_, std::move(cfg), instance);
  net::co_spawn(io_, app_->start(), net::detached);
  thread_ = std::thread([this] { io_.run(); });
}

harness::~harness() {
  auto stopped = net::co_spawn(io_, app_->stop(std::chrono::seconds(2)), net::use_future);
  stopped.wait_for(std::chrono::seconds(10));
  net::post(io_, [this] { smsc_->stop(); });
  work_.reset();
  io_.stop();
  thread_.join();
  app_->finish();
  io_.discard_pending();
}

bool harness::wait_ready(std::chrono::milliseconds timeout) {
  return eventually(
      [this] {
        auto ready = net::co_spawn(
            io_,
            [this]() -> net::awaitable<bool> { co_return app_->ready() && app_->binds_bound(); },
            net::use_future);
        return ready.get();
      },
      timeout);
}

sim::deliver_result harness::deliver(const std::string& from, const std::string& to,
                                     const std::string& text) {
  auto result = net::co_spawn(
      io_,
      [s = smsc_, from, to, text]() -> net::awaitable<sim::deliver_result> {
        co_return co_await s->deliver(from, to, text);
      },
      net::use_future);
  return result.get();
}

sim::deliver_result harness::deliver_pdu(const smpp::sm_body& body) {
  auto result = net::co_spawn(
      io_,
      [s = smsc_, body]() -> net::awaitable<sim::deliver_result> {
        co_return co_await s->deliver_pdu(body);
      },
      net::use_future);
  return result.get();
}

std::vector<sim::deliver_result> harness::deliver_together(
    const std::vector<smpp::sm_body>& bodies) {
  std::vector<std::future<sim::deliver_result>> pending;
  pending.reserve(bodies.size());
  for (const auto& body : bodies) {
    pending.push_back(net::co_spawn(
        io_,
        [s = smsc_, &body]() -> net::awaitable<sim::deliver_result> {
          co_return co_await s->deliver_pdu(body);
        },
        net::use_future));
  }
  std::vector<sim::deliver_result> results;
  results.reserve(pending.size());
  for (auto& p : pending) results.push_back(p.get());
  return results;
}

bool harness::eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace smsgw::testing
