#include "store/export.hpp"

#include <array>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// What a page needs of each member beyond list_members: keyed by (type, id).
struct member_details {
  std::string alias;  // a contact's or group's alias, a user's login name
  std::string public_id;
  std::string email;
  std::map<std::string, std::string> tags;
  std::vector<std::pair<std::string, std::string>> groups;  // (name, public id), by name
};

std::string joined(const std::vector<std::pair<std::string, std::string>>& groups, bool names) {
  std::string out;
  for (const auto& g : groups) {
    if (!out.empty()) out += '|';
    out += names ? g.first : g.second;
  }
  return out;
}

}  // namespace

std::vector<std::string> export_layout::header() const {
  std::vector<std::string> h{"Type", "Name", "Number", "Alias"};
  if (public_ids) h.emplace_back("Public Id");
  h.emplace_back("Group");
  if (public_ids) h.emplace_back("Group Public Ids");
  if (email) h.emplace_back("Email");
  h.insert(h.end(), properties.begin(), properties.end());
  return h;
}

export_layout plan_export(pqxx::transaction_base& t, id reader, id group_id, bool public_ids) {
  const group g = visible_group(t, reader, group_id);
  const auto r = t.exec_params1(
      "SELECT properties::text[], 'email' = ANY (visible_columns::text[]) FROM domains "
      "WHERE id = $1",
      g.domain_id);
  export_layout l;
  l.group_id = group_id;
  l.public_ids = public_ids;
  l.properties = text_array(r[0]);
  l.email = r[1].as<bool>();
  return l;
}

export_page export_members(pqxx::transaction_base& t, id reader, const export_layout& layout,
                           std::optional<member_cursor> from, int limit) {
  const auto members = list_members(t, reader, layout.group_id, from, limit);
  std::array<std::vector<id>, 3> ids;  // by member_type: group, user, contact
  for (const auto& m : members.items)
    ids.at(static_cast<std::size_t>(m.type)).push_back(m.member_id);
  std::map<std::pair<int, id>, member_details> details;
  for (const auto& r : t.exec_params(
           "SELECT 0, g.id, g.alias, g.public_id, NULL, NULL FROM groups g "
           "WHERE g.id = ANY ($1::bigint[]) "
           "UNION ALL SELECT 1, u.id, u.username, NULL, NULL, NULL FROM users u "
           "WHERE u.id = ANY ($2::bigint[]) "
           "UNION ALL SELECT 2, c.id, c.alias, c.public_id, c.email, c.tags::text FROM contacts c "
           "WHERE c.id = ANY ($3::bigint[])",
           id_array(ids[0]), id_array(ids[1]), id_array(ids[2]))) {
    auto& d = details[{r[0].as<int>(), r[1].as<id>()}];
    d.alias = r[2].is_null() ? "" : r[2].as<std::string>();
    d.public_id = r[3].is_null() ? "" : r[3].as<std::string>();
    d.email = r[4].is_null() ? "" : r[4].as<std::string>();
    if (!r[5].is_null()) {
      const auto tags = nlohmann::json::parse(r[5].as<std::string>());
      for (const auto& [k, v] : tags.items()) {
        d.tags[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
  }
  // The groups each member is in, as far as the reader can see them.
  for (const auto& r : t.exec_params(
           "WITH v AS MATERIALIZED (SELECT visible_domains($1) AS domain_id) "
           "SELECT 0, gg.child_id, g.name, coalesce(g.public_id, '') FROM group_groups gg "
           "JOIN groups g ON g.id = gg.parent_id WHERE gg.child_id = ANY ($2::bigint[]) "
           "AND g.domain_id IN (SELECT domain_id FROM v) "
           "UNION ALL SELECT 1, gu.user_id, g.name, coalesce(g.public_id, '') FROM group_users gu "
           "JOIN groups g ON g.id = gu.group_id WHERE gu.user_id = ANY ($3::bigint[]) "
           "AND g.domain_id IN (SELECT domain_id FROM v) "
           "UNION ALL SELECT 2, gc.contact_id, g.name, coalesce(g.public_id, '') "
           "FROM group_contacts gc JOIN groups g ON g.id = gc.group_id "
           "WHERE gc.contact_id = ANY ($4::bigint[]) AND g.domain_id IN (SELECT domain_id FROM v) "
           "ORDER BY 1, 2, 3, 4",
           reader, id_array(ids[0]), id_array(ids[1]), id_array(ids[2]))) {
    details[{r[0].as<int>(), r[1].as<id>()}].groups.emplace_back(r[2].as<std::string>(),
                                                                 r[3].as<std::string>());
  }
  export_page page;
  page.next = members.next;
  page.rows.reserve(members.items.size());
  for (const auto& m : members.items) {
    const auto& d = details[{static_cast<int>(m.type), m.member_id}];
    std::vector<std::string> row{to_string(m.type), m.name, m.number.value_or(""), d.alias};
    if (layout.public_ids) row.push_back(d.public_id);
    row.push_back(joined(d.groups, true));
    if (layout.public_ids) row.push_back(joined(d.groups, false));
    if (layout.email) row.push_back(d.email);
    for (const auto& p : layout.properties) {
      const auto tag = d.tags.find(p);
      row.push_back(tag == d.tags.end() ? "" : tag->second);
    }
    page.rows.push_back(std::move(row));
  }
  return page;
}

}  // namespace smsgw::store
