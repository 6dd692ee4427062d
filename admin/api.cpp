// Dispatch of one request: target → route → (database thread: authenticate, handler in one
// transaction, retried on serialization failures and deadlocks) → answer; the store's typed
// errors become API.md's error bodies here and nowhere else.
#include "admin/api.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <deque>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/auth.hpp"
#include "admin/call.hpp"
#include "admin/console.hpp"
#include "admin/import_jobs.hpp"
#include "admin/target.hpp"
#include "admin/upload.hpp"
#include "store/import.hpp"
#include "store/runner.hpp"
#include "store/sql_util.hpp"
#include "logging/component.hpp"

namespace smsgw::admin {
namespace {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;

// A serialization failure or deadlock is retried this many times before the caller sees 503.
constexpr int max_attempts = 5;
// /readyz reports the store down when no probe succeeded for this long.
constexpr auto probe_interval = std::chrono::seconds(1);
constexpr auto probe_stale = std::chrono::seconds(5);

constexpr std::array<double, 10> latency_buckets_s{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                   0.025,  0.05,  0.1,    0.5,   2.5};

spdlog::logger& log() {
  static const auto logger = logging::component("api");
  return *logger;
}

http_response error_body(int status, const std::string& code, const std::string& message,
                         nlohmann::json details = nlohmann::json::array()) {
  return json_answer(status,
                     {{"error", {{"code", code}, {"message", message}, {"details", details}}}});
}

struct route_stats {
  std::array<std::atomic<std::uint64_t>, 6> by_class{};  // 1xx..5xx by index status/100
  std::array<std::atomic<std::uint64_t>, latency_buckets_s.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_us{0};

  void record(int status, clock::duration took) {
    by_class[static_cast<std::size_t>(std::clamp(status / 100, 1, 5))].fetch_add(
        1, std::memory_order_relaxed);
    const double s = std::chrono::duration<double>(took).count();
    std::size_t i = 0;
    while (i < latency_buckets_s.size() && s > latency_buckets_s[i]) ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::microseconds>(took).count()),
                     std::memory_order_relaxed);
  }
};

}  // namespace

struct api::impl : std::enable_shared_from_this<impl> {
  impl(const net::any_io_executor& ex, store::db_runner& d, api_options o, ops_hooks h)
      : db(d), options(std::move(o)), hooks(std::move(h)), probe_timer(ex) {
    table.add("GET", "/healthz");
    table.add("GET", "/readyz");
    table.add("GET", "/metrics");
    table.add("GET", "/api/v1/openapi.yaml");
    add_directory_routes(table);
    add_domain_routes(table);
    add_contact_routes(table);
    add_group_routes(table);
    add_export_routes(table);
    add_import_routes(table);
    add_messaging_routes(table);
    for (std::size_t i = 0; i <= table.paths.size(); ++i) stats.emplace_back();
  }

  net::awaitable<http_response> handle(const http_request& r) {
    const auto started = clock::now();
    std::size_t route = table.paths.size();  // "unmatched" until a route matches
    http_response answer = co_await dispatch(r, route);
    // What the API answers is a company's data: no browser or proxy keeps a copy (the
    // console's own files say how they are cached).
    const bool cached = std::any_of(answer.headers.begin(), answer.headers.end(),
                                    [](const auto& h) { return h.first == "Cache-Control"; });
    if (!cached) answer.headers.emplace_back("Cache-Control", "no-store");
    stats[route].record(answer.status, clock::now() - started);
    if (answer.status >= 500) {
      log().warn("request failed method={} route=\"{}\" status={} client={}", r.method,
                 route < table.paths.size() ? table.paths.pattern(route) : "-", answer.status,
                 r.client);
    }
    co_return answer;
  }

  net::awaitable<http_response> dispatch(const http_request& r, std::size_t& route) {
    const auto where = parse_target(r.target);
    if (!where) co_return error_body(400, "bad_request", where.error());
    if (auto page = serve_console(r, std::string_view(r.target).substr(0, r.target.find('?')))) {
      co_return std::move(*page);
    }
    const auto found = table.paths.match(r.method, where->segments);
    if (std::holds_alternative<no_route>(found)) {
      co_return error_body(404, "not_found", "no such path");
    }
    if (const auto* mismatch = std::get_if<method_mismatch>(&found)) {
      std::string allow;
      for (const auto& m : mismatch->allowed) {
        allow += m + ", ";
        if (m == "GET") allow += "HEAD, ";
      }
      allow += "OPTIONS";
      if (r.method == "OPTIONS") co_return http_response{204, "", "", {{"Allow", allow}}, {}};
      auto res = error_body(405, "method_not_allowed", r.method + " is not allowed here");
      res.headers.emplace_back("Allow", allow);
      co_return res;
    }
    const auto& m = std::get<route_match>(found);
    route = m.route;
    if (cross_site(r)) {
      co_return error_body(403, "cross_site", "a change from another site is refused");
    }
    if (!table.handlers[m.route]) co_return ops(table.paths.pattern(m.route));
    if ((r.method == "POST" || r.method == "PUT" || r.method == "PATCH") && !r.body.empty() &&
        r.media_type() != "application/json") {
      co_return error_body(415, "unsupported_media_type", "send the body as application/json");
    }
    co_return co_await db.run(
        [this, &r, &where, &m](pqxx::connection& c) { return execute(c, r, *where, m); });
  }

  [[nodiscard]] bool takes_upload(std::string_view method, std::string_view target_text) const {
    const auto where = parse_target(target_text);
    if (!where) return false;
    const auto found = table.paths.match(method, where->segments);
    const auto* m = std::get_if<route_match>(&found);
    return m != nullptr && route_table::takes_upload(table.kinds[m->route]);
  }

  http_response execute(pqxx::connection& c, const http_request& r, const target& where,
                        const route_match& m) {
    try {
      const auto kind = table.kinds[m.route];
      std::optional<upload_form> form;
      if (route_table::takes_upload(kind)) form = read_upload(r);
      for (int attempt = 1;; ++attempt) {
        try {
          pqxx::work w(c);
          const auto who =
              kind == route_table::kind::upload_form_login && !r.header("authorization")
                  ? auth.check_password(w, form->field("username").value_or(""),
                                        form->field("password").value_or(""), r.client)
              : kind == route_table::kind::sign_in ? sign_in(w, r)
                                                   : auth.authenticate(w, r);
          if (!who.caller) {
            w.commit();
            auth_failures.fetch_add(1, std::memory_order_relaxed);
            log().info("authentication failed client={} reason=\"{}\"", r.client, who.reason);
            if (who.status == 429) {
              auto res =
                  error_body(429, "too_many_attempts", "too many failed logins; try again later");
              res.headers.emplace_back("Retry-After", std::to_string(who.retry_after.count()));
              return res;
            }
            if (who.status == 403) return error_body(403, "csrf_failed", who.reason);
            auto res = error_body(401, "unauthorized", "valid credentials required");
            // The challenge makes a browser ask for a password in its own dialog: not for the
            // console, which has its own sign-in page.
            // Nor for any browser (it sends fetch metadata): a dialog there would leave Basic
            // credentials the browser then adds to other sites' requests by itself.
            if (kind != route_table::kind::sign_in && !r.header("cookie") &&
                !r.header("x-requested-with") && !r.header("sec-fetch-mode")) {
              res.headers.emplace_back("WWW-Authenticate",
                                       R"(Basic realm="smsgw", charset="UTF-8")");
            }
            return res;
          }
          call k{r, where, m.params, w, *who.caller, options.default_region, db};
          if (form) k.form = &*form;
          k.imports = &imports;
          k.sessions = &auth.sessions();
          auto res = table.handlers[m.route](k);
          w.commit();
          return res;
        } catch (const pqxx::serialization_failure&) {
          if (attempt == max_attempts) throw;
          retries.fetch_add(1, std::memory_order_relaxed);
        } catch (const pqxx::deadlock_detected&) {
          if (attempt == max_attempts) throw;
          retries.fetch_add(1, std::memory_order_relaxed);
        } catch (const pqxx::sql_error& e) {
          // The schema's refusals (a duplicate, a CHECK) as the store's typed errors, answered
          // below like the store's own; anything else as it is (500).
          store::rethrow_store_error(e);
        }
      }
    } catch (const api_error& e) {
      return error_body(e.status(), e.code(), e.what(), e.details());
    } catch (const store::import_refused& e) {
      // The error body of every refusal, and the rows beside it (API.md's import answer).
      nlohmann::json errors = nlohmann::json::array();
      for (const auto& i : e.issues()) {
        errors.push_back({{"line", i.line}, {"column", i.column}, {"reason", i.reason}});
      }
      return json_answer(
          422, {{"error",
                 {{"code", "import_refused"},
                  {"message", "the file was refused; nothing changed: " + std::string(e.what())},
                  {"details", errors}}},
                {"errors", errors},
                {"error_count", e.count()}});
    } catch (const store::validation_error& e) {
      nlohmann::json details = nlohmann::json::array();
      for (const auto& i : e.issues())
        details.push_back({{"field", i.field}, {"reason", i.reason}});
      return error_body(422, "validation_failed", e.what(), std::move(details));
    } catch (const store::not_found& e) {
      return error_body(404, "not_found", e.what());
    } catch (const store::access_denied& e) {
      return error_body(403, "forbidden", e.what());
    } catch (const store::conflict& e) {
      return error_body(409, "conflict", e.what());
    } catch (const pqxx::broken_connection& e) {
      store_errors.fetch_add(1, std::memory_order_relaxed);
      log().error("store unavailable error=\"{}\"", e.what());
      auto res = error_body(503, "store_unavailable", "the store is unavailable; try again");
      res.headers.emplace_back("Retry-After", "1");
      return res;
    } catch (const pqxx::transaction_rollback& e) {
      store_errors.fetch_add(1, std::memory_order_relaxed);
      auto res = error_body(503, "busy", "the change kept conflicting with others; try again");
      res.headers.emplace_back("Retry-After", "1");
      return res;
    } catch (const pqxx::sql_error& e) {
      store_errors.fetch_add(1, std::memory_order_relaxed);
      log().error("store error route=\"{}\" sqlstate={} error=\"{}\"", table.paths.pattern(m.route),
                  e.sqlstate(), e.what());
      return error_body(500, "internal", "internal error");
    }
  }

  // The console's sign-in: `username` and `password` in a JSON body.
  auth_result sign_in(pqxx::transaction_base& t, const http_request& r) {
    nlohmann::json body;
    try {
      body = nlohmann::json::parse(r.body);
    } catch (const nlohmann::json::exception&) {
      throw api_error(400, "bad_request", "the body is not JSON");
    }
    std::vector<store::field_issue> missing;
    for (const char* f : {"username", "password"}) {
      if (!body.is_object() || !body.contains(f) || !body[f].is_string()) {
        missing.push_back({f, "is required"});
      }
    }
    if (!missing.empty()) throw store::validation_error(std::move(missing));
    return auth.check_password(t, body["username"].get<std::string>(),
                               body["password"].get<std::string>(), r.client);
  }

  http_response ops(const std::string& pattern) {
    if (pattern == "/healthz") return json_answer(200, {{"status", "ok"}});
    if (pattern == "/readyz") {
      const bool store_ok = store_reachable();
      const bool binds_ok = hooks.binds_ready ? hooks.binds_ready() : true;
      const std::string binds = hooks.binds_json ? hooks.binds_json() : "[]";
      return {store_ok && binds_ok ? 200 : 503,
              "application/json",
              fmt::format(R"({{"ready":{},"store":{},"binds":{}}})", store_ok && binds_ok, store_ok,
                          binds),
              {},
              {}};
    }
    if (pattern == "/metrics") {
      return {200,
              "text/plain; version=0.0.4",
              (hooks.metrics ? hooks.metrics() : "") + render(),
              {},
              {}};
    }
    return {200, "application/yaml", std::string(openapi_yaml), {}, {}};
  }

  [[nodiscard]] std::string render() const {
    std::string out =
        "# HELP smsgw_http_requests_total Admin port requests, by route and status class.\n"
        "# TYPE smsgw_http_requests_total counter\n";
    const auto label = [this](std::size_t i) {
      return i < table.paths.size() ? fmt::format("method=\"{}\",route=\"{}\"",
                                                  table.paths.method(i), table.paths.pattern(i))
                                    : std::string(R"(method="",route="unmatched")");
    };
    for (std::size_t i = 0; i < stats.size(); ++i) {
      for (std::size_t c = 1; c < 6; ++c) {
        const auto n = stats[i].by_class[c].load();
        if (n > 0)
          out +=
              fmt::format("smsgw_http_requests_total{{{},status=\"{}xx\"}} {}\n", label(i), c, n);
      }
    }
    out +=
        "# HELP smsgw_http_request_duration_seconds Admin port request latency, by route.\n"
        "# TYPE smsgw_http_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < stats.size(); ++i) {
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < stats[i].buckets.size(); ++b) cumulative += stats[i].buckets[b];
      if (cumulative == 0) continue;
      cumulative = 0;
      for (std::size_t b = 0; b < stats[i].buckets.size(); ++b) {
        cumulative += stats[i].buckets[b].load();
        const std::string le =
            b < latency_buckets_s.size() ? fmt::format("{}", latency_buckets_s[b]) : "+Inf";
        out += fmt::format("smsgw_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                           label(i), le, cumulative);
      }
      out += fmt::format("smsgw_http_request_duration_seconds_sum{{{}}} {}\n", label(i),
                         static_cast<double>(stats[i].sum_us.load()) / 1e6);
      out +=
          fmt::format("smsgw_http_request_duration_seconds_count{{{}}} {}\n", label(i), cumulative);
    }
    out += fmt::format(
        "# HELP smsgw_http_auth_failures_total Requests refused for missing or wrong "
        "credentials.\n# TYPE smsgw_http_auth_failures_total counter\n"
        "smsgw_http_auth_failures_total {}\n"
        "# HELP smsgw_http_store_errors_total API requests that failed in the store.\n"
        "# TYPE smsgw_http_store_errors_total counter\nsmsgw_http_store_errors_total {}\n"
        "# HELP smsgw_http_retries_total API transactions retried after a serialization "
        "failure or deadlock.\n# TYPE smsgw_http_retries_total counter\n"
        "smsgw_http_retries_total {}\n"
        "# HELP smsgw_store_up Whether the last store probe succeeded recently.\n"
        "# TYPE smsgw_store_up gauge\nsmsgw_store_up {}\n",
        auth_failures.load(), store_errors.load(), retries.load(), store_reachable() ? 1 : 0);
    return out;
  }

  [[nodiscard]] bool store_reachable() const {
    const auto last = last_probe_ok.load();
    return last != 0 && clock::now().time_since_epoch().count() - last <
                            std::chrono::duration_cast<clock::duration>(probe_stale).count();
  }

  net::awaitable<void> probe_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      try {
        co_await db.run([](pqxx::connection& c) {
          // SET LOCAL: the connection goes back to the pool, and a session-wide timeout
          // would cut every later request on it (a long import) at 2 s.
          pqxx::read_transaction t(c);
          t.exec("SET LOCAL statement_timeout = 2000");
          t.exec("SELECT 1");
          t.commit();
          return true;
        });
        last_probe_ok = clock::now().time_since_epoch().count();
      } catch (const std::exception& e) {
        log().debug("store probe failed error=\"{}\"", e.what());
      }
      probe_timer.expires_after(probe_interval);
      boost::system::error_code ec;
      co_await probe_timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
  }

  store::db_runner& db;
  api_options options;
  ops_hooks hooks;
  route_table table;
  authenticator auth;
  import_jobs imports{std::max<std::size_t>(options.max_imports, 1)};
  std::deque<route_stats> stats;  // deque: atomics do not move
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> store_errors{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<clock::rep> last_probe_ok{0};
  net::steady_timer probe_timer;
  bool stopped = false;
};

api::api(const boost::asio::any_io_executor& ex, store::db_runner& db, api_options options,
         ops_hooks hooks)
    : impl_(std::make_shared<impl>(ex, db, std::move(options), std::move(hooks))) {}

api::~api() {
  stop();
}

bool api::takes_upload(std::string_view method, std::string_view target) const {
  return impl_->takes_upload(method, target);
}

net::awaitable<http_response> api::handle(const http_request& r) {
  return impl_->handle(r);
}

void api::start() {
  net::co_spawn(
      impl_->probe_timer.get_executor(), [self = impl_] { return self->probe_loop(); },
      net::detached);
}

void api::stop() {
  impl_->stopped = true;
  impl_->probe_timer.cancel();
}

bool api::store_reachable() const {
  return impl_->store_reachable();
}

std::vector<std::pair<std::string, std::string>> api::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < impl_->table.paths.size(); ++i) {
    out.emplace_back(impl_->table.paths.method(i), impl_->table.paths.pattern(i));
  }
  return out;
}

}  // namespace smsgw::admin
