#include "store/audit.hpp"

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

namespace smsgw::store {

void record_audit(pqxx::transaction_base& t, id company, std::optional<id> actor,
                  std::string_view action, std::string_view object, const nlohmann::json& details) {
  t.exec_params0(
      "INSERT INTO audit_log (company_id, actor_user_id, action, object, details) "
      "VALUES ($1, $2, $3, $4, $5::jsonb)",
      company, actor, std::string(action), std::string(object), details.dump());
}

std::vector<audit_entry> audit_trail(pqxx::transaction_base& t, id company, int limit) {
  std::vector<audit_entry> out;
  for (const auto& r :
       t.exec_params("SELECT id, actor_user_id, action, object, details::text, "
                     "       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                     "FROM audit_log WHERE company_id = $1 ORDER BY id DESC LIMIT $2",
                     company, limit)) {
    out.push_back({r[0].as<id>(), r[1].is_null() ? std::nullopt : std::optional(r[1].as<id>()),
                   r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>(),
                   r[5].as<std::string>()});
  }
  return out;
}

}  // namespace smsgw::store
