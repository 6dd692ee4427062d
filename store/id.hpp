// The id type of every store row, and the one libpqxx type the store's headers name, so that
// they need not include <pqxx/pqxx>.
#pragma once

#include <cstdint>

namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace smsgw::store {

using id = std::int64_t;

}  // namespace smsgw::store
