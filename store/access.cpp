#include "store/access.hpp"

#include <nlohmann/json.hpp>

#include "store/audit.hpp"
#include "store/errors.hpp"

namespace smsgw::store {
namespace {

access access_of(const pqxx::row& r, int first) {
  return {*parse_access_level(r[first].as<std::string>()), r[first + 1].as<bool>(),
          r[first + 2].as<std::string>()};
}

std::string object_name(const grantee& who) {
  return (who.what == grantee::kind::user ? "user:" : "group:") + std::to_string(who.target);
}

// Grants may manage them: admins, and whoever may edit the domain. Personal domains have
// fixed access and take no grants.
void require_grant_manager(pqxx::transaction_base& t, const actor& a, id domain) {
  const auto d = t.exec_params("SELECT kind FROM domains WHERE id = $1 AND company_id = $2", domain,
                               a.company);
  if (d.empty()) throw not_found("no such domain");
  if (d[0][0].as<std::string>() == "personal") {
    if (access_to(t, a.user_id, domain).level == access_level::none) {
      throw not_found("no such domain");
    }
    throw validation_error("domain", "a personal domain is private to its owner: no grants");
  }
  if (!a.is_admin()) require_access(t, a.user_id, domain, access_level::editor);
}

// A group grantee must be a group of users in the company's User domain. Groups elsewhere
// (Shared above all) are edited by every user who may edit their domain, so a grant to one
// would let any such user give themselves the grant by joining the group; the User domain
// is editable by admins only unless they grant otherwise (PRODUCT.md §2: "User (holds the
// groups of users)").
void grant_to_group_rule(pqxx::transaction_base& t, const actor& a, id group) {
  const auto g = t.exec_params(
      "SELECT d.kind, g.type FROM groups g JOIN domains d ON d.id = g.domain_id "
      "WHERE g.id = $1 AND g.company_id = $2",
      group, a.company);
  if (g.empty()) throw not_found("no such group");
  if (g[0][0].as<std::string>() != "user") {
    throw validation_error("group", "access is granted to groups of the User domain only");
  }
  if (g[0][1].as<std::string>() == "contacts_only") {
    throw validation_error("group", "a contacts-only group has no users to grant access to");
  }
}

void require_domain_reader(pqxx::transaction_base& t, const actor& a, id domain) {
  const auto d = t.exec_params(
      "SELECT d.kind = 'personal', a.level FROM domains d "
      "JOIN effective_access($1) a ON a.domain_id = d.id WHERE d.id = $2",
      a.user_id, domain);
  if (d.empty()) throw not_found("no such domain");
  const bool personal = d[0][0].as<bool>();
  const bool sees = d[0][1].as<std::string>() != "none";
  if (!sees && (personal || !a.is_admin())) throw not_found("no such domain");
}

}  // namespace

const char* to_string(access_level l) {
  switch (l) {
    case access_level::none: return "none";
    case access_level::viewer: return "viewer";
    case access_level::editor: return "editor";
  }
  return "none";
}

std::optional<access_level> parse_access_level(std::string_view text) {
  if (text == "none") return access_level::none;
  if (text == "viewer") return access_level::viewer;
  if (text == "editor") return access_level::editor;
  return std::nullopt;
}

actor load_actor(pqxx::transaction_base& t, id user) {
  const auto r = t.exec_params("SELECT company_id, role FROM users WHERE id = $1", user);
  if (r.empty()) throw not_found("no such user");
  return {user, r[0][0].as<id>(), parse_role(r[0][1].as<std::string>()).value_or(role::user)};
}

access access_to(pqxx::transaction_base& t, id user, id domain) {
  const auto r = t.exec_params(
      "SELECT level, is_default, source FROM effective_access($1) WHERE domain_id = $2", user,
      domain);
  if (r.empty()) throw not_found("no such domain");
  return access_of(r[0], 0);
}

std::vector<std::pair<id, access>> effective_accesses(pqxx::transaction_base& t, id user) {
  std::vector<std::pair<id, access>> out;
  for (const auto& r : t.exec_params(
           "SELECT domain_id, level, is_default, source FROM effective_access($1) ORDER BY 1",
           user)) {
    out.emplace_back(r[0].as<id>(), access_of(r, 1));
  }
  return out;
}

std::vector<std::pair<id, access>> domain_accesses(pqxx::transaction_base& t, id actor_user,
                                                   id domain) {
  const actor a = load_actor(t, actor_user);
  require_domain_reader(t, a, domain);
  std::vector<std::pair<id, access>> out;
  for (const auto& r : t.exec_params("SELECT u.id, x.level, x.is_default, x.source "
                                     "FROM users u CROSS JOIN LATERAL effective_access(u.id) x "
                                     "WHERE u.company_id = $1 AND x.domain_id = $2 ORDER BY u.id",
                                     a.company, domain)) {
    out.emplace_back(r[0].as<id>(), access_of(r, 1));
  }
  return out;
}

void require_access(pqxx::transaction_base& t, id user, id domain, access_level needed) {
  const access a = access_to(t, user, domain);
  if (a.level == access_level::none) throw not_found("no such domain");
  if (a.level < needed) {
    throw access_denied(std::string("needs ") + to_string(needed) + " access to the domain");
  }
}

void set_grant(pqxx::transaction_base& t, id actor_user, id domain, const grantee& who,
               access_level level) {
  const actor a = load_actor(t, actor_user);
  require_grant_manager(t, a, domain);
  std::optional<std::string> before;
  if (who.what == grantee::kind::user) {
    if (t.exec_params("SELECT 1 FROM users WHERE id = $1 AND company_id = $2", who.target,
                      a.company)
            .empty()) {
      throw not_found("no such user");
    }
    const auto r = t.exec_params(
        "WITH old AS (SELECT level FROM grants WHERE domain_id = $2 AND grantee_user_id = $3) "
        "INSERT INTO grants (company_id, domain_id, grantee_user_id, level, granted_by) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain_id, grantee_user_id) DO UPDATE "
        "SET level = EXCLUDED.level, granted_by = EXCLUDED.granted_by, granted_at = now() "
        "RETURNING (SELECT level FROM old)",
        a.company, domain, who.target, to_string(level), actor_user);
    if (!r[0][0].is_null()) before = r[0][0].as<std::string>();
  } else {
    grant_to_group_rule(t, a, who.target);
    const auto r = t.exec_params(
        "WITH old AS (SELECT level FROM grants WHERE domain_id = $2 AND grantee_group_id = $3) "
        "INSERT INTO grants (company_id, domain_id, grantee_group_id, level, granted_by) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain_id, grantee_group_id) DO UPDATE "
        "SET level = EXCLUDED.level, granted_by = EXCLUDED.granted_by, granted_at = now() "
        "RETURNING (SELECT level FROM old)",
        a.company, domain, who.target, to_string(level), actor_user);
    if (!r[0][0].is_null()) before = r[0][0].as<std::string>();
  }
  nlohmann::json details = {{"grantee", object_name(who)}, {"level", to_string(level)}};
  details["before"] = before ? nlohmann::json(*before) : nlohmann::json(nullptr);
  record_audit(t, a.company, actor_user, "grant.set", "domain:" + std::to_string(domain), details);
}

bool remove_grant(pqxx::transaction_base& t, id actor_user, id domain, const grantee& who) {
  const actor a = load_actor(t, actor_user);
  require_grant_manager(t, a, domain);
  const auto r = t.exec_params(
      who.what == grantee::kind::user
          ? "DELETE FROM grants WHERE domain_id = $1 AND grantee_user_id = $2 RETURNING level"
          : "DELETE FROM grants WHERE domain_id = $1 AND grantee_group_id = $2 RETURNING level",
      domain, who.target);
  if (r.empty()) return false;
  record_audit(t, a.company, actor_user, "grant.remove", "domain:" + std::to_string(domain),
               {{"grantee", object_name(who)}, {"before", r[0][0].as<std::string>()}});
  return true;
}

std::vector<grant> list_grants(pqxx::transaction_base& t, id actor_user, id domain) {
  const actor a = load_actor(t, actor_user);
  require_domain_reader(t, a, domain);
  std::vector<grant> out;
  for (const auto& r : t.exec_params(
           "SELECT grantee_user_id, grantee_group_id, level, granted_by FROM grants "
           "WHERE domain_id = $1 "
           "ORDER BY grantee_user_id IS NULL, coalesce(grantee_user_id, grantee_group_id)",
           domain)) {
    grant g;
    g.who = r[0].is_null() ? grantee{grantee::kind::group, r[1].as<id>()}
                           : grantee{grantee::kind::user, r[0].as<id>()};
    g.level = *parse_access_level(r[2].as<std::string>());
    if (!r[3].is_null()) g.granted_by = r[3].as<id>();
    out.push_back(g);
  }
  return out;
}

}  // namespace smsgw::store
