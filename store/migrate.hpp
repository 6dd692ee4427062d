// Numbered schema migrations, embedded in the binary and applied at start.
#pragma once

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

/// Every migration, ascending by version (generated at build time).
const std::vector<migration>& migrations();

/// Applies the migrations not yet recorded in `schema_migrations`, each in its own
/// transaction, under a PostgreSQL advisory lock so that daemons starting together wait
/// for each other instead of racing. Returns the versions it applied.
std::vector<int> migrate(pqxx::connection& c);

}  // namespace smsgw::store
