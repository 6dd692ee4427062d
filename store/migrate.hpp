// The schema, embedded in the binary and brought up to date at start: numbered migrations
// (store/migrations: tables, indexes, data; each applied once, never edited after) and
// definitions (store/sql: functions written CREATE OR REPLACE, applied at every start after
// the migrations, so a function is changed by editing its one file).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace smsgw::store {

/// One file of store/migrations: `NNN_name.sql`.
struct migration {
  int version;
  const char* name;
  const char* sql;
};

/// One file of store/sql: `name.sql`.
struct definition {
  const char* name;
  const char* sql;
};

/// Every migration, ascending by version (generated at build time).
const std::vector<migration>& migrations();

/// Every definition file, by name (generated at build time).
const std::vector<definition>& definitions();

/// A migration that was applied with other text than this binary holds: someone edited an
/// applied migration, and the schema may not be what the code expects.
struct migration_changed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Applies the migrations not yet recorded in `schema_migrations`, each in its own
/// transaction, then every definition in one, all under a PostgreSQL advisory lock so that
/// daemons starting together wait for each other instead of racing. Each migration's
/// SHA-256 is recorded; one already applied whose text differs throws migration_changed and
/// changes nothing (one recorded before checksums were is taken as it is). Returns the
/// versions it applied.
std::vector<int> migrate(pqxx::connection& c);

}  // namespace smsgw::store
