// Small conversions between C++ values and PostgreSQL text forms, and the one place where
// the database's refusals become the store's typed errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "store/id.hpp"

namespace smsgw::store {

/// The elements of a `text[]` field (NULL elements skipped; a NULL field gives none).
std::vector<std::string> text_array(const pqxx::field& f);

/// A `text[]` literal (`{"a","b"}`) for a parameter, with quotes and backslashes escaped.
std::string array_literal(const std::vector<std::string>& values);

/// A `bigint[]` literal (`{1,2,3}`) for a `$n::bigint[]` parameter (libpqxx 6.4 converts no
/// containers).
std::string id_array(const std::vector<id>& ids);

/// `ids` sorted, without repeats.
std::vector<id> unique_ids(std::vector<id> ids);

/// A nullable text column.
std::optional<std::string> optional_text(const pqxx::field& f);

/// Rethrows a database refusal as the store's typed error: migration 002's rule violations
/// (SG001 a type rule → validation_error on `members`, SG002 another company → not_found,
/// SG003 a cycle → conflict), a unique violation → conflict, a foreign-key violation (an
/// object deleted or merged meanwhile) → not_found, a CHECK or NOT NULL of the schema or a
/// data exception (class 22: too long, out of range, bad syntax) → validation_error naming the
/// column where the server does. Anything else is rethrown as it is.
[[noreturn]] void rethrow_store_error(const pqxx::sql_error& e);

/// Runs `f`, turning database refusals into typed errors (rethrow_store_error).
template <class F>
auto guarded(F&& f) {
  try {
    return f();
  } catch (const pqxx::sql_error& e) {
    rethrow_store_error(e);
  }
}

}  // namespace smsgw::store
