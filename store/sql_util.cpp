#include "store/sql_util.hpp"

#include <pqxx/pqxx>

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

}  // namespace smsgw::store
