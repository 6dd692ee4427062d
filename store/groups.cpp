#include "store/groups.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// The columns every group read selects, from `groups g`.
constexpr const char* group_columns =
    "g.id, g.system_id, g.name, g.alias, g.public_id, g.domain_id, g.type";

// At most this many "another domain" warnings, then one that counts the rest.
constexpr std::size_t max_warnings = 20;

group_type parse_group_type(const std::string& text) {
  if (text == "users_only") return group_type::users_only;
  if (text == "users_and_contacts") return group_type::users_and_contacts;
  return group_type::contacts_only;
}

bool holds_contacts(group_type t) {
  return t != group_type::users_only;
}
bool holds_users(group_type t) {
  return t != group_type::contacts_only;
}

group group_of(const pqxx::row& r) {
  group g;
  g.group_id = r[0].as<id>();
  g.system_id = r[1].as<std::string>();
  g.name = r[2].as<std::string>();
  g.alias = optional_text(r[3]);
  g.public_id = optional_text(r[4]);
  g.domain_id = r[5].as<id>();
  g.type = parse_group_type(r[6].as<std::string>());
  return g;
}

std::vector<group> groups_of(const pqxx::result& rows) {
  std::vector<group> out;
  for (const auto& r : rows) out.push_back(group_of(r));
  return out;
}

}  // namespace

group visible_group(pqxx::transaction_base& t, id reader, id group_id) {
  const auto r = t.exec_params(std::string("SELECT ") + group_columns +
                                   " FROM groups g WHERE g.id = $2 "
                                   "AND g.domain_id IN (SELECT visible_domains($1))",
                               reader, group_id);
  if (r.empty()) throw not_found("no such group");
  return group_of(r[0]);
}

namespace {

// A group the actor may change (Editor on its domain).
group editable_group(pqxx::transaction_base& t, id actor_user, id group_id) {
  group g = visible_group(t, actor_user, group_id);
  require_access(t, actor_user, g.domain_id, access_level::editor);
  return g;
}

struct checked_texts {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> alias;
  std::optional<std::optional<std::string>> public_id;
};

checked_texts check_texts(const std::optional<std::string>& name,
                          const std::optional<std::string>& alias,
                          const std::optional<std::string>& public_id) {
  std::vector<field_issue> issues;
  checked_texts out;
  if (name) {
    if (auto n = normalise_title(*name, 200)) {
      out.name = *n;
    } else {
      issues.push_back({"name", n.error()});
    }
  }
  if (alias) {
    if (auto a = normalise_alias(*alias)) {
      out.alias = *a;
    } else {
      issues.push_back({"alias", a.error()});
    }
  }
  if (public_id) {
    if (auto p = normalise_public_id(*public_id)) {
      out.public_id = *p;
    } else {
      issues.push_back({"public_id", p.error()});
    }
  }
  if (!issues.empty()) throw validation_error(std::move(issues));
  return out;
}

void require_unique_keys(pqxx::transaction_base& t, id company,
                         const std::optional<std::string>& alias,
                         const std::optional<std::string>& public_id, id except) {
  if (alias && !t.exec_params("SELECT 1 FROM groups WHERE company_id = $1 AND alias = $2 "
                              "AND id <> $3",
                              company, *alias, except)
                    .empty()) {
    throw conflict("the group alias " + *alias + " is taken");
  }
  if (public_id && !t.exec_params("SELECT 1 FROM groups WHERE company_id = $1 AND "
                                  "public_id = $2 AND id <> $3",
                                  company, *public_id, except)
                        .empty()) {
    throw conflict("the group public id " + *public_id + " is taken");
  }
}

std::string like_prefix(std::string_view text) {
  std::string out;
  for (const char c : trim(text)) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out + '%';
}

void add_domain_warnings(const pqxx::result& foreign, const char* kind,
                         std::vector<std::string>& warnings, std::size_t& extra) {
  for (const auto& r : foreign) {
    if (warnings.size() < max_warnings) {
      warnings.push_back(std::string(kind) + " " + r[0].as<std::string>() +
                         " is in another security domain than the group");
    } else {
      ++extra;
    }
  }
}

}  // namespace

const char* to_string(member_type m) {
  switch (m) {
    case member_type::group: return "group";
    case member_type::user: return "user";
    case member_type::contact: return "contact";
  }
  return "contact";
}

group create_group(pqxx::transaction_base& t, id actor_user, const new_group& g) {
  const actor a = load_actor(t, actor_user);
  require_access(t, actor_user, g.domain, access_level::editor);
  const auto texts = check_texts(g.name, g.alias, g.public_id);
  require_unique_keys(t, a.company, *texts.alias, *texts.public_id, 0);
  const id group_id = guarded([&] {
    return t
        .exec_params1(
            "INSERT INTO groups (company_id, domain_id, name, type, alias, public_id) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            a.company, g.domain, *texts.name, to_string(g.type), *texts.alias, *texts.public_id)[0]
        .as<id>();
  });
  record_audit(t, a.company, actor_user, "group.create", "group:" + std::to_string(group_id),
               {{"name", *texts.name}, {"domain", g.domain}, {"type", to_string(g.type)}});
  return get_group(t, actor_user, group_id);
}

group get_group(pqxx::transaction_base& t, id actor_user, id group_id) {
  group g = visible_group(t, actor_user, group_id);
  const auto c = t.exec_params1(
      "WITH v AS MATERIALIZED (SELECT visible_domains($1) AS domain_id) "
      "SELECT (SELECT count(*) FROM group_contacts gc JOIN contacts c ON c.id = gc.contact_id "
      "        WHERE gc.group_id = $2 AND c.domain_id IN (SELECT domain_id FROM v)), "
      "       (SELECT count(*) FROM group_users WHERE group_id = $2), "
      "       (SELECT count(*) FROM group_groups gg JOIN groups c ON c.id = gg.child_id "
      "        WHERE gg.parent_id = $2 AND c.domain_id IN (SELECT domain_id FROM v))",
      actor_user, group_id);
  g.counts =
      member_counts{c[0].as<std::int64_t>(), c[1].as<std::int64_t>(), c[2].as<std::int64_t>()};
  return g;
}

std::optional<group> find_group(pqxx::transaction_base& t, id actor_user, group_key key,
                                std::string_view value) {
  const std::string v(value);
  if (key == group_key::system_id) {
    const auto group_id = parse_system_id(v, "G#");
    if (!group_id) return std::nullopt;
    try {
      return visible_group(t, actor_user, *group_id);
    } catch (const not_found&) {
      return std::nullopt;
    }
  }
  const char* column = key == group_key::alias       ? "g.alias"
                       : key == group_key::public_id ? "g.public_id"
                                                     : "g.name";
  const auto rows = t.exec_params(std::string("SELECT ") + group_columns + " FROM groups g " +
                                      "WHERE g.company_id = (SELECT company_id FROM users "
                                      "WHERE id = $1) AND " +
                                      column +
                                      " = $2 "
                                      "AND g.domain_id IN (SELECT visible_domains($1)) "
                                      "ORDER BY g.id LIMIT 2",
                                  actor_user, v);
  if (rows.empty()) return std::nullopt;
  if (rows.size() > 1) throw conflict("several groups are called '" + v + "'");
  return group_of(rows[0]);
}

std::vector<group> list_groups(pqxx::transaction_base& t, id actor_user, id after, int limit) {
  if (limit <= 0) return {};
  return groups_of(t.exec_params(std::string("SELECT ") + group_columns +
                                     " FROM groups g WHERE g.domain_id IN "
                                     "(SELECT visible_domains($1)) AND g.id > $2 "
                                     "ORDER BY g.id LIMIT $3",
                                 actor_user, after, limit));
}

std::vector<group> search_groups(pqxx::transaction_base& t, id actor_user, std::string_view prefix,
                                 int limit) {
  if (limit <= 0 || trim(prefix).empty()) return {};
  return groups_of(t.exec_params(
      std::string("SELECT ") + group_columns +
          " FROM groups g WHERE g.company_id = (SELECT company_id FROM users WHERE id = $1) "
          "AND (lower(g.name) LIKE lower($2) OR lower(g.alias) LIKE lower($2)) "
          "AND g.domain_id IN (SELECT visible_domains($1)) ORDER BY lower(g.name), g.id LIMIT $3",
      actor_user, like_prefix(prefix), limit));
}

std::pair<group, std::vector<std::string>> update_group(pqxx::transaction_base& t, id actor_user,
                                                        id group_id, const group_patch& p) {
  const actor a = load_actor(t, actor_user);
  const group before = editable_group(t, actor_user, group_id);
  const id domain = p.domain.value_or(before.domain_id);
  if (domain != before.domain_id) require_access(t, actor_user, domain, access_level::editor);
  const auto texts = check_texts(p.name, p.alias, p.public_id);
  const auto alias = texts.alias ? *texts.alias : before.alias;
  const auto public_id = texts.public_id ? *texts.public_id : before.public_id;
  const auto name = texts.name.value_or(before.name);
  const auto type = p.type.value_or(before.type);
  require_unique_keys(t, a.company, alias, public_id, group_id);
  guarded([&] {
    t.exec_params0(
        "UPDATE groups SET name = $2, alias = $3, public_id = $4, type = $5, domain_id = $6 "
        "WHERE id = $1",
        group_id, name, alias, public_id, to_string(type), domain);
  });
  nlohmann::json changed = nlohmann::json::object();
  if (name != before.name) changed["name"] = {{"from", before.name}, {"to", name}};
  if (alias != before.alias) changed["alias"] = true;
  if (public_id != before.public_id) changed["public_id"] = true;
  if (type != before.type) {
    changed["type"] = {{"from", to_string(before.type)}, {"to", to_string(type)}};
  }
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "group.update", "group:" + std::to_string(group_id),
                 changed);
  }
  std::vector<std::string> warnings;
  if (domain != before.domain_id) {
    record_audit(t, a.company, actor_user, "group.move", "group:" + std::to_string(group_id),
                 {{"from", before.domain_id}, {"into", domain}});
    const auto mixed = t.exec_params1(
        "SELECT EXISTS (SELECT 1 FROM group_contacts gc JOIN contacts c ON c.id = gc.contact_id "
        "               WHERE gc.group_id = $1 AND c.domain_id <> $2) "
        "    OR EXISTS (SELECT 1 FROM group_groups gg JOIN groups c ON c.id = gg.child_id "
        "               WHERE gg.parent_id = $1 AND c.domain_id <> $2)",
        group_id, domain);
    if (mixed[0].as<bool>()) {
      warnings.emplace_back("the group has members in other security domains");
    }
  }
  return {get_group(t, actor_user, group_id), warnings};
}

void delete_group(pqxx::transaction_base& t, id actor_user, id group_id) {
  const actor a = load_actor(t, actor_user);
  const group g = editable_group(t, actor_user, group_id);
  // Locked first: a keyword added meanwhile (its foreign key takes a share lock) would
  // otherwise be deleted with the group without a word.
  t.exec_params("SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", group_id);
  if (!t.exec_params("SELECT 1 FROM keywords WHERE group_id = $1", group_id).empty()) {
    throw conflict("a keyword adds members to this group: change or delete the keyword first");
  }
  // The grants to this group go with it, and with them its members' access: recorded.
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& r : t.exec_params(
           "SELECT domain_id, level FROM grants WHERE grantee_group_id = $1 ORDER BY domain_id",
           group_id)) {
    grants.push_back({{"domain", r[0].as<id>()}, {"level", r[1].as<std::string>()}});
  }
  t.exec_params0("DELETE FROM groups WHERE id = $1", group_id);
  record_audit(t, a.company, actor_user, "group.delete", "group:" + std::to_string(group_id),
               {{"name", g.name}, {"domain", g.domain_id}, {"grants_removed", grants}});
}

membership_change add_members(pqxx::transaction_base& t, id actor_user, id group_id,
                              const member_ids& m) {
  const actor a = load_actor(t, actor_user);
  const group g = editable_group(t, actor_user, group_id);
  const auto contacts = unique_ids(m.contacts);
  const auto users = unique_ids(m.users);
  const auto groups = unique_ids(m.groups);
  if (!contacts.empty() && !holds_contacts(g.type)) {
    throw validation_error("contacts", "the group holds users only");
  }
  if (!users.empty() && !holds_users(g.type)) {
    throw validation_error("users", "the group holds contacts only");
  }
  const auto visible_contacts = t.exec_params1(
      "SELECT count(*) FROM contacts WHERE id = ANY ($2::bigint[]) "
      "AND domain_id IN (SELECT visible_domains($1))",
      actor_user, id_array(contacts));
  if (visible_contacts[0].as<std::size_t>() != contacts.size()) throw not_found("no such contact");
  const auto known_users =
      t.exec_params1("SELECT count(*) FROM users WHERE id = ANY ($2::bigint[]) AND company_id = $1",
                     a.company, id_array(users));
  if (known_users[0].as<std::size_t>() != users.size()) throw not_found("no such user");
  if (!groups.empty()) {
    const auto children = t.exec_params(
        "SELECT g.system_id, group_type_accepts($3, g.type) FROM groups g "
        "WHERE g.id = ANY ($2::bigint[]) AND g.domain_id IN (SELECT visible_domains($1))",
        actor_user, id_array(groups), to_string(g.type));
    if (children.size() != groups.size()) throw not_found("no such group");
    for (const auto& r : children) {
      if (!r[1].as<bool>()) {
        throw validation_error("groups", "group " + r[0].as<std::string>() +
                                             " may hold members that " + g.system_id +
                                             "'s type does not allow");
      }
    }
    // The lock first, then the check on a fresh snapshot: of two concurrent changes that
    // would together close a cycle, the second one sees the first and is refused.
    t.exec_params("SELECT lock_group_nesting($1)", a.company);
    const auto cyclic = t.exec_params(
        "SELECT g.system_id FROM groups g WHERE g.id = ANY ($2::bigint[]) "
        "AND group_reaches(g.id, $1) ORDER BY g.id LIMIT 1",
        group_id, id_array(groups));
    if (!cyclic.empty()) {
      throw conflict("group " + cyclic[0][0].as<std::string>() + " contains " + g.system_id +
                     ": nesting it would make a cycle");
    }
  }

  membership_change out;
  nlohmann::json added = nlohmann::json::object();
  guarded([&] {
    const auto ids_of = [](const pqxx::result& rows) {
      std::vector<id> ids;
      for (const auto& r : rows) ids.push_back(r[0].as<id>());
      return ids;
    };
    const auto c =
        ids_of(t.exec_params("INSERT INTO group_contacts (group_id, contact_id) SELECT $1, x FROM "
                             "unnest($2::bigint[]) x ON CONFLICT DO NOTHING RETURNING contact_id",
                             group_id, id_array(contacts)));
    const auto u =
        ids_of(t.exec_params("INSERT INTO group_users (group_id, user_id) SELECT $1, x FROM "
                             "unnest($2::bigint[]) x ON CONFLICT DO NOTHING RETURNING user_id",
                             group_id, id_array(users)));
    const auto n =
        ids_of(t.exec_params("INSERT INTO group_groups (parent_id, child_id) SELECT $1, x FROM "
                             "unnest($2::bigint[]) x ON CONFLICT DO NOTHING RETURNING child_id",
                             group_id, id_array(groups)));
    out.changed = static_cast<std::int64_t>(c.size() + u.size() + n.size());
    added = {{"contacts", c}, {"users", u}, {"groups", n}};
    return 0;
  });
  if (out.changed > 0) {
    record_audit(t, a.company, actor_user, "group.members.add", "group:" + std::to_string(group_id),
                 added);
  }
  std::size_t extra = 0;
  add_domain_warnings(t.exec_params("SELECT system_id FROM contacts WHERE id = ANY ($1::bigint[]) "
                                    "AND domain_id <> $2 ORDER BY id",
                                    id_array(contacts), g.domain_id),
                      "contact", out.warnings, extra);
  add_domain_warnings(t.exec_params("SELECT system_id FROM groups WHERE id = ANY ($1::bigint[]) "
                                    "AND domain_id <> $2 ORDER BY id",
                                    id_array(groups), g.domain_id),
                      "group", out.warnings, extra);
  if (extra > 0) {
    out.warnings.push_back(std::to_string(extra) +
                           " more members are in other security domains than the group");
  }
  return out;
}

membership_change remove_members(pqxx::transaction_base& t, id actor_user, id group_id,
                                 const member_ids& m) {
  const actor a = load_actor(t, actor_user);
  editable_group(t, actor_user, group_id);
  const auto contacts = unique_ids(m.contacts);
  const auto users = unique_ids(m.users);
  const auto groups = unique_ids(m.groups);
  const auto visible = t.exec_params1(
      "SELECT (SELECT count(*) FROM contacts WHERE id = ANY ($2::bigint[]) "
      "        AND domain_id IN (SELECT visible_domains($1))), "
      "       (SELECT count(*) FROM groups WHERE id = ANY ($3::bigint[]) "
      "        AND domain_id IN (SELECT visible_domains($1)))",
      actor_user, id_array(contacts), id_array(groups));
  if (visible[0].as<std::size_t>() != contacts.size()) throw not_found("no such contact");
  if (visible[1].as<std::size_t>() != groups.size()) throw not_found("no such group");

  const auto ids_of = [](const pqxx::result& rows) {
    std::vector<id> ids;
    for (const auto& r : rows) ids.push_back(r[0].as<id>());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const auto c = ids_of(t.exec_params(
      "DELETE FROM group_contacts WHERE group_id = $1 AND contact_id = ANY ($2::bigint[]) "
      "RETURNING contact_id",
      group_id, id_array(contacts)));
  const auto u = ids_of(
      t.exec_params("DELETE FROM group_users WHERE group_id = $1 AND user_id = ANY ($2::bigint[]) "
                    "RETURNING user_id",
                    group_id, id_array(users)));
  const auto n = ids_of(t.exec_params(
      "DELETE FROM group_groups WHERE parent_id = $1 AND child_id = ANY ($2::bigint[]) "
      "RETURNING child_id",
      group_id, id_array(groups)));
  membership_change out;
  out.changed = static_cast<std::int64_t>(c.size() + u.size() + n.size());
  if (out.changed > 0) {
    record_audit(t, a.company, actor_user, "group.members.remove",
                 "group:" + std::to_string(group_id),
                 {{"contacts", c}, {"users", u}, {"groups", n}});
  }
  return out;
}

member_page list_members(pqxx::transaction_base& t, id actor_user, id group_id,
                         std::optional<member_cursor> from, int limit) {
  visible_group(t, actor_user, group_id);
  member_page page;
  if (limit <= 0) return page;
  const member_cursor start = from.value_or(member_cursor{member_type::group, 0});
  const auto after = [&](member_type kind) -> std::optional<id> {
    if (start.type > kind) return std::nullopt;  // that kind is done
    return start.type == kind ? start.after : 0;
  };
  // One more than asked, to know whether another page follows. `c.id > $5` repeats the
  // bound on the contacts side so that a deep page starts its scan there too.
  const auto rows = t.exec_params(
      "WITH v AS MATERIALIZED (SELECT visible_domains($1) AS domain_id) "
      "(SELECT 0 AS kind, g.id, g.name, NULL::text AS number, g.domain_id "
      " FROM group_groups gg JOIN groups g ON g.id = gg.child_id "
      " WHERE gg.parent_id = $2 AND gg.child_id > $3 AND g.id > $3 "
      "   AND g.domain_id IN (SELECT domain_id FROM v) ORDER BY gg.child_id LIMIT $6) "
      "UNION ALL "
      "(SELECT 1, u.id, coalesce(nullif(u.name, ''), u.username), u.number, NULL "
      " FROM group_users gu JOIN users u ON u.id = gu.user_id "
      " WHERE gu.group_id = $2 AND gu.user_id > $4 AND u.id > $4 ORDER BY gu.user_id LIMIT $6) "
      "UNION ALL "
      "(SELECT 2, c.id, c.name, c.number, c.domain_id "
      " FROM group_contacts gc JOIN contacts c ON c.id = gc.contact_id "
      " WHERE gc.group_id = $2 AND gc.contact_id > $5 AND c.id > $5 "
      "   AND c.domain_id IN (SELECT domain_id FROM v) ORDER BY gc.contact_id LIMIT $6) "
      "ORDER BY 1, 2 LIMIT $6",
      actor_user, group_id, after(member_type::group), after(member_type::user),
      after(member_type::contact), limit + 1);
  for (const auto& r : rows) {
    if (page.items.size() == static_cast<std::size_t>(limit)) {
      const auto& last = page.items.back();
      page.next = member_cursor{last.type, last.member_id};
      break;
    }
    member m;
    m.type = static_cast<member_type>(r[0].as<int>());
    m.member_id = r[1].as<id>();
    m.name = r[2].as<std::string>();
    m.number = optional_text(r[3]);
    if (!r[4].is_null()) m.domain_id = r[4].as<id>();
    page.items.push_back(std::move(m));
  }
  return page;
}

}  // namespace smsgw::store
