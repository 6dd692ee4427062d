#include "store/suppressions.hpp"

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/phone.hpp"

namespace smsgw::store {
namespace {

std::string checked_number(std::string_view number, std::string_view region) {
  const auto n = to_e164(number, region);
  if (!n) throw validation_error("number", n.error());
  return *n;
}

}  // namespace

bool add_suppression(pqxx::transaction_base& t, id actor_user, std::string_view number,
                     std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  const std::string n = checked_number(number, default_region);
  // A number the SMS path stored in another spelling (without its +) is the same number:
  // one suppression per number_key, so nothing is added.
  const bool added = !t.exec_params(
                           "INSERT INTO suppressions (company_id, number, source, created_by) "
                           "VALUES ($1, $2, 'api', $3) ON CONFLICT DO NOTHING RETURNING 1",
                           a.company, n, actor_user)
                          .empty();
  if (added) {
    record_audit(t, a.company, actor_user, "suppression.add", "number:" + n, {{"source", "api"}});
  }
  return added;
}

bool remove_suppression(pqxx::transaction_base& t, id actor_user, std::string_view number,
                        std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  if (!a.is_admin()) throw access_denied("only admins may lift a suppression");
  const std::string n = checked_number(number, default_region);
  const auto removed = t.exec_params(
      "DELETE FROM suppressions WHERE company_id = $1 AND number_key = number_key($2) "
      "RETURNING source",
      a.company, n);
  if (removed.empty()) return false;
  record_audit(t, a.company, actor_user, "suppression.remove", "number:" + n,
               {{"source", removed[0][0].as<std::string>()}});
  return true;
}

std::vector<suppression> list_suppressions(pqxx::transaction_base& t, id actor_user,
                                           const std::string& after, int limit) {
  const actor a = load_actor(t, actor_user);
  std::vector<suppression> out;
  for (const auto& r :
       t.exec_params("SELECT number, source, created_by FROM suppressions "
                     "WHERE company_id = $1 AND number > $2 ORDER BY number LIMIT $3",
                     a.company, after, limit)) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(),
                   r[2].is_null() ? std::nullopt : std::optional(r[2].as<id>())});
  }
  return out;
}

}  // namespace smsgw::store
