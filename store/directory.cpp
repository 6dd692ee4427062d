#include "store/directory.hpp"

#include <stdexcept>

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include "keywords/normalise.hpp"
#include "store/audit.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {

const char* to_string(role r) {
  switch (r) {
    case role::company_admin: return "company_admin";
    case role::group_admin: return "group_admin";
    case role::user: return "user";
  }
  return "user";
}

std::optional<role> parse_role(std::string_view text) {
  if (text == "company_admin") return role::company_admin;
  if (text == "group_admin") return role::group_admin;
  if (text == "user") return role::user;
  return std::nullopt;
}

const char* to_string(group_type g) {
  switch (g) {
    case group_type::contacts_only: return "contacts_only";
    case group_type::users_only: return "users_only";
    case group_type::users_and_contacts: return "users_and_contacts";
  }
  return "contacts_only";
}

id create_company(pqxx::transaction_base& t, const std::string& name) {
  const id company =
      t.exec_params1("INSERT INTO companies (name) VALUES ($1) RETURNING id", name)[0].as<id>();
  t.exec_params0(
      "INSERT INTO domains (company_id, name, kind) VALUES ($1, 'Shared', 'shared'), ($1, 'User', "
      "'user')",
      company);
  return company;
}

std::optional<id> find_company(pqxx::transaction_base& t, const std::string& name) {
  const auto r = t.exec_params("SELECT id FROM companies WHERE name = $1", name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<id>();
}

id create_user(pqxx::transaction_base& t, id company, const new_user& u) {
  const id user = t.exec_params1(
                       "INSERT INTO users (company_id, username, name, role, password_hash) "
                       "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                       company, u.username, u.name, to_string(u.user_role), u.password_hash)[0]
                      .as<id>();
  // The personal domain is named after the unique username, so it never clashes (custom
  // domains may not start with "Personal:").
  t.exec_params0(
      "INSERT INTO domains (company_id, name, kind, owner_id, created_by) "
      "VALUES ($1, 'Personal: ' || $2, 'personal', $3, $3)",
      company, u.username, user);
  return user;
}

bool delete_user(pqxx::transaction_base& t, id company, id user, std::optional<id> actor) {
  if (actor == user) throw std::invalid_argument("a user cannot delete themselves");
  // A personal domain that still holds contacts or groups outlives its owner as a custom
  // domain: nothing is lost, and nobody but admins (the default for custom domains) sees it.
  // Not moved into Shared: that would show private contacts to every user.
  const auto kept = t.exec_params(
      "UPDATE domains d SET kind = 'custom', owner_id = NULL, "
      "  name = 'Former user ' || left(u.username, 60) || ' #' || u.id::text "
      "FROM users u WHERE u.id = $1 AND u.company_id = $2 AND d.owner_id = u.id "
      "  AND (EXISTS (SELECT 1 FROM contacts c WHERE c.domain_id = d.id) "
      "       OR EXISTS (SELECT 1 FROM groups g WHERE g.domain_id = d.id)) "
      "RETURNING d.id",
      user, company);
  const auto gone = t.exec_params(
      "DELETE FROM users WHERE id = $1 AND company_id = $2 RETURNING username", user, company);
  if (gone.empty()) return false;
  nlohmann::json details = {{"username", gone[0][0].as<std::string>()}};
  if (!kept.empty()) details["personal_domain_kept_as"] = kept[0][0].as<id>();
  record_audit(t, company, actor, "user.delete", "user:" + std::to_string(user), details);
  return true;
}

void set_user_number(pqxx::transaction_base& t, id user, const std::optional<std::string>& number) {
  t.exec_params0("UPDATE users SET number = $2 WHERE id = $1", user, number);
}

id builtin_domain(pqxx::transaction_base& t, id company, const std::string& kind) {
  return t
      .exec_params1("SELECT id FROM domains WHERE company_id = $1 AND kind = $2", company, kind)[0]
      .as<id>();
}

id create_group(pqxx::transaction_base& t, id company, id domain, const std::string& name,
                group_type type) {
  return t
      .exec_params1(
          "INSERT INTO groups (company_id, domain_id, name, type) "
          "SELECT $1, id, $3, $4 FROM domains WHERE id = $2 AND company_id = $1 RETURNING id",
          company, domain, name, to_string(type))[0]
      .as<id>();
}

id add_number(pqxx::transaction_base& t, id company, const std::string& number,
              const std::string& kind, const std::optional<std::string>& bind) {
  return t
      .exec_params1(
          "INSERT INTO numbers (company_id, number, kind, bind) VALUES ($1, $2, $3, $4) "
          "RETURNING id",
          company, number, kind, bind)[0]
      .as<id>();
}

std::optional<std::string> keyword_refusal(pqxx::transaction_base& t, id company,
                                           const std::string& keyword) {
  const auto c = t.exec_params1(
      "SELECT stop_words::text[], start_words::text[] FROM companies WHERE id = $1 FOR SHARE",
      company);
  keywords::company_rules rules;
  rules.stop_words = text_array(c[0]);
  rules.start_words = text_array(c[1]);
  return keywords::check_keyword(keyword, rules);
}

id add_keyword(pqxx::transaction_base& t, const new_keyword& k) {
  const auto company = t.exec_params1(
      "SELECT n.company_id, g.type, g.company_id = n.company_id "
      "FROM numbers n, groups g WHERE n.id = $1 AND g.id = $2 "
      // Held until commit: a concurrent change to users-only waits, then sees the keyword.
      "FOR SHARE OF g",
      k.number, k.group);
  if (!company[2].as<bool>()) throw std::invalid_argument("the group belongs to another company");
  if (company[1].as<std::string>() == "users_only") {
    throw std::invalid_argument("a users-only group cannot take contacts who opt in");
  }
  if (auto why = keyword_refusal(t, company[0].as<id>(), k.keyword)) {
    throw std::invalid_argument(*why);
  }
  return t
      .exec_params1(
          "INSERT INTO keywords (company_id, number_id, keyword, group_id, optin_message, "
          "optout_message, help_message, tail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
          "RETURNING id",
          company[0].as<id>(), k.number, keywords::normalise(k.keyword), k.group, k.optin_message,
          k.optout_message, k.help_message,
          k.tail == keywords::tail_policy::ignore ? "ignore" : "unmatched")[0]
      .as<id>();
}

}  // namespace smsgw::store
