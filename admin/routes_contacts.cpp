// /api/v1/contacts: list, the recipient autocompleter (`q`), create, read, change, delete.
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "store/access.hpp"
#include "store/contacts.hpp"
#include "store/directory.hpp"

namespace smsgw::admin {
namespace {

nlohmann::json to_json(const store::contact& c) {
  return {{"id", c.contact_id},       {"system_id", c.system_id},
          {"name", c.name},           {"number", c.number},
          {"alias", c.alias},         {"email", c.email},
          {"public_id", c.public_id}, {"domain_id", c.domain_id},
          {"groups", c.groups},       {"tags", c.tags}};
}

http_response changed(int status, const store::contact_result& r) {
  auto body = to_json(r.value);
  body["warnings"] = r.warnings;
  return json_answer(status, body);
}

// `tag.city=Sydney` → {"city", "Sydney"}; one tag filter per list.
std::optional<std::pair<std::string, std::string>> tag_filter(const call& k) {
  std::optional<std::pair<std::string, std::string>> tag;
  for (const auto& [key, value] : k.where.query) {
    if (key.rfind("tag.", 0) != 0) continue;
    if (tag || key.size() == 4) {
      throw api_error(400, "bad_request", "give at most one tag.NAME=VALUE filter");
    }
    tag.emplace(key.substr(4), value);
  }
  return tag;
}

http_response list(call& k) {
  store::contact_filter f;
  if (const auto d = k.query("domain")) {
    try {
      f.domain = std::stoll(*d);
    } catch (const std::exception&) {
      throw api_error(400, "bad_request", "domain must be a domain id");
    }
  }
  f.tag = tag_filter(k);
  const int limit = k.limit();
  if (const auto q = k.query("q")) {
    // The autocompleter: the best `limit` matches, no further pages.
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : store::search_contacts(k.tx, k.actor(), *q, limit, k.region, f)) {
      items.push_back(to_json(c));
    }
    return page_answer(std::move(items), std::nullopt);
  }
  return page_of(
      store::list_contacts(k.tx, k.actor(), f, k.id_cursor(), limit + 1), limit,
      [](const store::contact& c) { return c.contact_id; },
      [](const store::contact& c) { return to_json(c); });
}

http_response create(call& k) {
  body_fields b(k.json());
  store::new_contact c;
  const auto domain = b.id("domain_id");
  c.name = b.text("name").value_or("");
  c.number = b.required("number", b.text("number"));
  c.alias = b.text("alias").value_or("");
  c.email = b.text("email").value_or("");
  c.public_id = b.text("public_id").value_or("");
  c.tags = b.text_map("tags").value_or(std::map<std::string, std::string>{});
  c.groups = b.required("groups", b.ids("groups"));
  b.finish();
  // Without a domain the contact goes where every user of the company may see it.
  c.domain =
      domain ? *domain
             : store::builtin_domain(k.tx, store::load_actor(k.tx, k.actor()).company, "shared");
  return changed(201, store::create_contact(k.tx, k.actor(), c, k.region));
}

http_response get(call& k) {
  return json_answer(200, to_json(store::get_contact(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::contact_patch p;
  p.name = b.text("name");
  p.number = b.text("number");
  p.alias = b.text("alias");
  p.email = b.text("email");
  p.public_id = b.text("public_id");
  p.domain = b.id("domain_id");
  p.tags = b.text_map("tags");
  const auto groups = b.ids("groups");
  b.finish();
  if (groups) {
    throw store::validation_error("groups",
                                  "change memberships through /api/v1/groups/{id}/members");
  }
  return changed(200, store::update_contact(k.tx, k.actor(), id, p, k.region));
}

http_response remove(call& k) {
  store::delete_contact(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

}  // namespace

void add_contact_routes(route_table& t) {
  t.add("GET", "/api/v1/contacts", list);
  t.add("POST", "/api/v1/contacts", create);
  t.add("GET", "/api/v1/contacts/{id}", get);
  t.add("PATCH", "/api/v1/contacts/{id}", patch);
  t.add("DELETE", "/api/v1/contacts/{id}", remove);
}

}  // namespace smsgw::admin
