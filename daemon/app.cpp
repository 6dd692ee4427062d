#include "daemon/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include "admin/api.hpp"
#include "config/reload.hpp"
#include "admin/server.hpp"
#include "store/runner.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/inbound.hpp"
#include "daemon/metrics.hpp"
#include "smpp/session.hpp"
#include "store/inbound.hpp"
#include "store/listener.hpp"
#include "store/outbox.hpp"
#include "store/pool.hpp"
#include "store/migrate.hpp"
#include "logging/component.hpp"

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("daemon");
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

namespace {

// Outbox claims outlive a process only until its lease runs out, so a restarted daemon
// (same instance name) must not take its predecessor's claims for its own.
std::string claimer_name(const std::string& instance) {
  std::random_device random;
  return fmt::format("{}#{:08x}", instance, random());
}

}  // namespace

struct application::impl {
  impl(net::io_context& ioc, config::daemon_config c, std::string instance)
      : io(ioc),
        cfg(std::move(c)),
        instance_name(instance.empty() ? default_instance_name() : std::move(instance)),
        claimer(claimer_name(instance_name)),
        dsn(store::with_connect_timeout(cfg.db.dsn, cfg.db.connect_timeout)),
        // An MO transaction may take twice its statement bound before its link is cut.
        db(dsn, cfg.db.pool_size, 2 * cfg.db.statement_timeout,
           [this, bound = cfg.db.statement_timeout](pqxx::connection& fresh) {
             if (!migrated) return false;  // the migration's own connection: later
             warm_up(fresh, routes, bound);
             return true;
           }),
        out(std::make_shared<dispatcher>(
            io.get_executor(), db, counters, claimer,
            store::delivery_policy{static_cast<int>(cfg.delivery.max_attempts),
                                   cfg.delivery.validity})),
        commits(io.get_executor(), db, commit_options(cfg, routes)),
        inbound(db, commits, routes, *out, counters, claimer, cfg.default_country,
                cfg.mo.redelivery_window),
        admin_db(dsn, cfg.admin_port.pool_size),
        api(io.get_executor(), admin_db,
            admin::api_options{cfg.default_country,
                               std::max<std::size_t>(cfg.admin_port.pool_size - 1, 1)},
            ops_hooks()),
        http(
            io.get_executor(), [this](const admin::http_request& r) { return api.handle(r); },
            server_options(cfg.admin_port, api)) {}

  // A new connection runs the MO transaction's statements and the reply outcome's once, on
  // nothing, and rolls back: PostgreSQL loads its catalogs and plans then, not while the first
  // MOs after a start (or a reconnection) wait for it, 20-60 ms for apply_mos alone. It waits
  // on no lock: a locked table costs a warning, not the start. (Receipts, long messages'
  // parts and refusals still plan on first use: rarer, and cheaper.)
  static void warm_up(pqxx::connection& c, store::route_cache& routes,
                      std::chrono::milliseconds statement_timeout) {
    pqxx::work w(c);
    routes.sync(store::warm_up_inbound(w, statement_timeout));
    store::record_accepted(w, {}, std::nullopt);
    w.abort();
  }

  // Each transaction bounds its statements and checks the routes first.
  static store::group_commit_options commit_options(const config::daemon_config& c,
                                                    store::route_cache& routes) {
    store::group_commit_options o;
    o.max_batch = c.mo.batch_size;
    o.max_wait = c.mo.batch_wait;
    o.max_in_flight = std::min<std::size_t>(c.mo.commits_in_flight, c.db.pool_size);
    o.on_begin = [&routes, bound = c.db.statement_timeout](pqxx::transaction_base& t) {
      routes.sync(store::begin_inbound(t, bound));
      inbound_pipeline::begin_batch(t);
    };
    o.before_commit = &inbound_pipeline::apply_batch;
    return o;
  }

  static admin::server_options server_options(const config::admin& a, const admin::api& api) {
    admin::server_options o;
    o.takes_upload = [&api](std::string_view method, std::string_view target) {
      return api.takes_upload(method, target);
    };
    o.max_connections = a.max_connections;
    o.idle_timeout = a.idle_timeout;
    o.read_timeout = a.read_timeout;
    o.upload_limit = std::uint64_t{a.upload_limit_mb} * 1024 * 1024;
    if (a.tls) {
      o.tls_certificate = a.tls->certificate;
      o.tls_key = a.tls->key;
    }
    return o;
  }

  // What the ops endpoints say about the binds and the daemon's own counters.
  admin::ops_hooks ops_hooks() {
    admin::ops_hooks h;
    h.binds_json = [this] {
      nlohmann::json binds = nlohmann::json::array();
      for (const auto& s : sessions) {
        binds.push_back(
            {{"name", smpp::label(s->options())}, {"state", smpp::to_string(s->state())}});
      }
      return binds.dump();
    };
    h.binds_ready = [this] { return binds_bound(); };
    h.metrics = [this] {
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
      extra += out->render_gauges();
      const auto& batched = commits.stats();
      const auto cached = routes.stats();
      extra += fmt::format(
          "# HELP smsgw_mo_batches_total Transactions that committed more than one MO or "
          "receipt.\n# TYPE smsgw_mo_batches_total counter\nsmsgw_mo_batches_total {}\n"
          "# HELP smsgw_mo_batched_total MOs and receipts committed in those.\n"
          "# TYPE smsgw_mo_batched_total counter\nsmsgw_mo_batched_total {}\n"
          "# HELP smsgw_mo_batch_fallbacks_total Batch transactions rolled back (a piece, the "
          "commit or the connection failed); their pieces ran again.\n"
          "# TYPE smsgw_mo_batch_fallbacks_total counter\nsmsgw_mo_batch_fallbacks_total {}\n"
          "# HELP smsgw_route_lookups_total Route lookups, from memory (hit) or the store.\n"
          "# TYPE smsgw_route_lookups_total counter\n"
          "smsgw_route_lookups_total{{result=\"hit\"}} {}\n"
          "smsgw_route_lookups_total{{result=\"miss\"}} {}\n"
          "# HELP smsgw_store_jobs_cut_total MO transactions whose connection was cut for "
          "outrunning twice store.statement_timeout_ms (a store that hangs).\n"
          "# TYPE smsgw_store_jobs_cut_total counter\nsmsgw_store_jobs_cut_total {}\n",
          batched.batches, batched.pieces, batched.fallbacks, cached.hits, cached.misses,
          db.cuts());
      extra += fmt::format(
          "# HELP smsgw_admin_connections Open admin port connections.\n"
          "# TYPE smsgw_admin_connections gauge\nsmsgw_admin_connections {}\n",
          http.connections());
      return counters.render(extra);
    };
    return h;
  }

  [[nodiscard]] bool binds_bound() const {
    if (sessions.empty()) return false;
    for (const auto& s : sessions) {
      if (s->state() != smpp::session_state::bound) return false;
    }
    return true;
  }

  [[nodiscard]] bool ready() const { return store_up; }

  bool alive() {
    const auto now = std::chrono::steady_clock::now();
    std::string why;
    if (probe_pending) {
      why = fmt::format(
          "the store threads took no job in {} ms",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - probe_sent).count());
    }
    for (const auto& s : sessions) {
      if (s->wedged(now))
        why = fmt::format("bind {} stuck in state {}", smpp::label(s->options()),
                          smpp::to_string(s->state()));
    }
    if (!probe_pending) {
      probe_pending = true;
      probe_sent = now;
      net::co_spawn(
          io,
          [this]() -> net::awaitable<void> {
            co_await db.ping();
            probe_pending = false;
          },
          net::detached);
    }
    if (why.empty()) return true;
    log().warn("watchdog withheld reason=\"{}\"", why);
    return false;
  }

  // Starts the sessions of bind `b`: one, or two for a receiver_transmitter bind (MOs
  // arrive on one, submits leave on the other).
  void start_bind(const config::smsc_bind& b) {
    std::vector<smpp::bind_type> types{smpp::bind_type::transceiver};
    if (b.mode == config::bind_mode::receiver_transmitter) {
      types = {smpp::bind_type::receiver, smpp::bind_type::transmitter};
    }
    for (const auto type : types) {
      auto options = to_session_options(b);
      options.type = type;
      auto s = std::make_shared<smpp::session>(
          io.get_executor(), std::move(options),
          [this, name = b.name](const smpp::sm_body& d) { return inbound.on_deliver(name, d); });
      s->on_state_change([this](smpp::session_state state) {
        if (ready_fired && on_status) on_status();
        if (state == smpp::session_state::bound) out->wake();  // rows may wait for it
      });
      sessions.push_back(s);
      out->add_session(s);
      s->start();
    }
  }

  // Takes bind `name` out of service (a reload removed or changed it): no new submits go to
  // it, new MOs stay with the SMSC (ESME_RX_T_APPN, redelivered to whichever bind serves
  // them next), the window and the MOs in hand get their answers within the bind's response
  // timeout, then it unbinds. If the configuration still has the bind then (changed, or added
  // again meanwhile), it starts again from there: one account is never bound twice by us.
  net::awaitable<void> retire_bind(const std::string& name) {
    std::vector<std::shared_ptr<smpp::session>> leaving;
    std::erase_if(sessions, [&](const std::shared_ptr<smpp::session>& s) {
      if (s->options().name != name) return false;
      leaving.push_back(s);
      return true;
    });
    if (leaving.empty()) co_return;  // already unbinding: that retirement starts it again
    for (const auto& s : leaving) {
      out->remove_session(s);
      s->refuse_deliveries();
      s->close_submits();
      retiring.push_back(s);
    }
    if (ready_fired && on_status) on_status();
    for (const auto& s : leaving) {
      const auto drain =
          std::chrono::duration_cast<std::chrono::milliseconds>(s->options().response_timeout);
      co_await s->stop(drain);
      std::erase(retiring, s);
    }
    log().info("bind out of service bind={}", name);
    start_if_configured(name);
  }

  [[nodiscard]] bool in_service(const std::string& name) const {
    const auto named = [&](const std::shared_ptr<smpp::session>& s) {
      return s->options().name == name;
    };
    return std::any_of(sessions.begin(), sessions.end(), named) ||
           std::any_of(retiring.begin(), retiring.end(), named);
  }

  // Starts bind `name` as the configuration now has it, unless it is not there, is running,
  // is still unbinding (its retirement starts it when done), or the daemon is stopping.
  void start_if_configured(const std::string& name) {
    if (stopping || in_service(name)) return;
    for (const auto& b : cfg.smsc) {
      if (b.name != name) continue;
      start_bind(b);
      log().info("bind started bind={} host={}:{}", b.name, b.host, b.port);
    }
  }

  // Applies the bind list of `cfg` (just replaced by a reload), as `plan` says.
  void apply(const config::bind_plan& plan) {
    for (const auto& b : plan.retuned) {
      for (const auto& s : sessions) {
        if (s->options().name == b.name)
          s->set_limits(b.window, b.throughput, b.throughput_per_sender);
      }
    }
    for (const auto& b : plan.added) start_if_configured(b.name);
    std::vector<std::string> leaving = plan.removed;
    for (const auto& b : plan.rebound) leaving.push_back(b.name);
    for (const auto& name : leaving) {
      net::co_spawn(
          io, [this, name]() -> net::awaitable<void> { co_await retire_bind(name); },
          net::detached);
    }
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
    return fmt::format("binds up {}/{}, outbox pending {}, in flight {}, MOs {:.1f}/s", up,
                       sessions.size(), out->pending(), out->in_flight(), mo_rate());
  }

  // MOs per second since the previous sample, sampled at most once a second (status() is
  // asked at every beat and every bind state change).
  [[nodiscard]] double mo_rate() const {
    const auto now = std::chrono::steady_clock::now();
    const std::chrono::duration<double> elapsed = now - rate_sampled;
    if (elapsed >= std::chrono::seconds(1)) {
      const auto total = counters.mos();
      last_rate = static_cast<double>(total - mos_at_sample) / elapsed.count();
      mos_at_sample = total;
      rate_sampled = now;
    }
    return last_rate;
  }

  net::io_context& io;
  config::daemon_config cfg;
  std::string instance_name;
  std::string claimer;  // the instance name made unique to this process, in outbox claims
  std::string dsn;      // the configured one, with the connect timeout
  metrics counters;
  store::db_runner db;
  std::shared_ptr<dispatcher> out;
  store::route_cache routes;    // checked against the store's route version once per transaction
  store::group_commit commits;  // MOs and receipts that arrive together share a transaction
  inbound_pipeline inbound;
  store::db_runner admin_db;  // the API's own connections: API load never delays an MO
  admin::api api;
  admin::server http;
  std::vector<std::shared_ptr<smpp::session>> sessions;  // the binds in service
  std::vector<std::shared_ptr<smpp::session>> retiring;  // removed by a reload, unbinding
  std::shared_ptr<store::listener> outbox_listener;      // wakes the dispatcher for queued sends
  std::function<void()> on_ready;
  std::function<void()> on_status;
  mutable std::chrono::steady_clock::time_point rate_sampled = std::chrono::steady_clock::now();
  mutable std::uint64_t mos_at_sample = 0;
  mutable double last_rate = 0;
  bool probe_pending = false;  // a ping() the store threads have not taken yet
  std::chrono::steady_clock::time_point probe_sent{};
  bool store_up = false;
  std::atomic<bool> migrated = false;  // new connections warm up from then on
  bool ready_fired = false;
  bool stopping = false;
  net::steady_timer housekeeping{io};  // expires parts of multipart MOs
};

application::application(net::io_context& ioc, config::daemon_config cfg, std::string instance)
    : impl_(std::make_unique<impl>(ioc, std::move(cfg), std::move(instance))) {}

application::~application() {
  finish();
}

void application::on_ready(std::function<void()> callback) {
  impl_->on_ready = std::move(callback);
}
void application::on_status_change(std::function<void()> callback) {
  impl_->on_status = std::move(callback);
}
bool application::ready() const {
  return impl_->ready();
}
bool application::alive() {
  return impl_->alive();
}
bool application::binds_bound() const {
  return impl_->binds_bound();
}
std::string application::status() const {
  return impl_->status();
}
std::uint16_t application::admin_port() const {
  return impl_->http.port();
}

net::awaitable<void> application::start() {
  auto& m = *impl_;
  const auto listen = config::parse_endpoint(m.cfg.admin_port.listen);
  if (!listen)
    throw std::invalid_argument("admin.listen is not host:port: " + m.cfg.admin_port.listen);
  try {
    m.http.start(listen->host, listen->port);
  } catch (const std::exception& e) {
    throw std::runtime_error("admin port cannot listen on " + m.cfg.admin_port.listen + ": " +
                             e.what());
  }
  m.api.start();
  log().info("admin port listening address={}:{} tls={}", listen->host, m.http.port(),
             m.cfg.admin_port.tls.has_value());

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
  // Every connection open and warmed before the first MO can arrive.
  m.migrated = true;
  try {
    const auto started = std::chrono::steady_clock::now();
    const auto warmed = co_await m.db.open_all();
    log().info("store connections open count={} warmed={} in_ms={}", m.cfg.db.pool_size, warmed,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count());
  } catch (const std::exception& e) {  // opened again by the jobs that need them
    log().warn("store connections not all open error=\"{}\"", e.what());
  }
  m.store_up = true;

  for (const auto& b : m.cfg.smsc) m.start_bind(b);
  m.out->start();
  m.outbox_listener = std::make_shared<store::listener>(
      m.io.get_executor(), m.dsn, std::vector<std::string>{store::outbox_channel},
      [&m](const std::string&) { m.out->wake(); });
  m.outbox_listener->start();
  net::co_spawn(
      m.io,
      [&m]() -> net::awaitable<void> {
        for (;;) {
          m.housekeeping.expires_after(std::chrono::seconds(30));
          boost::system::error_code ec;
          co_await m.housekeeping.async_wait(net::redirect_error(net::use_awaitable, ec));
          if (ec || m.stopping) co_return;
          co_await m.inbound.expire_parts(m.cfg.reassembly_timeout);
          co_await m.inbound.prune_redelivery();
        }
      },
      net::detached);
  m.check_ready();
}

net::awaitable<void> application::stop(std::chrono::milliseconds bound) {
  using std::chrono::steady_clock;
  auto& m = *impl_;
  const auto started = steady_clock::now();
  const auto deadline = started + bound;
  // The unbinds get the end of the bound; the drain before them the rest.
  const auto drain_until =
      deadline - std::min<std::chrono::milliseconds>(std::chrono::seconds(2), bound / 4);
  const auto left = [](steady_clock::time_point until) {
    return std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(until - steady_clock::now()));
  };
  const auto mos_in_hand = [&m] {
    std::size_t n = 0;
    for (const auto& s : m.sessions) n += s->deliveries_in_hand();
    for (const auto& s : m.retiring) n += s->deliveries_in_hand();
    return n;
  };
  log().info("stopping bound_ms={} mos_in_hand={} submits_in_flight={}", bound.count(),
             mos_in_hand(), m.out->in_flight());
  m.stopping = true;
  m.housekeeping.cancel();
  m.http.stop();
  m.api.stop();
  // New MOs stay with the SMSC (ESME_RX_T_APPN); those in hand commit and are answered,
  // and their replies join the submits the window drains.
  for (auto& s : m.sessions) s->refuse_deliveries();
  net::steady_timer poll(m.io);
  const auto sleep = [&poll]() -> net::awaitable<void> {
    poll.expires_after(std::chrono::milliseconds(5));
    boost::system::error_code ec;
    co_await poll.async_wait(net::redirect_error(net::use_awaitable, ec));
  };
  while (mos_in_hand() > 0 && steady_clock::now() < drain_until) co_await sleep();
  // Then the window empties; rows not written yet (replies among them) go back to the
  // outbox for the next start, or another daemon, to send.
  if (m.outbox_listener) co_await m.outbox_listener->stop();
  for (auto& s : m.sessions) s->close_submits();
  co_await m.out->stop(left(drain_until));
  // The binds unbind together, each bounded.
  auto remaining = std::make_shared<std::size_t>(m.sessions.size());
  for (auto& s : m.sessions) {
    net::co_spawn(
        m.io,
        [s, drain = left(drain_until), remaining]() -> net::awaitable<void> {
          co_await s->stop(drain);
          --*remaining;
        },
        net::detached);
  }
  // Binds a reload took out of service are unbinding on their own bound: within this one.
  while ((*remaining > 0 || !m.retiring.empty()) && steady_clock::now() < deadline)
    co_await sleep();
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
  if (*remaining > 0 || !m.retiring.empty() || mos_in_hand() > 0 || m.out->in_flight() > 0) {
    log().warn(
        "stopped at the bound elapsed_ms={} mos_in_hand={} submits_in_flight={} "
        "binds_not_unbound={}",
        elapsed.count(), mos_in_hand(), m.out->in_flight(), *remaining + m.retiring.size());
  } else {
    log().info("stopped elapsed_ms={}", elapsed.count());
  }
}

std::vector<std::string> application::reload(const config::daemon_config& next) {
  auto& m = *impl_;
  auto restart = config::restart_needed(m.cfg, next);
  auto applied = config::after_reload(m.cfg, next);
  const auto plan = config::plan_binds(m.cfg.smsc, applied.smsc);
  m.cfg = std::move(applied);
  // Before the store is up no bind has started: start() reads the new list.
  if (m.store_up && !m.stopping) m.apply(plan);
  const auto names = [](const std::vector<config::smsc_bind>& binds) {
    std::vector<std::string> out;
    out.reserve(binds.size());
    for (const auto& b : binds) out.push_back(b.name);
    return out;
  };
  log().info(
      "reload applied binds_added=[{}] binds_removed=[{}] binds_rebound=[{}] "
      "binds_retuned=[{}] reassembly_timeout_s={} stop_timeout_s={}",
      fmt::join(names(plan.added), ","), fmt::join(plan.removed, ","),
      fmt::join(names(plan.rebound), ","), fmt::join(names(plan.retuned), ","),
      m.cfg.reassembly_timeout.count(), m.cfg.stop_timeout.count());
  return restart;
}

const config::daemon_config& application::running_config() const {
  return impl_->cfg;
}

void application::finish() {
  impl_->db.stop();
  impl_->admin_db.stop();
}

}  // namespace smsgw::daemon
