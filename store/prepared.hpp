// Statements that a hot path runs for every message, prepared on each connection the first
// time it runs them: PostgreSQL then parses and plans each one once per connection instead
// of at every execution. For an opt-in by SMS, planning was about half of the store's time
// (pgbench, one MO's statements: 2.6 ms unprepared, 1.3 ms prepared).
#pragma once

#include <utility>

#include <pqxx/pqxx>

namespace smsgw::store {

/// A statement with a name unique in the program (libpqxx refuses a second text under one
/// name). Define it once, next to its only caller.
struct statement {
  const char* name;
  const char* sql;
};

/// Runs `s` with `args` in `t`. libpqxx prepares it on the connection's first use (and again
/// after a reconnection); registering the same text again costs a map lookup.
template <class... Args>
pqxx::result exec(pqxx::transaction_base& t, const statement& s, Args&&... args) {
  t.conn().prepare(s.name, s.sql);
  return t.exec_prepared(s.name, std::forward<Args>(args)...);
}

}  // namespace smsgw::store
