#include "store/domains.hpp"

#include <strings.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

constexpr std::array<std::string_view, 6> standard_columns = {"name",  "number",    "alias",
                                                              "email", "public_id", "system_id"};

domain_kind parse_kind(const std::string& k) {
  if (k == "shared") return domain_kind::shared;
  if (k == "personal") return domain_kind::personal;
  if (k == "user") return domain_kind::user;
  return domain_kind::custom;
}

// The columns a domain query selects, with the reader's access; the reader is $1.
constexpr const char* domain_select =
    "SELECT d.id, d.name, d.kind, d.owner_id, d.properties::text[], d.visible_columns::text[], "
    "       a.level, a.is_default, a.source "
    "FROM domains d JOIN effective_access($1) a ON a.domain_id = d.id ";

// Admins see every domain but others' personal ones; everybody else what they can view.
constexpr const char* domain_readable =
    "(a.level <> 'none' OR (d.kind <> 'personal' AND "
    " (SELECT role FROM users WHERE id = $1) <> 'user')) ";

domain domain_of(const pqxx::row& r) {
  domain d;
  d.domain_id = r[0].as<id>();
  d.name = r[1].as<std::string>();
  d.kind = parse_kind(r[2].as<std::string>());
  if (!r[3].is_null()) d.owner = r[3].as<id>();
  d.properties = text_array(r[4]);
  d.visible_columns = text_array(r[5]);
  d.my_access = {*parse_access_level(r[6].as<std::string>()), r[7].as<bool>(),
                 r[8].as<std::string>()};
  return d;
}

// Normalised properties and columns, or every issue with them.
std::pair<std::vector<std::string>, std::vector<std::string>> checked_columns(
    const std::vector<std::string>& properties, const std::vector<std::string>& columns) {
  std::vector<field_issue> issues;
  std::vector<std::string> props;
  for (std::size_t i = 0; i < properties.size(); ++i) {
    const auto p = normalise_property_name(properties[i]);
    const std::string field = "properties[" + std::to_string(i) + "]";
    if (!p) {
      issues.push_back({field, p.error()});
    } else if (std::find(props.begin(), props.end(), *p) != props.end()) {
      issues.push_back({field, "is listed twice"});
    } else {
      props.push_back(*p);
    }
  }
  std::vector<std::string> cols;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string c = trim(columns[i]);
    const std::string field = "visible_columns[" + std::to_string(i) + "]";
    const bool known =
        std::find(standard_columns.begin(), standard_columns.end(), c) != standard_columns.end() ||
        std::find(props.begin(), props.end(), c) != props.end();
    if (!known) {
      issues.push_back({field, "is neither a standard column nor an enabled property"});
    } else if (std::find(cols.begin(), cols.end(), c) != cols.end()) {
      issues.push_back({field, "is listed twice"});
    } else {
      cols.push_back(c);
    }
  }
  if (!issues.empty()) throw validation_error(std::move(issues));
  return {props, cols};
}

std::string checked_name(const std::string& name) {
  const auto n = normalise_title(name, 100);
  if (!n) throw validation_error("name", n.error());
  // Reserved for the personal domains ("Personal: carol"), made with each user.
  if (n->size() >= 9 && strncasecmp(n->c_str(), "personal:", 9) == 0) {
    throw validation_error("name",
                           "names starting with 'Personal:' are kept for users' own domains");
  }
  return *n;
}

// The domain's kind, after checking that the actor may edit it.
domain_kind editable(pqxx::transaction_base& t, id actor_user, id domain_id) {
  require_access(t, actor_user, domain_id, access_level::editor);
  return parse_kind(
      t.exec_params1("SELECT kind FROM domains WHERE id = $1", domain_id)[0].as<std::string>());
}

void require_custom(domain_kind k, const char* what) {
  if (k != domain_kind::custom) {
    throw validation_error("domain", std::string("a built-in domain cannot be ") + what);
  }
}

bool is_name_clash(const pqxx::unique_violation& e) {
  return std::string_view(e.what()).find("domains_company_id_name_key") != std::string_view::npos;
}

}  // namespace

const char* to_string(domain_kind k) {
  switch (k) {
    case domain_kind::shared: return "shared";
    case domain_kind::personal: return "personal";
    case domain_kind::user: return "user";
    case domain_kind::custom: return "custom";
  }
  return "custom";
}

id create_domain(pqxx::transaction_base& t, id actor_user, const new_domain& d) {
  const actor a = load_actor(t, actor_user);
  const std::string name = checked_name(d.name);
  const auto [props, cols] = checked_columns(d.properties, d.visible_columns);
  if (!t.exec_params("SELECT 1 FROM domains WHERE company_id = $1 AND name = $2", a.company, name)
           .empty()) {
    throw conflict("a domain called '" + name + "' exists");
  }
  const id domain_id =
      t.exec_params1(
           "INSERT INTO domains (company_id, name, kind, properties, visible_columns, created_by) "
           "VALUES ($1, $2, 'custom', $3::text[], $4::text[], $5) RETURNING id",
           a.company, name, array_literal(props), array_literal(cols), actor_user)[0]
          .as<id>();
  t.exec_params0(
      "INSERT INTO grants (company_id, domain_id, grantee_user_id, level, granted_by) "
      "VALUES ($1, $2, $3, 'editor', $3)",
      a.company, domain_id, actor_user);
  record_audit(t, a.company, actor_user, "domain.create", "domain:" + std::to_string(domain_id),
               {{"name", name}});
  record_audit(t, a.company, actor_user, "grant.set", "domain:" + std::to_string(domain_id),
               {{"grantee", "user:" + std::to_string(actor_user)},
                {"level", "editor"},
                {"before", nullptr},
                {"reason", "creator"}});
  return domain_id;
}

domain get_domain(pqxx::transaction_base& t, id actor_user, id domain_id) {
  const auto r = t.exec_params(
      std::string(domain_select) + "WHERE d.id = $2 AND " + domain_readable, actor_user, domain_id);
  if (r.empty()) throw not_found("no such domain");
  return domain_of(r[0]);
}

std::vector<domain> list_domains(pqxx::transaction_base& t, id actor_user) {
  std::vector<domain> out;
  for (const auto& r : t.exec_params(
           std::string(domain_select) + "WHERE " + domain_readable + "ORDER BY d.id", actor_user)) {
    out.push_back(domain_of(r));
  }
  return out;
}

void rename_domain(pqxx::transaction_base& t, id actor_user, id domain_id,
                   const std::string& name) {
  require_custom(editable(t, actor_user, domain_id), "renamed");
  const std::string checked = checked_name(name);
  std::string before;
  try {
    before = t.exec_params1(
                  "UPDATE domains n SET name = $2 FROM domains o WHERE n.id = $1 AND o.id = n.id "
                  "RETURNING o.name, n.company_id",
                  domain_id, checked)[0]
                 .as<std::string>();
  } catch (const pqxx::unique_violation& e) {
    if (is_name_clash(e)) throw conflict("a domain called '" + checked + "' exists");
    throw;
  }
  record_audit(t, load_actor(t, actor_user).company, actor_user, "domain.rename",
               "domain:" + std::to_string(domain_id), {{"from", before}, {"to", checked}});
}

void set_domain_columns(pqxx::transaction_base& t, id actor_user, id domain_id,
                        const std::vector<std::string>& properties,
                        const std::vector<std::string>& visible_columns) {
  editable(t, actor_user, domain_id);
  const auto [props, cols] = checked_columns(properties, visible_columns);
  t.exec_params0(
      "UPDATE domains SET properties = $2::text[], visible_columns = $3::text[] WHERE id = $1",
      domain_id, array_literal(props), array_literal(cols));
  record_audit(t, load_actor(t, actor_user).company, actor_user, "domain.columns",
               "domain:" + std::to_string(domain_id),
               {{"properties", props}, {"visible_columns", cols}});
}

void delete_domain(pqxx::transaction_base& t, id actor_user, id domain_id) {
  require_custom(editable(t, actor_user, domain_id), "deleted");
  // Locks the domain first: a contact added meanwhile waits, then finds it gone.
  const auto d =
      t.exec_params1("SELECT company_id, name FROM domains WHERE id = $1 FOR UPDATE", domain_id);
  const auto used = t.exec_params1(
      "SELECT EXISTS (SELECT 1 FROM contacts WHERE domain_id = $1), "
      "       EXISTS (SELECT 1 FROM groups WHERE domain_id = $1)",
      domain_id);
  if (used[0].as<bool>() || used[1].as<bool>()) {
    throw conflict("the domain still holds contacts or groups: merge it instead");
  }
  t.exec_params0("DELETE FROM domains WHERE id = $1", domain_id);
  record_audit(t, d[0].as<id>(), actor_user, "domain.delete", "domain:" + std::to_string(domain_id),
               {{"name", d[1].as<std::string>()}});
}

merge_result merge_domains(pqxx::transaction_base& t, id actor_user, id from, id into) {
  if (from == into) throw validation_error("into", "a domain cannot be merged into itself");
  require_custom(editable(t, actor_user, from), "merged away");
  editable(t, actor_user, into);
  const id company = load_actor(t, actor_user).company;
  // Both rows locked in id order (no deadlock with a merge the other way): contacts and
  // groups added to `from` meanwhile wait for the merge and then fail, as `from` is gone.
  t.exec_params("SELECT id FROM domains WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", from, into);

  merge_result out;
  // Memberships of the contacts to fold move to the target's contact with that number.
  t.exec_params0(
      "INSERT INTO group_contacts (group_id, contact_id, added_at) "
      "SELECT gc.group_id, b.id, gc.added_at FROM contacts a "
      "JOIN contacts b ON b.domain_id = $2 AND b.number = a.number "
      "JOIN group_contacts gc ON gc.contact_id = a.id "
      "WHERE a.domain_id = $1 ON CONFLICT DO NOTHING",
      from, into);
  // Deleted and merged in one statement: the public id moves from the deleted row, whose
  // index entry no longer counts as a duplicate for this transaction.
  out.folded_contacts = static_cast<std::int64_t>(
      t.exec_params("WITH gone AS ("
                    "  DELETE FROM contacts a USING contacts b "
                    "  WHERE a.domain_id = $1 AND b.domain_id = $2 AND b.number = a.number "
                    "  RETURNING b.id AS target, a.name, a.alias, a.email, a.public_id, a.tags) "
                    "UPDATE contacts b SET "
                    "  name = CASE WHEN b.name = '' THEN g.name ELSE b.name END, "
                    "  alias = coalesce(b.alias, g.alias), email = coalesce(b.email, g.email), "
                    "  public_id = coalesce(b.public_id, g.public_id), tags = g.tags || b.tags, "
                    "  updated_at = now() "
                    "FROM gone g WHERE b.id = g.target",
                    from, into)
          .affected_rows());
  out.moved_contacts = static_cast<std::int64_t>(
      t.exec_params("UPDATE contacts SET domain_id = $2, updated_at = now() WHERE domain_id = $1",
                    from, into)
          .affected_rows());
  out.moved_groups = static_cast<std::int64_t>(
      t.exec_params("UPDATE groups SET domain_id = $2 WHERE domain_id = $1", from, into)
          .affected_rows());
  t.exec_params0(
      "UPDATE domains i SET "
      "  properties = i.properties || ARRAY(SELECT p FROM unnest(f.properties) WITH ORDINALITY "
      "    u(p, n) WHERE p <> ALL (i.properties) ORDER BY n), "
      "  visible_columns = i.visible_columns || ARRAY(SELECT c FROM unnest(f.visible_columns) "
      "    WITH ORDINALITY u(c, n) WHERE c <> ALL (i.visible_columns) ORDER BY n) "
      "FROM domains f WHERE i.id = $2 AND f.id = $1",
      from, into);
  // The grants on `from` go with it (the target's own grants decide from now on): recorded.
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& r : t.exec_params(
           "SELECT grantee_user_id, grantee_group_id, level FROM grants WHERE domain_id = $1 "
           "ORDER BY id",
           from)) {
    grants.push_back({{"grantee", r[0].is_null() ? "group:" + r[1].as<std::string>()
                                                 : "user:" + r[0].as<std::string>()},
                      {"level", r[2].as<std::string>()}});
  }
  const auto name =
      t.exec_params1("DELETE FROM domains WHERE id = $1 RETURNING name", from)[0].as<std::string>();
  record_audit(t, company, actor_user, "domain.merge", "domain:" + std::to_string(from),
               {{"name", name},
                {"into", into},
                {"moved_contacts", out.moved_contacts},
                {"folded_contacts", out.folded_contacts},
                {"moved_groups", out.moved_groups},
                {"grants_removed", grants}});
  return out;
}

}  // namespace smsgw::store
