#include "store/contacts.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// The columns every contact read selects, from `contacts c`.
constexpr const char* contact_columns =
    "c.id, c.system_id, c.name, c.number, c.alias, c.email, c.public_id, c.domain_id, "
    "ARRAY(SELECT e.key FROM jsonb_each_text(c.tags) e ORDER BY e.key)::text[], "
    "ARRAY(SELECT coalesce(e.value, '') FROM jsonb_each_text(c.tags) e ORDER BY e.key)::text[]";

contact contact_of(const pqxx::row& r) {
  contact c;
  c.contact_id = r[0].as<id>();
  c.system_id = r[1].as<std::string>();
  c.name = r[2].as<std::string>();
  c.number = r[3].as<std::string>();
  c.alias = optional_text(r[4]);
  c.email = optional_text(r[5]);
  c.public_id = optional_text(r[6]);
  c.domain_id = r[7].as<id>();
  const auto keys = text_array(r[8]);
  const auto values = text_array(r[9]);
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i) c.tags[keys[i]] = values[i];
  return c;
}

// Contacts from `rows` (contact_columns first), each with the groups the reader can see.
std::vector<contact> with_groups(pqxx::transaction_base& t, id reader, const pqxx::result& rows) {
  std::vector<contact> out;
  std::vector<id> ids;
  for (const auto& r : rows) {
    out.push_back(contact_of(r));
    ids.push_back(out.back().contact_id);
  }
  if (ids.empty()) return out;
  std::unordered_map<id, std::vector<id>> groups;
  for (const auto& r :
       t.exec_params("SELECT gc.contact_id, gc.group_id FROM group_contacts gc "
                     "JOIN groups g ON g.id = gc.group_id "
                     "WHERE gc.contact_id = ANY ($2::bigint[]) "
                     "  AND g.domain_id IN (SELECT visible_domains($1)) ORDER BY 1, 2",
                     reader, id_array(ids))) {
    groups[r[0].as<id>()].push_back(r[1].as<id>());
  }
  for (auto& c : out) c.groups = std::move(groups[c.contact_id]);
  return out;
}

// The row of a contact the reader can view (FOR UPDATE with `lock`), or not_found.
pqxx::row visible_contact_row(pqxx::transaction_base& t, id reader, id contact_id, bool lock) {
  const auto r = t.exec_params(std::string("SELECT ") + contact_columns +
                                   " FROM contacts c WHERE c.id = $2 "
                                   "AND c.domain_id IN (SELECT visible_domains($1))" +
                                   (lock ? " FOR UPDATE" : ""),
                               reader, contact_id);
  if (r.empty()) throw not_found("no such contact");
  return r[0];
}

std::vector<std::string> domain_properties(pqxx::transaction_base& t, id domain) {
  return text_array(
      t.exec_params1("SELECT properties::text[] FROM domains WHERE id = $1", domain)[0]);
}

// Checked tags: keys among the domain's enabled properties, values normalised, empty values
// dropped.
std::map<std::string, std::string> checked_tags(const std::map<std::string, std::string>& tags,
                                                const std::vector<std::string>& properties,
                                                std::vector<field_issue>& issues) {
  std::map<std::string, std::string> out;
  for (const auto& [raw_key, raw_value] : tags) {
    const auto key = normalise_property_name(raw_key);
    const std::string field = "tags." + raw_key;
    if (!key || *key == "email" ||
        std::find(properties.begin(), properties.end(), *key) == properties.end()) {
      issues.push_back({field, "is not a property enabled on the contact's domain"});
      continue;
    }
    const auto value = normalise_tag_value(raw_value);
    if (!value) {
      issues.push_back({field, value.error()});
    } else if (*value) {
      out[*key] = **value;
    }
  }
  return out;
}

template <class T>
std::optional<T> checked(const tl::expected<T, std::string>& v, const char* field,
                         std::vector<field_issue>& issues) {
  if (!v) {
    issues.push_back({field, v.error()});
    return std::nullopt;
  }
  return *v;
}

std::string tags_json(const std::map<std::string, std::string>& tags) {
  return nlohmann::json(tags).dump();
}

// Fails with conflict when `number` or `public_id` is taken (the constraints stay the
// guard against a concurrent insert; this gives the common case a clear message).
void require_unique(pqxx::transaction_base& t, id company, id domain, const std::string& number,
                    const std::optional<std::string>& public_id, id except) {
  if (!t.exec_params("SELECT 1 FROM contacts WHERE domain_id = $1 AND number = $2 AND id <> $3",
                     domain, number, except)
           .empty()) {
    throw conflict("a contact with number " + number + " exists in the domain");
  }
  if (public_id && !t.exec_params("SELECT 1 FROM contacts WHERE company_id = $1 AND "
                                  "public_id = $2 AND id <> $3",
                                  company, *public_id, except)
                        .empty()) {
    throw conflict("the public id " + *public_id + " is taken");
  }
}

// Warnings for groups outside the contact's domain.
std::vector<std::string> mixed_domain_warnings(pqxx::transaction_base& t, id contact_domain,
                                               const std::vector<id>& groups) {
  std::vector<std::string> out;
  for (const auto& r :
       t.exec_params("SELECT system_id FROM groups WHERE id = ANY ($1::bigint[]) AND "
                     "domain_id <> $2 ORDER BY id",
                     id_array(groups), contact_domain)) {
    out.push_back("group " + r[0].as<std::string>() +
                  " is in another security domain than the contact");
  }
  return out;
}

// The groups a new contact joins: each visible, editable, and able to hold contacts.
void check_target_groups(pqxx::transaction_base& t, const actor& a, const std::vector<id>& groups) {
  const auto rows = t.exec_params(
      "SELECT g.id, g.system_id, g.type, x.level FROM groups g "
      "JOIN effective_access($1) x ON x.domain_id = g.domain_id "
      "WHERE g.id = ANY ($2::bigint[]) AND x.level <> 'none'",
      a.user_id, id_array(groups));
  if (rows.size() != groups.size()) throw not_found("no such group");
  for (const auto& r : rows) {
    if (r[3].as<std::string>() != "editor") {
      throw access_denied("needs editor access to the domain of group " + r[1].as<std::string>());
    }
    if (r[2].as<std::string>() == "users_only") {
      throw validation_error("groups", "group " + r[1].as<std::string>() + " holds users only");
    }
  }
}

}  // namespace

contact_result create_contact(pqxx::transaction_base& t, id actor_user, const new_contact& c,
                              std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  require_access(t, actor_user, c.domain, access_level::editor);
  std::vector<field_issue> issues;
  const auto name = checked(normalise_contact_name(c.name), "name", issues);
  const auto number = checked(to_e164(c.number, default_region), "number", issues);
  const auto alias = checked(normalise_alias(c.alias), "alias", issues);
  const auto email = checked(normalise_email(c.email), "email", issues);
  const auto public_id = checked(normalise_public_id(c.public_id), "public_id", issues);
  const auto tags = checked_tags(c.tags, domain_properties(t, c.domain), issues);
  const std::set<id> unique_groups(c.groups.begin(), c.groups.end());
  if (unique_groups.empty())
    issues.push_back({"groups", "a contact must be in at least one group"});
  if (!issues.empty()) throw validation_error(std::move(issues));
  const std::vector<id> groups(unique_groups.begin(), unique_groups.end());
  check_target_groups(t, a, groups);
  require_unique(t, a.company, c.domain, *number, *public_id, 0);

  const id contact_id = guarded([&] {
    const id new_id =
        t.exec_params1(
             "INSERT INTO contacts (company_id, domain_id, name, number, alias, email, "
             "public_id, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING id",
             a.company, c.domain, *name, *number, *alias, *email, *public_id, tags_json(tags))[0]
            .as<id>();
    t.exec_params0(
        "INSERT INTO group_contacts (group_id, contact_id) "
        "SELECT g, $2 FROM unnest($1::bigint[]) g",
        id_array(groups), new_id);
    return new_id;
  });
  record_audit(t, a.company, actor_user, "contact.create", "contact:" + std::to_string(contact_id),
               {{"domain", c.domain}, {"groups", groups}});
  return {get_contact(t, actor_user, contact_id), mixed_domain_warnings(t, c.domain, groups)};
}

contact get_contact(pqxx::transaction_base& t, id actor_user, id contact_id) {
  const auto r = t.exec_params(std::string("SELECT ") + contact_columns +
                                   " FROM contacts c WHERE c.id = $2 "
                                   "AND c.domain_id IN (SELECT visible_domains($1))",
                               actor_user, contact_id);
  if (r.empty()) throw not_found("no such contact");
  return with_groups(t, actor_user, r).front();
}

contact get_contact_by_system_id(pqxx::transaction_base& t, id actor_user,
                                 std::string_view system_id) {
  const auto contact_id = parse_system_id(system_id, "C#");
  if (!contact_id) throw not_found("no such contact");
  return get_contact(t, actor_user, *contact_id);
}

contact_result update_contact(pqxx::transaction_base& t, id actor_user, id contact_id,
                              const contact_patch& p, std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  const contact before = contact_of(visible_contact_row(t, actor_user, contact_id, true));
  require_access(t, actor_user, before.domain_id, access_level::editor);
  const id domain = p.domain.value_or(before.domain_id);
  if (domain != before.domain_id) require_access(t, actor_user, domain, access_level::editor);

  std::vector<field_issue> issues;
  contact after = before;
  if (p.name) {
    if (auto v = checked(normalise_contact_name(*p.name), "name", issues)) after.name = *v;
  }
  if (p.number) {
    if (auto v = checked(to_e164(*p.number, default_region), "number", issues)) after.number = *v;
  }
  if (p.alias) {
    if (auto v = checked(normalise_alias(*p.alias), "alias", issues)) after.alias = *v;
  }
  if (p.email) {
    if (auto v = checked(normalise_email(*p.email), "email", issues)) after.email = *v;
  }
  if (p.public_id) {
    if (auto v = checked(normalise_public_id(*p.public_id), "public_id", issues)) {
      after.public_id = *v;
    }
  }
  // A move keeps the tags only when the new domain enables their properties too.
  if (p.tags || domain != before.domain_id) {
    after.tags = checked_tags(p.tags ? *p.tags : before.tags, domain_properties(t, domain), issues);
  }
  if (!issues.empty()) throw validation_error(std::move(issues));
  require_unique(t, a.company, domain, after.number, after.public_id, contact_id);
  guarded([&] {
    t.exec_params0(
        "UPDATE contacts SET domain_id = $2, name = $3, number = $4, alias = $5, email = $6, "
        "public_id = $7, tags = $8::jsonb, updated_at = now() WHERE id = $1",
        contact_id, domain, after.name, after.number, after.alias, after.email, after.public_id,
        tags_json(after.tags));
  });
  contact_result out{get_contact(t, actor_user, contact_id), {}};
  // The fields that changed (the number with both values: it decides who receives what).
  nlohmann::json changed = nlohmann::json::object();
  if (after.name != before.name) changed["name"] = true;
  if (after.number != before.number)
    changed["number"] = {{"from", before.number}, {"to", after.number}};
  if (after.alias != before.alias) changed["alias"] = true;
  if (after.email != before.email) changed["email"] = true;
  if (after.public_id != before.public_id) changed["public_id"] = true;
  if (after.tags != before.tags) changed["tags"] = true;
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "contact.update",
                 "contact:" + std::to_string(contact_id), changed);
  }
  if (domain != before.domain_id) {
    record_audit(t, a.company, actor_user, "contact.move", "contact:" + std::to_string(contact_id),
                 {{"from", before.domain_id}, {"into", domain}});
    std::vector<id> groups;
    for (const auto& r :
         t.exec_params("SELECT group_id FROM group_contacts WHERE contact_id = $1", contact_id)) {
      groups.push_back(r[0].as<id>());
    }
    out.warnings = mixed_domain_warnings(t, domain, groups);
  }
  return out;
}

void delete_contact(pqxx::transaction_base& t, id actor_user, id contact_id) {
  const actor a = load_actor(t, actor_user);
  const contact c = contact_of(visible_contact_row(t, actor_user, contact_id, true));
  require_access(t, actor_user, c.domain_id, access_level::editor);
  std::vector<id> groups;
  for (const auto& r : t.exec_params(
           "DELETE FROM group_contacts WHERE contact_id = $1 RETURNING group_id", contact_id)) {
    groups.push_back(r[0].as<id>());
  }
  std::sort(groups.begin(), groups.end());
  t.exec_params0("DELETE FROM contacts WHERE id = $1", contact_id);
  record_audit(t, a.company, actor_user, "contact.delete", "contact:" + std::to_string(contact_id),
               {{"domain", c.domain_id}, {"number", c.number}, {"groups", groups}});
}

namespace {

// A contact_filter on `contacts c`, with the domain as $3 and the tag's name and value as $4
// and $5 (filter_params).
constexpr const char* filter_sql =
    "($3::bigint IS NULL OR c.domain_id = $3) "
    "AND ($4::text IS NULL OR lower(c.tags ->> $4) = lower($5))";

struct filter_params {
  explicit filter_params(const contact_filter& f)
      : domain(f.domain),
        tag_name(f.tag ? std::optional(normalise_property_name(f.tag->first).value_or(f.tag->first))
                       : std::nullopt),
        tag_value(f.tag ? std::optional(f.tag->second) : std::nullopt) {}
  [[nodiscard]] bool any() const { return domain || tag_name; }
  std::optional<id> domain;
  std::optional<std::string> tag_name;
  std::optional<std::string> tag_value;
};

}  // namespace

std::vector<contact> list_contacts(pqxx::transaction_base& t, id actor_user,
                                   const contact_filter& f, id after, int limit) {
  if (limit <= 0) return {};
  const filter_params p(f);
  const auto rows = t.exec_params(
      std::string("SELECT ") + contact_columns +
          " FROM contacts c WHERE c.domain_id IN (SELECT visible_domains($1)) AND c.id > $2 "
          "AND " +
          filter_sql + " ORDER BY c.id LIMIT $6",
      actor_user, after, p.domain, p.tag_name, p.tag_value, limit);
  return with_groups(t, actor_user, rows);
}

std::vector<contact> search_contacts(pqxx::transaction_base& t, id actor_user,
                                     std::string_view query, int limit,
                                     std::string_view default_region, const contact_filter& f) {
  if (limit <= 0) return {};
  // Numbers are stored in E.164: "0412 000" looks for 61412000 (region AU).
  const std::string key =
      looks_like_number(query) ? number_search_digits(query, default_region) : std::string(query);
  const filter_params p(f);
  // A filter applies to the best matches: asked for more of them, so that `limit` pass.
  const int candidates = p.any() ? std::max(limit, filtered_search_candidates) : limit;
  const auto rows =
      t.exec_params(std::string("SELECT ") + contact_columns +
                        " FROM search_contacts($1, $2, $6) s "
                        "JOIN contacts c ON c.id = s.contact_id WHERE " +
                        filter_sql + " ORDER BY s.ord LIMIT $7",
                    actor_user, key, p.domain, p.tag_name, p.tag_value, candidates, limit);
  return with_groups(t, actor_user, rows);
}

}  // namespace smsgw::store
