#include "store/sql_util.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include "store/errors.hpp"

namespace smsgw::store {

std::vector<std::string> text_array(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto e = parser.get_next(); e.first != pqxx::array_parser::juncture::done;
       e = parser.get_next()) {
    if (e.first == pqxx::array_parser::juncture::string_value) out.push_back(std::move(e.second));
  }
  return out;
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string id_array(const std::vector<id>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

std::vector<id> unique_ids(std::vector<id> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::optional<std::string> optional_text(const pqxx::field& f) {
  return f.is_null() ? std::nullopt : std::optional(f.as<std::string>());
}

namespace {

// The n-th double-quoted name in a server message (`relation "groups"`), or "".
std::string quoted(const std::string& message, int n) {
  std::size_t at = 0;
  for (int i = 0;; ++i) {
    const auto open = message.find('"', at);
    const auto close = open == std::string::npos ? open : message.find('"', open + 1);
    if (close == std::string::npos) return "";
    if (i == n) return message.substr(open + 1, close - open - 1);
    at = close + 1;
  }
}

// The field a schema check names: PostgreSQL calls a column's CHECK `<table>_<column>_check`;
// any other constraint is named as it is.
std::string checked_field(const std::string& message) {
  const std::string table = quoted(message, 0);
  std::string constraint = quoted(message, 1);
  const std::string suffix = "_check";
  if (!table.empty() && constraint.rfind(table + "_", 0) == 0 &&
      constraint.size() > suffix.size() &&
      constraint.compare(constraint.size() - suffix.size(), suffix.size(), suffix) == 0) {
    constraint =
        constraint.substr(table.size() + 1, constraint.size() - table.size() - 1 - suffix.size());
  }
  return constraint.empty() ? "value" : constraint;
}

}  // namespace

void rethrow_store_error(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  // The server's own words, without "ERROR:  " and the DETAIL/CONTEXT lines.
  std::string message = e.what();
  if (const auto colon = message.find(":  "); colon != std::string::npos) {
    message = message.substr(colon + 3);
  }
  if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  if (state == "SG001") throw validation_error("members", message);
  if (state == "SG002") throw not_found(message);
  if (state == "SG003") throw conflict(message);
  if (state == "23505") throw conflict("it exists already (changed meanwhile?)");
  if (state == "23503") throw not_found("an object it refers to no longer exists");
  // A rule of the schema that the store's own checks did not catch first: the value is at
  // fault, not the server.
  if (state == "23514") throw validation_error(checked_field(message), message);
  if (state == "23502") throw validation_error(quoted(message, 0), message);
  if (state.rfind("22", 0) == 0) throw validation_error("value", message);
  throw;
}

}  // namespace smsgw::store
