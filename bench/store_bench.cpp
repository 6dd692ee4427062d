// The contact store at scale: a company with 1,000,000 contacts in 20 domains and 5,000
// groups (one of them holding every contact). Measures the recipient autocompleter (p50,
// p99 over 1,000 prefixes), member-list pages, and expanding the million-member group with
// the access filter, into the outbox and through the streaming cursor.
//
//   store_bench --dsn "host=SOCKET_DIR user=postgres" [--reload] [--expansion-only]
//               [--outbox-variant V[,V...]]
//   store_bench --dsn ... --prepare-api PASSWORD PREFIXES_FILE       (for bench/api_bench.sh)
//   store_bench --dsn ... --direct search|members CONNECTIONS SECONDS PREFIXES_FILE
//
// The data lives in database `smsgw_bench` on that server and is loaded once (set-based,
// generate_series); --reload drops and loads it again. The expansion is measured on the
// outbox as the migrations make it, or, with --outbox-variant, on each variant listed (see
// outbox_variant), in that order; --expansion-only skips the other measurements.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "store/contacts.hpp"
#include "store/directory.hpp"
#include "store/expansion.hpp"
#include "store/groups.hpp"
#include "store/migrate.hpp"
#include "store/password.hpp"

namespace store = smsgw::store;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int contact_count = 1'000'000;
constexpr int domain_count = 20;
constexpr int group_count = 5'000;   // including "Everyone"
constexpr int visible_domains = 15;  // of the 20, for the benchmark's reader

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[i];
}

void step(const char* what, const std::function<void()>& f) {
  const auto start = clock_type::now();
  std::printf("  %-58s", what);
  std::fflush(stdout);
  f();
  std::printf("%9.1f s\n", ms_since(start) / 1000.0);
}

// Loads the company. Names come from 200 first and 500 last names, so prefixes are as
// selective as in a real address book; one contact in three has an alias, one in two a city.
void load(pqxx::connection& c) {
  std::printf("loading %d contacts, %d domains, %d groups\n", contact_count, domain_count,
              group_count);
  step("schema", [&] { store::migrate(c); });
  store::id company = 0;
  step("company, users, domains, grants", [&] {
    pqxx::work t(c);
    company = store::create_company(t, "Bench");
    const store::id admin =
        store::create_user(t, company, {"admin", "Admin", store::role::company_admin, ""});
    const store::id reader =
        store::create_user(t, company, {"reader", "Reader", store::role::user, ""});
    store::create_user(t, company, {"narrow", "Narrow", store::role::user, ""});
    const store::id user_domain = store::builtin_domain(t, company, "user");
    const store::id readers =
        store::create_group(t, company, user_domain, "Readers", store::group_type::users_only);
    t.exec_params0("INSERT INTO group_users VALUES ($1, $2)", readers, reader);
    t.exec_params0(
        "INSERT INTO domains (company_id, name, kind, properties, created_by) "
        "SELECT $1, 'Domain ' || d, 'custom', '{city}', $2 FROM generate_series(1, $3) d",
        company, admin, domain_count);
    // The reader sees 15 of the 20 custom domains through a user group; "narrow" one only.
    t.exec_params0(
        "INSERT INTO grants (company_id, domain_id, grantee_group_id, level) "
        "SELECT $1, id, $2, 'viewer' FROM domains WHERE company_id = $1 AND kind = 'custom' "
        "ORDER BY id LIMIT $3",
        company, readers, visible_domains);
    t.exec_params0(
        "INSERT INTO grants (company_id, domain_id, grantee_user_id, level) "
        "SELECT $1, min(id), (SELECT id FROM users WHERE username = 'narrow'), 'viewer' "
        "FROM domains WHERE company_id = $1 AND kind = 'custom'",
        company);
    t.commit();
  });
  step("contacts (and their search terms, by trigger)", [&] {
    pqxx::work t(c);
    t.exec_params0(
        "WITH d AS (SELECT array_agg(id ORDER BY id) AS ids FROM domains "
        "           WHERE company_id = $1 AND kind = 'custom'), "
        "first AS (SELECT array_agg(initcap(w)) AS w FROM (SELECT substr(md5('f' || i), 1, 3) "
        "  || (ARRAY['a','e','i','o','u'])[1 + i % 5] || substr(md5('g' || i), 1, 2) AS w "
        "  FROM generate_series(1, 200) i) x), "
        "last AS (SELECT array_agg(initcap(w)) AS w FROM (SELECT substr(md5('l' || i), 1, 4) "
        "  || (ARRAY['son','ton','ley','man','er'])[1 + i % 5] AS w "
        "  FROM generate_series(1, 500) i) x) "
        "INSERT INTO contacts (company_id, domain_id, name, number, alias, tags) "
        "SELECT $1, d.ids[1 + (i::bigint * 7919) % $3], "
        "       first.w[1 + (i * 31) % 200] || ' ' || last.w[1 + (i * 17) % 500], "
        "       '+614' || lpad(i::text, 8, '0'), "
        "       CASE WHEN i % 3 = 0 THEN 'c' || i END, "
        "       CASE WHEN i % 2 = 0 THEN jsonb_build_object('city', "
        "         (ARRAY['Sydney','Melbourne','Brisbane','Perth','Adelaide','Hobart',"
        "                'Darwin','Canberra','Geelong','Cairns'])[1 + i % 10]) ELSE '{}' END "
        "FROM generate_series(1, $2) i, d, first, last",
        company, contact_count, domain_count);
    t.commit();
  });
  step("groups and memberships", [&] {
    pqxx::work t(c);
    const store::id shared = store::builtin_domain(t, company, "shared");
    const store::id everyone = t.exec_params1(
                                    "INSERT INTO groups (company_id, domain_id, name, alias) "
                                    "VALUES ($1, $2, 'Everyone', 'everyone') RETURNING id",
                                    company, shared)[0]
                                   .as<store::id>();
    t.exec_params0(
        "INSERT INTO groups (company_id, domain_id, name) "
        "SELECT $1, d.id, 'Group ' || g FROM generate_series(1, $2 - 1) g "
        "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM domains "
        "      WHERE company_id = $1 AND kind = 'custom') d ON d.n = g % $3",
        company, group_count, domain_count);
    t.exec_params0(
        "INSERT INTO group_contacts (group_id, contact_id) "
        "SELECT $1, id FROM contacts WHERE company_id = $2",
        everyone, company);
    // Every contact in one of the small groups too (about 200 members each).
    t.exec_params0(
        "INSERT INTO group_contacts (group_id, contact_id) "
        "SELECT g.ids[1 + c.id % array_length(g.ids, 1)], c.id "
        "FROM contacts c, (SELECT array_agg(id ORDER BY id) AS ids FROM groups "
        "                  WHERE company_id = $1 AND name LIKE 'Group %') g "
        "WHERE c.company_id = $1",
        company);
    t.commit();
  });
  step("VACUUM ANALYZE", [&] { pqxx::nontransaction(c).exec0("VACUUM ANALYZE"); });
}

store::id user_id(pqxx::connection& c, const std::string& username) {
  pqxx::read_transaction t(c);
  return t.exec_params1("SELECT id FROM users WHERE username = $1", username)[0].as<store::id>();
}

// 1,000 prefixes as people type them: 1 to 4 letters of first and last names, and 3 to 7
// digits of numbers, drawn from the data.
std::vector<std::string> prefixes(pqxx::connection& c) {
  pqxx::read_transaction t(c);
  std::vector<std::string> names;
  for (const auto& r : t.exec("SELECT name FROM contacts TABLESAMPLE SYSTEM (1) LIMIT 2000")) {
    names.push_back(r[0].as<std::string>());
  }
  std::mt19937 rng(42);
  std::vector<std::string> out;
  while (out.size() < 1000) {
    const std::string& name = names[rng() % names.size()];
    const std::size_t length = 1 + rng() % 4;
    switch (rng() % 4) {
      case 0:
      case 1: out.push_back(name.substr(0, length)); break;
      case 2: out.push_back(name.substr(name.find(' ') + 1, length)); break;
      default: {
        const std::size_t digits = 3 + rng() % 5;
        std::string n = "+614" + std::to_string(rng() % 100'000'000);
        out.push_back(n.substr(0, 1 + digits));
      }
    }
  }
  return out;
}

void bench_search(pqxx::connection& c, store::id user, const char* who,
                  const std::vector<std::string>& queries) {
  std::vector<double> times;
  std::size_t results = 0;
  for (const auto& q : queries) {
    pqxx::read_transaction t(c);
    const auto start = clock_type::now();
    results += store::search_contacts(t, user, q, 20, "AU").size();
    times.push_back(ms_since(start));
  }
  std::printf(
      "  search as you type (%s): p50 %.2f ms, p99 %.2f ms, max %.2f ms, %.1f results on average\n",
      who, percentile(times, 0.5), percentile(times, 0.99),
      *std::max_element(times.begin(), times.end()),
      static_cast<double>(results) / static_cast<double>(queries.size()));
}

void bench_members(pqxx::connection& c, store::id user, store::id group, const char* what,
                   std::optional<store::member_cursor> from) {
  std::vector<double> times;
  std::size_t items = 0;
  for (int i = 0; i < 100; ++i) {
    pqxx::read_transaction t(c);
    const auto start = clock_type::now();
    items = store::list_members(t, user, group, from, 50).items.size();
    times.push_back(ms_since(start));
  }
  std::printf("  member-list page of %zu (%s): p50 %.2f ms, p99 %.2f ms\n", items, what,
              percentile(times, 0.5), percentile(times, 0.99));
}

// Outbox variants, for comparing what the outbox's constraints and indexes cost a send
// (--outbox-variant). Each one rebuilds the four objects it governs, so all start alike:
//   baseline    migration 001: both foreign keys, `outbox_recent` on every row
//   partial     `outbox_recent` only for replies (WHERE kind = 'reply'), both foreign keys
//   no-inbound  partial, without the inbound_id foreign key
//   no-company  partial, without the company_id foreign key (the inbound_id one kept)
//   no-fks      partial, without either foreign key
//   no-fks-idx  no-fks, plus the index `outbox_company (company_id)`
//   schema      whatever the migrations made, untouched
// After the run, the objects are put back as the migrations left them.
struct outbox_variant {
  const char* name;
  bool company_fk;
  bool inbound_fk;
  bool partial_recent;
  bool company_index;
};

constexpr outbox_variant outbox_variants[] = {
    {"baseline", true, true, false, false},   {"partial", true, true, true, false},
    {"no-inbound", true, false, true, false}, {"no-company", false, true, true, false},
    {"no-fks", false, false, true, false},    {"no-fks-idx", false, false, true, true},
};

const char* const company_fk_sql =
    "FOREIGN KEY (company_id) REFERENCES companies(id) ON DELETE CASCADE";
const char* const inbound_fk_sql =
    "FOREIGN KEY (inbound_id) REFERENCES inbound_log(id) ON DELETE SET NULL";

// The governed objects as they are now, as statements that recreate them.
std::vector<std::string> outbox_objects(pqxx::connection& c) {
  pqxx::read_transaction t(c);
  std::vector<std::string> out;
  for (const auto& r :
       t.exec("SELECT 'ALTER TABLE outbox ADD CONSTRAINT ' || conname || ' ' || "
              "pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'outbox'::regclass "
              "AND conname IN ('outbox_company_id_fkey', 'outbox_inbound_id_fkey')")) {
    out.push_back(r[0].as<std::string>());
  }
  for (const auto& r : t.exec("SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox' "
                              "AND indexname IN ('outbox_recent', 'outbox_company')")) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

void drop_outbox_objects(pqxx::work& t) {
  t.exec0(
      "ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_company_id_fkey, "
      "DROP CONSTRAINT IF EXISTS outbox_inbound_id_fkey");
  t.exec0("DROP INDEX IF EXISTS outbox_recent");
  t.exec0("DROP INDEX IF EXISTS outbox_company");
}

void apply_outbox_variant(pqxx::connection& c, const outbox_variant& v) {
  pqxx::work t(c);
  drop_outbox_objects(t);
  if (v.company_fk) {
    t.exec0(std::string("ALTER TABLE outbox ADD CONSTRAINT outbox_company_id_fkey ") +
            company_fk_sql);
  }
  if (v.inbound_fk) {
    t.exec0(std::string("ALTER TABLE outbox ADD CONSTRAINT outbox_inbound_id_fkey ") +
            inbound_fk_sql);
  }
  t.exec0(v.partial_recent ? "CREATE INDEX outbox_recent ON outbox (destination, created_at) "
                             "WHERE kind = 'reply'"
                           : "CREATE INDEX outbox_recent ON outbox (destination, created_at)");
  if (v.company_index) t.exec0("CREATE INDEX outbox_company ON outbox (company_id)");
  t.commit();
}

void restore_outbox_objects(pqxx::connection& c, const std::vector<std::string>& objects) {
  pqxx::work t(c);
  drop_outbox_objects(t);
  for (const auto& sql : objects) t.exec0(sql);
  t.commit();
}

// Expands the group as `user` into the outbox, commits, and deletes the rows again. Timed:
// the INSERT ... SELECT and its commit, on whatever outbox schema is in place.
void bench_expansion(pqxx::connection& c, store::id user, store::id everyone, const char* who,
                     const char* variant) {
  // The outbox as a running system keeps it: the previous run's rows gone and vacuumed.
  // Then a checkpoint, so that every run starts alike (full-page images of what it touches
  // first) rather than meeting one of the earlier runs' checkpoints half-way at random.
  {
    pqxx::nontransaction n(c);
    n.exec0("VACUUM outbox");
    n.exec0("CHECKPOINT");
  }
  const auto lsn =
      pqxx::nontransaction(c).exec1("SELECT pg_current_wal_lsn()")[0].as<std::string>();
  pqxx::work t(c);
  const auto start = clock_type::now();
  const auto r = store::queue_send(t, user, {"4040", "Bench message", std::nullopt},
                                   {{everyone}, {}, {}}, "AU");
  t.commit();
  const double took = ms_since(start);
  const double wal_mb =
      pqxx::nontransaction(c)
          .exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)", lsn)[0]
          .as<double>() /
      1e6;
  std::printf(
      "  expand 1,000,000-member group into the outbox (%s, %s outbox): %.2f s, "
      "%lld recipients, %lld not visible, %.0f MB WAL\n",
      who, variant, took / 1000.0, static_cast<long long>(r.recipients),
      static_cast<long long>(r.left.not_visible), wal_mb);
  pqxx::work cleanup(c);
  cleanup.exec_params0("DELETE FROM outbox WHERE message_id = $1", r.message_id);
  cleanup.commit();
}

void bench_cursor(pqxx::connection& c, store::id user, store::id everyone) {
  const long rss_before = max_rss_kib();
  const auto start = clock_type::now();
  std::size_t total = 0;
  {
    pqxx::read_transaction t(c);
    store::recipient_cursor cursor(t, user, {{everyone}, {}, {}}, "AU", 10000);
    for (auto batch = cursor.next(); !batch.empty(); batch = cursor.next()) total += batch.size();
  }
  std::printf(
      "  stream the recipients through the cursor (reader): %.2f s, %zu numbers, "
      "max RSS %ld -> %ld KiB\n",
      ms_since(start) / 1000.0, total, rss_before, max_rss_kib());
}

// What the admin API benchmark (bench/api_bench.sh) compares its HTTP figures with: the
// store call of `GET /api/v1/contacts?q=...&limit=20` (search) or of the first page of
// `GET /api/v1/groups/{Everyone}/members` (members), made directly by `connections` threads
// with a database connection each, in a closed loop for `seconds`. Prints one line: calls,
// calls per second, p50, p99, this process's CPU per call and the PostgreSQL cluster's.
struct direct_options {
  std::string what;  // search or members
  int connections = 1;
  int seconds = 10;
};

double own_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

// The fields of /proc/PID/stat after the command name (state, ppid, ...); empty when gone.
std::vector<std::string> proc_stat(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  std::istringstream fields(stat.substr(close + 2));
  return {std::istream_iterator<std::string>(fields), {}};
}

// utime + stime (+ its reaped children's with `children`) of a process, in ms.
double process_cpu_ms(const std::vector<std::string>& f, bool children = false) {
  if (f.size() < 15) return 0;
  // proc(5) fields 14..17 (utime stime cutime cstime) are 11..14 counted from the state.
  double ticks = std::stod(f[11]) + std::stod(f[12]);
  if (children) ticks += std::stod(f[13]) + std::stod(f[14]);
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The CPU of the whole PostgreSQL cluster: the postmaster, its live children (backends,
// background processes) and those it has reaped (exited autovacuum workers and backends).
double cluster_cpu_ms(const std::string& postmaster) {
  double ms = process_cpu_ms(proc_stat(postmaster), true);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto f = proc_stat(pid);
    if (f.size() > 1 && f[1] == postmaster) ms += process_cpu_ms(f);
  }
  return ms;
}

void bench_direct(const std::string& dsn, store::id reader, store::id everyone,
                  const std::vector<std::string>& queries, const direct_options& o) {
  std::vector<std::unique_ptr<pqxx::connection>> connections;
  for (int i = 0; i < o.connections; ++i) {
    connections.push_back(std::make_unique<pqxx::connection>(dsn));
  }
  const auto backend = pqxx::nontransaction(*connections.front())
                           .exec1("SELECT pg_backend_pid()")[0]
                           .as<std::string>();
  const auto backend_stat = proc_stat(backend);
  if (backend_stat.size() < 2) throw std::runtime_error("PostgreSQL is not on this machine");
  const std::string postmaster = backend_stat[1];
  const auto call = [&](pqxx::connection& c, std::size_t n) {
    pqxx::read_transaction t(c);
    if (o.what == "search") {
      (void)store::search_contacts(t, reader, queries[n % queries.size()], 20, "AU");
    } else {
      (void)store::list_members(t, reader, everyone, std::nullopt, 50);
    }
    t.commit();
  };
  // Each connection warmed untimed, as the daemon's are when measured (plans cached).
  for (auto& c : connections) {
    for (std::size_t n = 0; n < 100; ++n) call(*c, n * 7);
  }
  std::vector<std::vector<double>> times(static_cast<std::size_t>(o.connections));
  const double own_before = own_cpu_ms();
  const double cluster_before = cluster_cpu_ms(postmaster);
  const auto start = clock_type::now();
  const auto until = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.connections; ++i) {
    threads.emplace_back([&, i] {
      auto& c = *connections[static_cast<std::size_t>(i)];
      auto& mine = times[static_cast<std::size_t>(i)];
      for (auto n = static_cast<std::size_t>(i) * 97; clock_type::now() < until; ++n) {
        const auto began = clock_type::now();
        call(c, n);
        mine.push_back(ms_since(began));
      }
    });
  }
  for (auto& t : threads) t.join();
  const double took_s = ms_since(start) / 1000.0;
  const double own = own_cpu_ms() - own_before;
  const double cluster = cluster_cpu_ms(postmaster) - cluster_before;
  std::vector<double> all;
  for (const auto& v : times) all.insert(all.end(), v.begin(), v.end());
  const auto calls = static_cast<double>(all.size());
  std::printf(
      "direct %s connections=%d calls=%zu per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
      "own_cpu_ms_per_call=%.3f pg_cpu_ms_per_call=%.3f\n",
      o.what.c_str(), o.connections, all.size(), calls / took_s, percentile(all, 0.5),
      percentile(all, 0.99), own / calls, cluster / calls);
}

// Gives the reader a password (for the API benchmark's Basic auth) and writes the search
// prefixes, one per line, for its HTTP requests.
void prepare_api(pqxx::connection& c, store::id reader, const std::string& password,
                 const std::vector<std::string>& queries, const std::string& file) {
  pqxx::work t(c);
  t.exec_params0("UPDATE users SET password_hash = $2 WHERE id = $1", reader,
                 store::hash_password(password));
  t.commit();
  std::ofstream out(file);
  for (const auto& q : queries) out << q << '\n';
  if (!out) throw std::runtime_error("cannot write " + file);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dsn;
  bool reload = false;
  bool expansion_only = false;
  std::vector<const outbox_variant*> variants;
  std::optional<direct_options> direct;
  std::string api_password;
  std::string prefixes_file;
  const auto usage = [] {
    std::fprintf(stderr,
                 "usage: store_bench --dsn SERVER_DSN [--reload] [--expansion-only]\n"
                 "                   [--outbox-variant V[,V...]]  (V: baseline, partial, "
                 "no-inbound, no-company, no-fks, no-fks-idx, schema)\n"
                 "       store_bench --dsn SERVER_DSN --prepare-api PASSWORD PREFIXES_FILE\n"
                 "       store_bench --dsn SERVER_DSN --direct search|members CONNECTIONS "
                 "SECONDS PREFIXES_FILE\n");
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dsn") == 0 && i + 1 < argc) {
      dsn = argv[++i];
    } else if (std::strcmp(argv[i], "--reload") == 0) {
      reload = true;
    } else if (std::strcmp(argv[i], "--expansion-only") == 0) {
      expansion_only = true;
    } else if (std::strcmp(argv[i], "--prepare-api") == 0 && i + 2 < argc) {
      api_password = argv[++i];
      prefixes_file = argv[++i];
    } else if (std::strcmp(argv[i], "--direct") == 0 && i + 4 < argc) {
      direct = direct_options{argv[i + 1], std::atoi(argv[i + 2]), std::atoi(argv[i + 3])};
      prefixes_file = argv[i + 4];
      i += 4;
      if ((direct->what != "search" && direct->what != "members") || direct->connections < 1 ||
          direct->seconds < 1) {
        return usage();
      }
    } else if (std::strcmp(argv[i], "--outbox-variant") == 0 && i + 1 < argc) {
      const std::string list = argv[++i];
      for (std::size_t from = 0; from <= list.size();) {
        const std::size_t comma = std::min(list.find(',', from), list.size());
        const std::string name = list.substr(from, comma - from);
        from = comma + 1;
        if (name == "schema") {
          variants.push_back(nullptr);
          continue;
        }
        const auto* v = std::find_if(std::begin(outbox_variants), std::end(outbox_variants),
                                     [&](const outbox_variant& o) { return name == o.name; });
        if (v == std::end(outbox_variants)) return usage();
        variants.push_back(v);
      }
    } else {
      return usage();
    }
  }
  // By default the outbox as the migrations make it.
  if (variants.empty()) variants.push_back(nullptr);
  try {
    {
      pqxx::connection server(dsn);
      pqxx::nontransaction n(server);
      if (reload) n.exec0("DROP DATABASE IF EXISTS smsgw_bench WITH (FORCE)");
      if (n.exec("SELECT 1 FROM pg_database WHERE datname = 'smsgw_bench'").empty()) {
        n.exec0("CREATE DATABASE smsgw_bench");
        reload = true;
      }
    }
    pqxx::connection c(dsn + " dbname=smsgw_bench");
    if (reload) {
      load(c);
    } else {
      store::migrate(c);  // a database loaded before the latest migration
    }
    const store::id admin = user_id(c, "admin");
    const store::id reader = user_id(c, "reader");
    const store::id narrow = user_id(c, "narrow");
    store::id everyone = 0;
    store::id small = 0;
    store::id middle = 0;
    {
      pqxx::read_transaction t(c);
      everyone = t.exec1("SELECT id FROM groups WHERE alias = 'everyone'")[0].as<store::id>();
      small = t.exec1("SELECT min(id) FROM groups WHERE name = 'Group 1'")[0].as<store::id>();
      middle =
          t.exec1("SELECT id FROM contacts ORDER BY id OFFSET 500000 LIMIT 1")[0].as<store::id>();
    }
    if (!api_password.empty()) {
      prepare_api(c, reader, api_password, prefixes(c), prefixes_file);
      return 0;
    }
    if (direct) {
      std::vector<std::string> queries;
      std::ifstream in(prefixes_file);
      for (std::string line; std::getline(in, line);) queries.push_back(line);
      if (queries.empty()) throw std::runtime_error("no prefixes in " + prefixes_file);
      bench_direct(dsn + " dbname=smsgw_bench", reader, everyone, queries, *direct);
      return 0;
    }
    std::printf("measuring (reader: %d of %d domains; narrow: 1)\n", visible_domains, domain_count);
    if (!expansion_only) {
      const auto queries = prefixes(c);
      bench_search(c, reader, "reader", queries);  // warms the caches too
      bench_search(c, reader, "reader", queries);
      bench_search(c, narrow, "narrow", queries);
      bench_search(c, admin, "admin", queries);
      bench_members(c, reader, everyone, "1,000,000-member group, first page", std::nullopt);
      bench_members(c, reader, everyone, "1,000,000-member group, from the middle",
                    store::member_cursor{store::member_type::contact, middle});
      bench_members(c, reader, small, "200-member group", std::nullopt);
    }
    const auto migrated = outbox_objects(c);
    for (const auto* v : variants) {
      if (v != nullptr) {
        apply_outbox_variant(c, *v);
      } else {
        restore_outbox_objects(c, migrated);
      }
      const char* name = v != nullptr ? v->name : "migrated";
      bench_expansion(c, reader, everyone, "reader", name);
      bench_expansion(c, admin, everyone, "admin", name);
    }
    restore_outbox_objects(c, migrated);
    if (!expansion_only) bench_cursor(c, reader, everyone);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
