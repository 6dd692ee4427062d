// Moving contacts in: POST /api/v1/groups/{id}/import and the manual's POST /import (its
// parameters exactly: username, password, absid | alias | name | abid, merge, key, file).
// The transport has spooled the upload to a temporary file; the import reads the file part
// from it a piece at a time, in the request's one transaction (store/import.hpp). GET
// /api/v1/imports shows the imports running, with the rows read so far.
#include <array>
#include <chrono>
#include <ctime>

#include <spdlog/spdlog.h>

#include "admin/call.hpp"
#include "admin/import_jobs.hpp"
#include "admin/upload.hpp"
#include "store/groups.hpp"
#include "store/import.hpp"
#include "logging/component.hpp"

namespace smsgw::admin {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("import");
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
  const auto user = k.actor();
  const auto job = k.imports->start(k.caller.company, user, group, k.form->file_length);
  if (!job) {
    throw api_error(429, "too_many_imports",
                    "as many imports as this daemon runs at once are running; try again when "
                    "one is done (GET /api/v1/imports)");
  }
  store::csv_reader file(
      upload_source(*k.request.upload, *k.form->file_offset, k.form->file_length));
  const auto progress = [group, user, &job](std::int64_t rows) {
    job->rows_read(rows);
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

std::string utc_text(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  std::array<char, 32> out{};
  std::strftime(out.data(), out.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return out.data();
}

// The imports running now: the company's for an admin, the caller's own otherwise.
http_response running_imports(call& k) {
  const bool admin = k.caller.user_role != store::role::user;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v :
       k.imports->list(k.caller.company, admin ? std::nullopt : std::optional(k.actor()))) {
    items.push_back({{"id", v.job_id},
                     {"user_id", v.user_id},
                     {"group_id", v.group_id},
                     {"started_at", utc_text(v.started)},
                     {"bytes", v.bytes},
                     {"rows_read", v.rows_read}});
  }
  return page_answer(std::move(items), std::nullopt);
}

}  // namespace

void add_import_routes(route_table& t) {
  t.add("POST", "/api/v1/groups/{id}/import", import_group, route_table::kind::upload);
  t.add("POST", "/import", manual_import, route_table::kind::upload_form_login);
  t.add("GET", "/api/v1/imports", running_imports);
}

}  // namespace smsgw::admin
