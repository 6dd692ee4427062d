// /api/v1/domains: security domains, their accesses and grants, and merging one into another.
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "store/access.hpp"
#include "store/domains.hpp"

namespace smsgw::admin {
namespace {

nlohmann::json to_json(const store::access& a) {
  return {{"level", store::to_string(a.level)}, {"default", a.is_default}, {"source", a.source}};
}

nlohmann::json to_json(const store::domain& d) {
  return {{"id", d.domain_id},
          {"name", d.name},
          {"kind", store::to_string(d.kind)},
          {"owner_id", d.owner},
          {"properties", d.properties},
          {"visible_columns", d.visible_columns},
          {"my_access", to_json(d.my_access)}};
}

http_response list(call& k) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : store::list_domains(k.tx, k.actor())) items.push_back(to_json(d));
  return page_answer(std::move(items), std::nullopt);
}

http_response create(call& k) {
  body_fields b(k.json());
  store::new_domain d;
  d.name = b.required("name", b.text("name"));
  d.properties = b.texts("properties").value_or(std::vector<std::string>{});
  d.visible_columns = b.texts("visible_columns").value_or(std::vector<std::string>{});
  b.finish();
  const auto id = store::create_domain(k.tx, k.actor(), d);
  return json_answer(201, to_json(store::get_domain(k.tx, k.actor(), id)));
}

http_response get(call& k) {
  return json_answer(200, to_json(store::get_domain(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  const auto name = b.text("name");
  auto properties = b.texts("properties");
  auto columns = b.texts("visible_columns");
  b.finish();
  if (name) store::rename_domain(k.tx, k.actor(), id, *name);
  if (properties || columns) {
    const auto current = store::get_domain(k.tx, k.actor(), id);
    store::set_domain_columns(k.tx, k.actor(), id, properties.value_or(current.properties),
                              columns.value_or(current.visible_columns));
  }
  return json_answer(200, to_json(store::get_domain(k.tx, k.actor(), id)));
}

http_response remove(call& k) {
  store::delete_domain(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

http_response merge(call& k) {
  const auto from = k.path_id("id");
  body_fields b(k.json());
  const auto into = b.required("into", b.id("into"));
  b.finish();
  const auto r = store::merge_domains(k.tx, k.actor(), from, into);
  return json_answer(200, {{"moved_contacts", r.moved_contacts},
                           {"folded_contacts", r.folded_contacts},
                           {"moved_groups", r.moved_groups},
                           {"into", into}});
}

http_response accesses(call& k) {
  const auto id = k.path_id("id");
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [user, a] : store::domain_accesses(k.tx, k.actor(), id)) {
    auto j = to_json(a);
    j["user_id"] = user;
    items.push_back(std::move(j));
  }
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& g : store::list_grants(k.tx, k.actor(), id)) {
    nlohmann::json j = {{"level", store::to_string(g.level)}, {"granted_by", g.granted_by}};
    j[g.who.what == store::grantee::kind::user ? "user_id" : "group_id"] = g.who.target;
    grants.push_back(std::move(j));
  }
  return json_answer(200, {{"items", items}, {"grants", grants}, {"next_cursor", nullptr}});
}

// `user:12` or `group:7`.
store::grantee grantee_of(const call& k) {
  const auto& text = k.path_text("grantee");
  const auto colon = text.find(':');
  const auto kind = text.substr(0, colon);
  if (colon == std::string::npos || (kind != "user" && kind != "group")) {
    throw api_error(404, "not_found", "grantees are user:ID or group:ID");
  }
  store::id target = 0;
  try {
    std::size_t used = 0;
    target = std::stoll(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || target <= 0) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw api_error(404, "not_found", "grantees are user:ID or group:ID");
  }
  return {kind == "user" ? store::grantee::kind::user : store::grantee::kind::group, target};
}

http_response put_grant(call& k) {
  const auto id = k.path_id("id");
  const auto who = grantee_of(k);
  body_fields b(k.json());
  const auto text = b.required("level", b.text("level"));
  b.finish();
  const auto level = store::parse_access_level(text);
  if (!level) throw store::validation_error("level", "must be viewer, editor or none");
  store::set_grant(k.tx, k.actor(), id, who, *level);
  return json_answer(200, {{"grantee", k.path_text("grantee")}, {"level", text}});
}

http_response delete_grant(call& k) {
  const auto id = k.path_id("id");
  if (!store::remove_grant(k.tx, k.actor(), id, grantee_of(k))) {
    throw api_error(404, "not_found", "no such grant");
  }
  return no_content();
}

}  // namespace

void add_domain_routes(route_table& t) {
  t.add("GET", "/api/v1/domains", list);
  t.add("POST", "/api/v1/domains", create);
  t.add("GET", "/api/v1/domains/{id}", get);
  t.add("PATCH", "/api/v1/domains/{id}", patch);
  t.add("DELETE", "/api/v1/domains/{id}", remove);
  t.add("POST", "/api/v1/domains/{id}/merge", merge);
  t.add("GET", "/api/v1/domains/{id}/accesses", accesses);
  t.add("PUT", "/api/v1/domains/{id}/accesses/{grantee}", put_grant);
  t.add("DELETE", "/api/v1/domains/{id}/accesses/{grantee}", delete_grant);
}

}  // namespace smsgw::admin
