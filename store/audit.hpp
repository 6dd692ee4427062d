// The audit trail of changes that matter: grants, memberships, suppressions, domains.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include "store/id.hpp"

namespace smsgw::store {

/// Records that `actor` (nullopt: the system) did `action` (e.g. `grant.set`) to `object`
/// (e.g. `domain:12`), with `details`, at the transaction's time.
void record_audit(pqxx::transaction_base& t, id company, std::optional<id> actor,
                  std::string_view action, std::string_view object, const nlohmann::json& details);

/// One audit row.
struct audit_entry {
  id entry_id = 0;
  std::optional<id> actor;
  std::string action;
  std::string object;
  std::string details;  ///< JSON text
  std::string at;       ///< ISO 8601 timestamp
};

/// The newest `limit` audit rows of a company, newest first.
std::vector<audit_entry> audit_trail(pqxx::transaction_base& t, id company, int limit);

}  // namespace smsgw::store
