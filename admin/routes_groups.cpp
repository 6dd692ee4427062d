// /api/v1/groups: groups and their members (contacts, users, nested groups).
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "store/access.hpp"
#include "store/directory.hpp"
#include "store/groups.hpp"

namespace smsgw::admin {
namespace {

std::optional<store::group_type> parse_type(const std::string& s) {
  for (const auto t : {store::group_type::contacts_only, store::group_type::users_only,
                       store::group_type::users_and_contacts}) {
    if (s == store::to_string(t)) return t;
  }
  return std::nullopt;
}

store::group_type group_type_of(const std::string& text) {
  const auto t = parse_type(text);
  if (!t) {
    throw store::validation_error("type",
                                  "must be contacts_only, users_only or users_and_contacts");
  }
  return *t;
}

nlohmann::json to_json(const store::group& g) {
  nlohmann::json j = {{"id", g.group_id},
                      {"system_id", g.system_id},
                      {"name", g.name},
                      {"alias", g.alias},
                      {"public_id", g.public_id},
                      {"domain_id", g.domain_id},
                      {"type", store::to_string(g.type)}};
  if (g.counts) {
    j["member_counts"] = {
        {"contacts", g.counts->contacts}, {"users", g.counts->users}, {"groups", g.counts->groups}};
  }
  return j;
}

http_response list(call& k) {
  const int limit = k.limit();
  nlohmann::json items = nlohmann::json::array();
  if (const auto q = k.query("q")) {
    for (const auto& g : store::search_groups(k.tx, k.actor(), *q, limit)) {
      items.push_back(to_json(g));
    }
    return page_answer(std::move(items), std::nullopt);
  }
  return page_of(
      store::list_groups(k.tx, k.actor(), k.id_cursor(), limit + 1), limit,
      [](const store::group& g) { return g.group_id; },
      [](const store::group& g) { return to_json(g); });
}

http_response create(call& k) {
  body_fields b(k.json());
  store::new_group g;
  const auto domain = b.id("domain_id");
  g.name = b.required("name", b.text("name"));
  const auto type = b.text("type");
  g.alias = b.text("alias").value_or("");
  g.public_id = b.text("public_id").value_or("");
  b.finish();
  if (type) g.type = group_type_of(*type);
  g.domain =
      domain ? *domain
             : store::builtin_domain(k.tx, store::load_actor(k.tx, k.actor()).company, "shared");
  const auto created = store::create_group(k.tx, k.actor(), g);
  return json_answer(201, to_json(store::get_group(k.tx, k.actor(), created.group_id)));
}

http_response get(call& k) {
  return json_answer(200, to_json(store::get_group(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::group_patch p;
  p.name = b.text("name");
  p.alias = b.text("alias");
  p.public_id = b.text("public_id");
  p.domain = b.id("domain_id");
  const auto type = b.text("type");
  b.finish();
  if (type) p.type = group_type_of(*type);
  const auto [g, warnings] = store::update_group(k.tx, k.actor(), id, p);
  auto body = to_json(store::get_group(k.tx, k.actor(), g.group_id));
  body["warnings"] = warnings;
  return json_answer(200, body);
}

http_response remove(call& k) {
  store::delete_group(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

std::optional<store::member_type> parse_member_type(const std::string& s) {
  for (const auto t :
       {store::member_type::group, store::member_type::user, store::member_type::contact}) {
    if (s == store::to_string(t)) return t;
  }
  return std::nullopt;
}

// A member cursor is `TYPE:ID` of the last member of the page before.
std::optional<store::member_cursor> member_cursor(const call& k) {
  const auto c = k.query("cursor");
  if (!c || c->empty()) return std::nullopt;
  const auto colon = c->find(':');
  const auto type = parse_member_type(c->substr(0, colon));
  if (colon == std::string::npos || !type) {
    throw api_error(400, "bad_request", "cursor is not one this API gave");
  }
  try {
    return store::member_cursor{*type, std::stoll(c->substr(colon + 1))};
  } catch (const std::exception&) {
    throw api_error(400, "bad_request", "cursor is not one this API gave");
  }
}

http_response members(call& k) {
  const auto page =
      store::list_members(k.tx, k.actor(), k.path_id("id"), member_cursor(k), k.limit());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& m : page.items) {
    items.push_back({{"type", store::to_string(m.type)},
                     {"id", m.member_id},
                     {"name", m.name},
                     {"number", m.number},
                     {"domain_id", m.domain_id}});
  }
  std::optional<std::string> next;
  if (page.next)
    next = std::string(store::to_string(page.next->type)) + ":" + std::to_string(page.next->after);
  return page_answer(std::move(items), next);
}

http_response add_members(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::member_ids m;
  m.contacts = b.ids("contacts").value_or(std::vector<store::id>{});
  m.users = b.ids("users").value_or(std::vector<store::id>{});
  m.groups = b.ids("groups").value_or(std::vector<store::id>{});
  b.finish();
  if (m.contacts.empty() && m.users.empty() && m.groups.empty()) {
    throw store::validation_error("contacts", "name at least one contact, user or group");
  }
  const auto r = store::add_members(k.tx, k.actor(), id, m);
  return json_answer(200, {{"added", r.changed}, {"warnings", r.warnings}});
}

http_response remove_member(call& k) {
  const auto id = k.path_id("id");
  const auto type = parse_member_type(k.path_text("type"));
  if (!type) throw api_error(404, "not_found", "members are contact, user or group");
  const auto member = k.path_id("member");
  store::member_ids m;
  switch (*type) {
    case store::member_type::contact: m.contacts = {member}; break;
    case store::member_type::user: m.users = {member}; break;
    case store::member_type::group: m.groups = {member}; break;
  }
  if (store::remove_members(k.tx, k.actor(), id, m).changed == 0) {
    throw api_error(404, "not_found", "not a member of this group");
  }
  return no_content();
}

}  // namespace

void add_group_routes(route_table& t) {
  t.add("GET", "/api/v1/groups", list);
  t.add("POST", "/api/v1/groups", create);
  t.add("GET", "/api/v1/groups/{id}", get);
  t.add("PATCH", "/api/v1/groups/{id}", patch);
  t.add("DELETE", "/api/v1/groups/{id}", remove);
  t.add("GET", "/api/v1/groups/{id}/members", members);
  t.add("POST", "/api/v1/groups/{id}/members", add_members);
  t.add("DELETE", "/api/v1/groups/{id}/members/{type}/{member}", remove_member);
}

}  // namespace smsgw::admin
