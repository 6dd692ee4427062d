// Id lists as PostgreSQL array parameters (libpqxx 6.4 converts no containers).
#pragma once

#include <string>
#include <vector>

#include "store/directory.hpp"

namespace smsgw::store {

/// A `bigint[]` literal (`{1,2,3}`) for a `$n::bigint[]` parameter.
inline std::string id_array(const std::vector<id>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

}  // namespace smsgw::store
