// Small conversions between C++ values and PostgreSQL text forms, shared by the store.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace smsgw::store {

/// The elements of a `text[]` field (NULL elements skipped; a NULL field gives none).
std::vector<std::string> text_array(const pqxx::field& f);

/// A `text[]` literal (`{"a","b"}`) for a parameter, with quotes and backslashes escaped.
std::string array_literal(const std::vector<std::string>& values);

}  // namespace smsgw::store
