#include "store/migrate.hpp"

#include <set>

#include <pqxx/pqxx>

namespace smsgw::store {
namespace {

// An arbitrary constant naming "smsgw schema migrations" among advisory locks.
constexpr long long migration_lock_key = 0x736d736777L;  // "smsgw"

// Holds the advisory lock for its lifetime; released even when a migration throws.
class advisory_lock {
 public:
  explicit advisory_lock(pqxx::connection& c) : c_(c) { run("pg_advisory_lock"); }
  ~advisory_lock() {
    try {
      run("pg_advisory_unlock");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the session's end releases it anyway
    }
  }
  advisory_lock(const advisory_lock&) = delete;
  advisory_lock& operator=(const advisory_lock&) = delete;

 private:
  void run(const char* function) {
    pqxx::nontransaction tx(c_);
    tx.exec_params1(std::string("SELECT ") + function + "($1)", migration_lock_key);
  }
  pqxx::connection& c_;
};

}  // namespace

std::vector<int> migrate(pqxx::connection& c) {
  const advisory_lock lock(c);
  {
    pqxx::work w(c);
    w.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    w.commit();
  }
  // Apply every version not yet recorded (not just those above the highest): a version
  // merged late from another branch must still run.
  std::set<int> done;
  {
    pqxx::read_transaction r(c);
    for (const auto& row : r.exec("SELECT version FROM schema_migrations"))
      done.insert(row[0].as<int>());
  }
  std::vector<int> applied;
  for (const auto& m : migrations()) {
    if (done.contains(m.version)) continue;
    pqxx::work w(c);
    w.exec0(m.sql);
    w.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                   std::string(m.name));
    w.commit();
    applied.push_back(m.version);
  }
  return applied;
}

}  // namespace smsgw::store
