// Moving contacts in: POST /api/v1/groups/{id}/import and the manual's POST /import (its
// parameters exactly: username, password, absid | alias | name | abid, merge, key, file).
// The transport has spooled the upload to a temporary file; the import reads the file part
// from it a piece at a time, in the request's one transaction (store/import.hpp).
#include <spdlog/spdlog.h>

#include "admin/call.hpp"
#include "admin/upload.hpp"
#include "store/groups.hpp"
#include "store/import.hpp"

namespace smsgw::admin {
namespace {

spdlog::logger& log() {
  static const auto logger = [] {
    auto l = spdlog::default_logger()->clone("import");
    spdlog::register_logger(l);
    return l;
  }();
  return *logger;
}

// A parameter from the form, else from the query (a text/csv upload has no form fields).
std::optional<std::string> parameter(const call& k, const std::string& name) {
  if (auto v = k.form->field(name)) return v;
  return k.query(name);
}

store::import_options options_of(const call& k, store::id group) {
  store::import_options o;
  o.group_id = group;
  const auto merge = parameter(k, "merge").value_or("false");
  if (merge != "true" && merge != "false") {
    throw api_error(400, "bad_request", "merge must be true or false");
  }
  o.merge = merge == "true";
  if (const auto key = parameter(k, "key"); key && !key->empty()) {
    o.key = store::parse_import_key(*key);
    if (!o.key) {
      throw api_error(400, "bad_request",
                      "key must be number, name, email, alias, publicid or systemid");
    }
  }
  if (const auto country = parameter(k, "country"); country && !country->empty()) {
    const bool shape = country->size() == 2 &&
                       std::isupper(static_cast<unsigned char>((*country)[0])) &&
                       std::isupper(static_cast<unsigned char>((*country)[1]));
    if (!shape) throw api_error(400, "bad_request", "country must be an ISO 3166 code such as AU");
    o.country = *country;
  }
  return o;
}

http_response import_into(call& k, store::id group) {
  if (!k.form || !k.form->file_offset) {
    throw api_error(400, "bad_request", "no file: send it as the form field `file`");
  }
  const auto o = options_of(k, group);
  store::csv_reader file(
      upload_source(*k.request.upload, *k.form->file_offset, k.form->file_length));
  const auto user = k.actor();
  const auto progress = [group, user](std::int64_t rows) {
    if (rows % 100000 == 0 && rows > 0) {
      log().info("import progress group=G#{} user={} rows={}", group, user, rows);
    }
  };
  const auto r = store::import_contacts(k.tx, user, o, file, progress);
  log().info(
      "import done group=G#{} user={} merge={} rows={} created={} updated={} unchanged={} "
      "added_to_groups={} removed_from_group={}",
      group, user, o.merge, r.rows, r.created, r.updated, r.unchanged, r.added_to_groups,
      r.removed_from_group);
  return json_answer(200, {{"rows", r.rows},
                           {"created", r.created},
                           {"updated", r.updated},
                           {"unchanged", r.unchanged},
                           {"added_to_groups", r.added_to_groups},
                           {"removed_from_group", r.removed_from_group}});
}

http_response import_group(call& k) {
  return import_into(k, k.path_id("id"));
}

// The manual's form: the group named by exactly one of absid (recommended), alias, name, or
// abid (the legacy numeric id: here, the number of the system id).
http_response manual_import(call& k) {
  std::vector<std::pair<store::group_key, std::string>> named;
  if (auto v = k.form->field("absid")) named.emplace_back(store::group_key::system_id, *v);
  if (auto v = k.form->field("alias")) named.emplace_back(store::group_key::alias, *v);
  if (auto v = k.form->field("name")) named.emplace_back(store::group_key::name, *v);
  if (auto v = k.form->field("abid")) named.emplace_back(store::group_key::system_id, "G#" + *v);
  if (named.size() != 1) {
    throw api_error(400, "bad_request", "name the group with one of absid, alias, name or abid");
  }
  const auto found = store::find_group(k.tx, k.actor(), named[0].first, named[0].second);
  if (!found) throw store::not_found("no such group");
  return import_into(k, found->group_id);
}

}  // namespace

void add_import_routes(route_table& t) {
  t.add("POST", "/api/v1/groups/{id}/import", import_group, route_table::kind::upload);
  t.add("POST", "/import", manual_import, route_table::kind::upload_form_login);
}

}  // namespace smsgw::admin
