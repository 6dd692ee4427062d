#include "store/migrate.hpp"

#include <set>
#include <string>

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
        " applied_at timestamptz NOT NULL DEFAULT now());"
        "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text");
    w.commit();
  }
  // The versions applied; a checksum not yet recorded is taken from the text as it is.
  std::set<int> done;
  {
    pqxx::work w(c);
    for (const auto& m : migrations()) {
      const auto row = w.exec_params(
          "UPDATE schema_migrations SET checksum = coalesce(checksum, s.sum) "
          "FROM (SELECT encode(sha256(convert_to($2, 'UTF8')), 'hex') AS sum) s "
          "WHERE version = $1 RETURNING checksum = s.sum",
          m.version, std::string(m.sql));
      if (row.empty()) continue;
      if (!row[0][0].as<bool>()) {  // thrown before commit: nothing is recorded
        throw migration_changed(
            "migration " + std::string(m.name) +
            " differs from the one applied to this database: applied migrations must not be "
            "edited (put a change in a new migration, or a function in store/sql)");
      }
      done.insert(m.version);
    }
    w.commit();
  }
  // Apply every version not yet recorded (not just those above the highest): a version
  // merged late from another branch must still run.
  std::vector<int> applied;
  for (const auto& m : migrations()) {
    if (done.contains(m.version)) continue;
    pqxx::work w(c);
    w.exec0(m.sql);
    w.exec_params0(
        "INSERT INTO schema_migrations (version, name, checksum) "
        "VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
        m.version, std::string(m.name), std::string(m.sql));
    w.commit();
    applied.push_back(m.version);
  }
  pqxx::work w(c);
  for (const auto& d : definitions()) w.exec0(d.sql);
  w.commit();
  return applied;
}

}  // namespace smsgw::store
