#include "daemon/app.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/server.hpp"
#include "daemon/db.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/inbound.hpp"
#include "daemon/metrics.hpp"
#include "smpp/session.hpp"
#include "store/migrate.hpp"

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = [] {
    auto l = spdlog::default_logger()->clone("daemon");
    spdlog::register_logger(l);
    return l;
  }();
  return *logger;
}

smpp::session_options to_session_options(const config::smsc_bind& b) {
  smpp::session_options o;
  o.name = b.name;
  o.host = b.host;
  o.port = b.port;
  o.system_id = b.system_id;
  o.password = b.password;
  o.system_type = b.system_type;
  o.address_range = b.address_range;
  o.window = b.window;
  o.throughput = b.throughput;
  o.throughput_per_sender = b.throughput_per_sender;
  o.use_message_payload = b.use_message_payload;
  o.concat_16bit = b.concat_16bit;
  if (b.tls) o.tls = smpp::tls_options{b.tls->ca_file, b.tls->server_name, b.tls->verify};
  o.enquire_link_interval = b.enquire_link_interval;
  o.response_timeout = b.response_timeout;
  o.reconnect_initial = b.reconnect.initial;
  o.reconnect_max = b.reconnect.max;
  o.reconnect_jitter = b.reconnect.jitter;
  return o;
}

}  // namespace

std::string default_instance_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, ::getpid());
}

struct application::impl {
  impl(net::io_context& ioc, config::daemon_config c, std::string instance)
      : io(ioc),
        cfg(std::move(c)),
        instance_name(instance.empty() ? default_instance_name() : std::move(instance)),
        db(cfg.db.dsn, cfg.db.pool_size),
        out(std::make_shared<dispatcher>(io.get_executor(), db, counters, instance_name)),
        inbound(db, *out, counters, instance_name, cfg.default_country),
        http(io.get_executor(), [this](const admin::http_request& r) { return ops(r); }) {}

  admin::http_response ops(const admin::http_request& r) {
    const auto path = r.target.substr(0, r.target.find('?'));
    if (r.method != "GET")
      return {405, "application/json",
              R"({"error":{"code":"method_not_allowed","message":"GET only"}})"};
    if (path == "/healthz") return {200, "application/json", R"({"status":"ok"})"};
    if (path == "/readyz") {
      std::string binds;
      for (const auto& s : sessions) {
        binds += fmt::format("{}{{\"name\":\"{}\",\"state\":\"{}\"}}", binds.empty() ? "" : ",",
                             smpp::label(s->options()), smpp::to_string(s->state()));
      }
      const bool ok = ready();
      return {ok ? 200 : 503, "application/json",
              fmt::format(R"({{"ready":{},"store":{},"binds":[{}]}})", ok, store_up, binds)};
    }
    if (path == "/metrics") {
      std::string extra =
          "# HELP smsgw_bind_up Whether the bind is bound.\n# TYPE smsgw_bind_up gauge\n";
      for (const auto& s : sessions) {
        extra += fmt::format("smsgw_bind_up{{bind=\"{}\"}} {}\n", smpp::label(s->options()),
                             s->state() == smpp::session_state::bound ? 1 : 0);
      }
      extra +=
          "# HELP smsgw_window_outstanding Requests awaiting a response, per bind.\n"
          "# TYPE smsgw_window_outstanding gauge\n";
      for (const auto& s : sessions) {
        extra += fmt::format("smsgw_window_outstanding{{bind=\"{}\"}} {}\n",
                             smpp::label(s->options()), s->outstanding());
      }
      extra += fmt::format(
          "# HELP smsgw_outbox_in_flight Outbox rows being submitted.\n"
          "# TYPE smsgw_outbox_in_flight gauge\nsmsgw_outbox_in_flight {}\n",
          out->in_flight());
      return {200, "text/plain; version=0.0.4", counters.render(extra)};
    }
    return {404, "application/json", R"({"error":{"code":"not_found","message":"no such path"}})"};
  }

  [[nodiscard]] bool ready() const {
    if (!store_up || sessions.empty()) return false;
    for (const auto& s : sessions) {
      if (s->state() != smpp::session_state::bound) return false;
    }
    return true;
  }

  void check_ready() {
    if (!ready_fired && ready()) {
      ready_fired = true;
      log().info("ready {}", status());
      if (on_ready) on_ready();
    }
  }

  [[nodiscard]] std::string status() const {
    std::size_t up = 0;
    for (const auto& s : sessions) up += s->state() == smpp::session_state::bound ? 1 : 0;
    return fmt::format("binds up {}/{}, outbox in flight {}", up, sessions.size(),
                       out->in_flight());
  }

  net::io_context& io;
  config::daemon_config cfg;
  std::string instance_name;
  metrics counters;
  db_runner db;
  std::shared_ptr<dispatcher> out;
  inbound_pipeline inbound;
  admin::server http;
  std::vector<std::shared_ptr<smpp::session>> sessions;
  std::function<void()> on_ready;
  bool store_up = false;
  bool ready_fired = false;
  bool stopping = false;
  net::steady_timer housekeeping{io};  // expires parts of multipart MOs
};

application::application(net::io_context& ioc, config::daemon_config cfg, std::string instance)
    : impl_(std::make_unique<impl>(ioc, std::move(cfg), std::move(instance))) {}

application::~application() {
  impl_->db.stop();
}

void application::on_ready(std::function<void()> callback) {
  impl_->on_ready = std::move(callback);
}
bool application::ready() const {
  return impl_->ready();
}
std::string application::status() const {
  return impl_->status();
}
std::uint16_t application::admin_port() const {
  return impl_->http.port();
}

net::awaitable<void> application::start() {
  auto& m = *impl_;
  // Accepted by the config parser for forward compatibility, not served yet: refuse rather
  // than run without what the operator asked for.
  if (m.cfg.admin_port.tls) {
    throw std::runtime_error(
        "admin.tls: HTTPS is not served yet; terminate TLS in front of the admin port");
  }
  for (const auto& b : m.cfg.smsc) {
    if (b.mode != config::bind_mode::transceiver) {
      throw std::runtime_error("smsc " + b.name +
                               ": bind_mode receiver_transmitter is not served yet");
    }
  }
  const auto listen = config::parse_endpoint(m.cfg.admin_port.listen);
  if (!listen)
    throw std::invalid_argument("admin.listen is not host:port: " + m.cfg.admin_port.listen);
  try {
    m.http.start(listen->host, listen->port);
  } catch (const std::exception& e) {
    throw std::runtime_error("admin port cannot listen on " + m.cfg.admin_port.listen + ": " +
                             e.what());
  }
  log().info("admin port listening address={}:{}", listen->host, m.http.port());

  net::steady_timer retry(m.io);
  for (auto delay = std::chrono::milliseconds(500);;
       delay = std::min(delay * 2, std::chrono::milliseconds(30000))) {
    try {
      const auto applied = co_await m.db.run([](pqxx::connection& c) { return store::migrate(c); });
      log().info("store ready migrations_applied={}", applied.size());
      break;
    } catch (const std::exception& e) {
      log().error("store unavailable, retrying in_ms={} error=\"{}\"", delay.count(), e.what());
    }
    retry.expires_after(delay);
    boost::system::error_code ec;
    co_await retry.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  m.store_up = true;

  for (const auto& b : m.cfg.smsc) {
    // A receiver_transmitter bind is two sessions: MOs arrive on one, submits leave on the other.
    std::vector<smpp::bind_type> types{smpp::bind_type::transceiver};
    if (b.mode == config::bind_mode::receiver_transmitter) {
      types = {smpp::bind_type::receiver, smpp::bind_type::transmitter};
    }
    for (const auto type : types) {
      auto options = to_session_options(b);
      options.type = type;
      auto s = std::make_shared<smpp::session>(
          m.io.get_executor(), std::move(options),
          [&m, &b](const smpp::sm_body& d) { return m.inbound.on_deliver(b.name, d); });
      s->on_state_change([&m](smpp::session_state) { m.check_ready(); });
      m.sessions.push_back(s);
      m.out->add_session(s);
      s->start();
    }
  }
  m.out->start(std::chrono::milliseconds(1000));
  net::co_spawn(
      m.io,
      [&m]() -> net::awaitable<void> {
        for (;;) {
          m.housekeeping.expires_after(std::chrono::seconds(30));
          boost::system::error_code ec;
          co_await m.housekeeping.async_wait(net::redirect_error(net::use_awaitable, ec));
          if (ec || m.stopping) co_return;
          co_await m.inbound.expire_parts(m.cfg.reassembly_timeout);
        }
      },
      net::detached);
  m.check_ready();
}

net::awaitable<void> application::stop(std::chrono::milliseconds drain) {
  auto& m = *impl_;
  log().info("stopping drain_ms={}", drain.count());
  m.stopping = true;
  m.housekeeping.cancel();
  m.http.stop();
  co_await m.out->stop(drain);
  // The binds unbind together, each bounded: systemd's stop timeout is for all of them.
  auto remaining = std::make_shared<std::size_t>(m.sessions.size());
  for (auto& s : m.sessions) {
    net::co_spawn(
        m.io,
        [s, drain, remaining]() -> net::awaitable<void> {
          co_await s->stop(drain);
          --*remaining;
        },
        net::detached);
  }
  net::steady_timer poll(m.io);
  const auto until = std::chrono::steady_clock::now() + drain + std::chrono::seconds(3);
  while (*remaining > 0 && std::chrono::steady_clock::now() < until) {
    poll.expires_after(std::chrono::milliseconds(10));
    boost::system::error_code ec;
    co_await poll.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  log().info("stopped");
}

}  // namespace smsgw::daemon
