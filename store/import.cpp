#include "store/import.hpp"

#include <algorithm>
#include <array>
#include <future>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/fields.hpp"
#include "store/groups.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// The standard columns a file may have; properties are the domain's own.
enum class column { type, name, number, alias, email, public_id, system_id, group, group_ids };

// A header name as compared: lower case, without spaces, underscores and hyphens, so that
// `Public Id`, `public_id` and `publicid` are one column.
std::string header_key(std::string_view text) {
  std::string out;
  for (const char c : trim(text)) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::optional<column> standard_column(const std::string& key) {
  static const std::map<std::string, column, std::less<>> names = {
      {"type", column::type},          {"name", column::name},
      {"number", column::number},      {"alias", column::alias},
      {"email", column::email},        {"publicid", column::public_id},
      {"systemid", column::system_id}, {"group", column::group},
      {"groups", column::group},       {"grouppublicids", column::group_ids}};
  const auto it = names.find(key);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

column key_column(import_key k) {
  switch (k) {
    case import_key::number: return column::number;
    case import_key::name: return column::name;
    case import_key::email: return column::email;
    case import_key::alias: return column::alias;
    case import_key::public_id: return column::public_id;
    case import_key::system_id: return column::system_id;
  }
  return column::number;
}

// The file's header, resolved: where each standard column is, and the properties.
struct layout {
  std::vector<std::string> shown;  // the header as the file writes it, for error columns
  std::map<column, std::size_t> at;
  std::vector<std::pair<std::size_t, std::string>> properties;  // file column, property
  [[nodiscard]] std::optional<std::size_t> find(column c) const {
    const auto it = at.find(c);
    if (it == at.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] bool has(column c) const { return at.count(c) > 0; }
  [[nodiscard]] std::string name(column c) const { return shown[at.at(c)]; }
};

// Collects the bad rows: every one counted, the first `cap` kept.
class issue_list {
 public:
  explicit issue_list(std::size_t cap) : cap_(cap) {}
  void add(std::uint64_t line, std::string column, std::string reason) {
    ++count_;
    if (issues_.size() < cap_) issues_.push_back({line, std::move(column), std::move(reason)});
  }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  /// Adds `later`'s issues after these, as if they had been added here.
  void append(issue_list&& later) {
    const std::int64_t unlisted = later.count_ - static_cast<std::int64_t>(later.issues_.size());
    for (auto& i : later.issues_) add(i.line, std::move(i.column), std::move(i.reason));
    count_ += unlisted;
  }
  [[noreturn]] void refuse() {
    std::stable_sort(issues_.begin(), issues_.end(),
                     [](const import_issue& a, const import_issue& b) { return a.line < b.line; });
    throw import_refused(std::move(issues_), count_);
  }

 private:
  std::size_t cap_;
  std::vector<import_issue> issues_;
  std::int64_t count_ = 0;
};

layout read_header(const std::vector<std::string>& fields,
                   const std::vector<std::string>& domain_properties, issue_list& issues) {
  layout l;
  l.shown = fields;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!valid_utf8(fields[i])) {
      l.shown[i] = "column " + std::to_string(i + 1);  // errors quote names: keep them text
      issues.add(1, l.shown[i], "its name is not valid UTF-8");
      continue;
    }
    const std::string key = header_key(fields[i]);
    if (key.empty()) {
      issues.add(1, fields[i], "a column has no name");
      continue;
    }
    if (!seen.insert(key).second) {
      issues.add(1, fields[i], "the column appears twice");
      continue;
    }
    if (const auto c = standard_column(key)) {
      l.at[*c] = i;
      continue;
    }
    const auto p = std::find_if(domain_properties.begin(), domain_properties.end(),
                                [&](const std::string& d) { return header_key(d) == key; });
    if (p == domain_properties.end() || *p == "email") {
      std::string known = "number, name, alias, email, public id, system id, group, type";
      for (const auto& d : domain_properties) {
        if (d != "email") known += ", " + d;
      }
      issues.add(1, fields[i], "is not a column of a contact (the columns are " + known + ")");
      continue;
    }
    l.properties.emplace_back(i, *p);
  }
  return l;
}

// One data row as the staging table takes it (COPY, columns in `staged_columns` order).
using staged_row =
    std::tuple<std::int64_t, std::string, std::optional<std::string>, std::optional<std::string>,
               std::optional<std::string>, std::optional<std::string>, std::optional<std::string>,
               std::optional<std::string>, std::optional<std::string>, std::optional<std::string>>;
const std::vector<std::string> staged_columns = {"line",  "kind",       "name",      "number",
                                                 "alias", "email",      "public_id", "system_id",
                                                 "tags",  "group_names"};

// The manual's rules for one row (store/fields.hpp, store/phone.hpp); nullopt when it is bad.
class row_checker {
 public:
  row_checker(const layout& l, const import_options& o, issue_list& issues)
      : l_(l), o_(o), issues_(issues), region_(o.country.empty() ? "ZZ" : o.country) {}

  std::optional<staged_row> check(std::uint64_t line, const std::vector<std::string>& f) {
    if (f.size() != l_.shown.size()) {
      issues_.add(line, "",
                  "has " + std::to_string(f.size()) + " fields; the header has " +
                      std::to_string(l_.shown.size()));
      return std::nullopt;
    }
    line_ = line;
    fields_ = &f;
    bad_ = false;
    std::string kind = "contact";
    if (const auto t = text(column::type)) {
      kind = header_key(*t);
      if (kind.empty()) kind = "contact";
      if (kind != "contact" && kind != "user" && kind != "group") {
        issue(column::type, "must be contact, user or group");
        return std::nullopt;
      }
    }
    staged_row r;
    std::get<0>(r) = static_cast<std::int64_t>(line);
    std::get<1>(r) = kind;
    if (kind == "contact") {
      contact_fields(r);
    } else if (kind == "user") {
      // A user is named by its login, which the export writes in Alias.
      const auto login = text(column::alias);
      if (!login || trim(*login).empty()) {
        issue(l_.has(column::alias) ? column::alias : column::type,
              "a user row needs the user's login in Alias");
      } else if (const auto l = checked(column::alias, normalise_title(*login, 100))) {
        std::get<4>(r) = *l;
      }
    } else {
      group_fields(r);
    }
    std::get<9>(r) = group_names();
    if (bad_) return std::nullopt;
    return r;
  }

 private:
  std::optional<std::string> text(column c) const {
    const auto i = l_.find(c);
    if (!i) return std::nullopt;
    return (*fields_)[*i];
  }

  void issue(column c, std::string reason) {
    issues_.add(line_, l_.has(c) ? l_.name(c) : std::string(), std::move(reason));
    bad_ = true;
  }

  template <class T>
  std::optional<T> checked(column c, const tl::expected<T, std::string>& v) {
    if (!v) {
      issue(c, v.error());
      return std::nullopt;
    }
    return *v;
  }

  void contact_fields(staged_row& r) {
    if (const auto v = text(column::name)) {
      if (const auto name = checked(column::name, normalise_contact_name(*v)))
        std::get<2>(r) = *name;
    }
    if (const auto v = text(column::number); v && !trim(*v).empty()) {
      auto n = to_e164(*v, region_);
      if (!n && n.error() == "is not a valid phone number" && o_.country.empty() &&
          trim(*v).front() != '+') {
        n = tl::unexpected(n.error() +
                           " in international format (write the country code, or import with "
                           "a country for national numbers)");
      }
      if (const auto number = checked(column::number, n)) std::get<3>(r) = *number;
    }
    if (const auto v = text(column::alias)) {
      if (const auto a = checked(column::alias, normalise_alias(*v))) std::get<4>(r) = *a;
    }
    if (const auto v = text(column::email)) {
      if (const auto e = checked(column::email, normalise_email(*v))) std::get<5>(r) = *e;
    }
    if (const auto v = text(column::public_id)) {
      if (const auto p = checked(column::public_id, normalise_public_id(*v))) std::get<6>(r) = *p;
    }
    if (const auto v = text(column::system_id); v && !trim(*v).empty()) {
      if (const auto n = parse_system_id(trim(*v), "C#")) {
        std::get<7>(r) = std::to_string(*n);
      } else {
        issue(column::system_id, "is not a contact's system id (C# and a number)");
      }
    }
    if (!l_.properties.empty()) {
      nlohmann::json tags = nlohmann::json::object();
      for (const auto& [i, property] : l_.properties) {
        const auto v = normalise_tag_value((*fields_)[i]);
        if (!v) {
          issues_.add(line_, l_.shown[i], v.error());
          bad_ = true;
        } else if (*v) {
          tags[property] = **v;
        }
      }
      std::get<8>(r) = tags.dump();
    }
  }

  void group_fields(staged_row& r) {
    if (const auto v = text(column::name); v && !trim(*v).empty()) {
      if (const auto n = checked(column::name, normalise_title(*v, 200))) std::get<2>(r) = *n;
    }
    if (const auto v = text(column::alias)) {
      if (const auto a = checked(column::alias, normalise_alias(*v))) std::get<4>(r) = *a;
    }
    if (const auto v = text(column::public_id)) {
      if (const auto p = checked(column::public_id, normalise_public_id(*v))) std::get<6>(r) = *p;
    }
    if (!std::get<2>(r) && !std::get<4>(r) && !std::get<6>(r)) {
      issue(column::type, "a group row needs the group's public id, alias or name");
    }
  }

  // The `Group` column's names, pipe-delimited; resolved to groups in SQL.
  std::optional<std::string> group_names() {
    const auto v = text(column::group);
    if (!v) return std::nullopt;
    std::vector<std::string> names;
    std::string_view rest(*v);
    for (;;) {
      const auto bar = rest.find('|');
      const auto name = trim(rest.substr(0, bar));
      if (!name.empty()) {
        if (const auto n = checked(column::group, normalise_title(name, 200))) names.push_back(*n);
      }
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
    return array_literal(names);
  }

  const layout& l_;
  const import_options& o_;
  issue_list& issues_;
  std::string region_;
  std::uint64_t line_ = 0;
  const std::vector<std::string>* fields_ = nullptr;
  bool bad_ = false;
};

// How a key finds a row's contact (`s` the staging row, `c` a contact), and the row's own
// key value (NULL: none).
std::string key_match(import_key k) {
  switch (k) {
    case import_key::number: return "c.number = s.number";
    case import_key::name: return "lower(c.name) = lower(s.name)";
    case import_key::email: return "lower(c.email) = lower(s.email)";
    case import_key::alias: return "lower(c.alias) = lower(s.alias)";
    case import_key::public_id: return "c.public_id = s.public_id";
    case import_key::system_id: return "c.id = s.system_id";
  }
  return "false";
}
const char* key_value(import_key k) {
  switch (k) {
    case import_key::number: return "s.number";
    case import_key::name: return "nullif(lower(s.name), '')";
    case import_key::email: return "lower(s.email)";
    case import_key::alias: return "lower(s.alias)";
    case import_key::public_id: return "s.public_id";
    case import_key::system_id: return "s.system_id::text";
  }
  return "NULL";
}

void add_issues(issue_list& issues, const pqxx::result& rows) {
  for (const auto& r : rows) {
    issues.add(r[0].as<std::uint64_t>(), r[1].as<std::string>(), r[2].as<std::string>());
  }
}

std::int64_t count_of(pqxx::transaction_base& t, const std::string& sql) {
  return t.exec1(sql)[0].as<std::int64_t>();
}

}  // namespace

std::optional<import_key> parse_import_key(std::string_view text) {
  const std::string k = header_key(text);
  if (k == "number") return import_key::number;
  if (k == "name") return import_key::name;
  if (k == "email") return import_key::email;
  if (k == "alias") return import_key::alias;
  if (k == "publicid") return import_key::public_id;
  if (k == "systemid") return import_key::system_id;
  return std::nullopt;
}

const char* to_string(import_key k) {
  switch (k) {
    case import_key::number: return "number";
    case import_key::name: return "name";
    case import_key::email: return "email";
    case import_key::alias: return "alias";
    case import_key::public_id: return "publicid";
    case import_key::system_id: return "systemid";
  }
  return "number";
}

import_refused::import_refused(std::vector<import_issue> issues, std::int64_t count)
    : store_error(issues.empty() ? std::string("the file was refused")
                                 : "line " + std::to_string(issues.front().line) + ": " +
                                       issues.front().reason),
      issues_(std::move(issues)),
      count_(count) {}

import_result import_contacts(pqxx::transaction_base& t, id actor_user, const import_options& o,
                              csv_reader& file, const import_progress& progress) {
  const actor a = load_actor(t, actor_user);
  const group target = visible_group(t, actor_user, o.group_id);
  require_access(t, actor_user, target.domain_id, access_level::editor);
  // One import into a group at a time; the others wait for this one's commit.
  t.exec_params("SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", o.group_id);
  const auto company = t.exec_params1("SELECT contact_key FROM companies WHERE id = $1", a.company);
  const auto domain_properties = text_array(
      t.exec_params1("SELECT properties::text[] FROM domains WHERE id = $1", target.domain_id)[0]);

  issue_list issues(o.max_listed_errors);
  std::vector<std::string> fields;
  const auto first = file.next(fields);
  if (!first) {
    issues.add(first.error().line, "", first.error().reason);
    issues.refuse();
  }
  if (!*first) {
    issues.add(1, "", "the file is empty: the first line must name the columns");
    issues.refuse();
  }
  const layout l = read_header(fields, domain_properties, issues);
  if (!issues.empty()) issues.refuse();

  // The key: as asked; else the company's, or number when the file lacks that column.
  import_key key =
      o.key.value_or(parse_import_key(company[0].as<std::string>()).value_or(import_key::number));
  if (!l.has(key_column(key))) {
    if (o.key) {
      issues.add(1, "",
                 std::string("the key is ") + to_string(key) + ", but the file has no such column");
      issues.refuse();
    }
    key = import_key::number;
  }

  // Stage every good row; the bad ones are listed and the rest still read, so that one
  // answer names every bad row.
  t.exec0(
      "CREATE TEMP TABLE import_rows (line bigint PRIMARY KEY, kind text NOT NULL, name text, "
      "number text, alias text, email text, public_id text, system_id bigint, tags jsonb, "
      "group_names text[], contact_id bigint, domain_id bigint, ambiguous boolean NOT NULL DEFAULT "
      "false) ON COMMIT DROP");
  std::int64_t rows = 0;
  {
    pqxx::stream_to stage(t, "import_rows", staged_columns);
    // The row checks (libphonenumber's parse is most of them) run on two threads, a chunk at
    // a time: its second half on a helper thread with issues of its own, added after the
    // first half's. Rows are staged, and issues listed, in file order.
    constexpr std::size_t chunk_rows = 4096;
    std::vector<std::pair<std::uint64_t, std::vector<std::string>>> chunk(chunk_rows);
    std::vector<std::optional<staged_row>> checked(chunk_rows);
    std::size_t filled = 0;
    const auto check_chunk = [&] {
      const std::size_t half = filled / 2;
      issue_list later(o.max_listed_errors);
      auto helper = std::async(std::launch::async, [&] {
        row_checker checker(l, o, later);
        for (std::size_t i = half; i < filled; ++i) {
          checked[i] = checker.check(chunk[i].first, chunk[i].second);
        }
      });
      row_checker checker(l, o, issues);
      for (std::size_t i = 0; i < half; ++i)
        checked[i] = checker.check(chunk[i].first, chunk[i].second);
      helper.get();
      issues.append(std::move(later));
      for (std::size_t i = 0; i < filled; ++i) {
        if (checked[i]) stage << *checked[i];
      }
      filled = 0;
    };
    for (;;) {
      auto& [line, row] = chunk[filled];
      const auto more = file.next(row);
      if (!more) {
        check_chunk();
        issues.add(more.error().line, "", more.error().reason);
        break;
      }
      if (!*more) break;
      line = file.record_line();
      ++rows;
      if (progress && rows % 10000 == 0) progress(rows);
      if (++filled == chunk_rows) check_chunk();
    }
    check_chunk();
    stage.complete();
  }
  if (progress) progress(rows);
  t.exec0("ANALYZE import_rows");

  // The importer's access, once: every check below joins it.
  t.exec_params0(
      "CREATE TEMP TABLE import_access ON COMMIT DROP AS "
      "SELECT domain_id, level FROM effective_access($1) WHERE level <> 'none'",
      actor_user);
  const std::string co = std::to_string(a.company);
  const std::string g = std::to_string(o.group_id);
  const std::string group_column = l.has(column::group) ? l.name(column::group) : "";

  // Groups named in `Group`: each one visible group the importer edits, of a type that holds
  // the row's kind.
  t.exec0(
      "CREATE TEMP TABLE import_names ON COMMIT DROP AS "
      "SELECT s.line, s.kind, n.name, "
      "  ARRAY(SELECT g.id FROM groups g JOIN import_access x ON x.domain_id = g.domain_id "
      "        WHERE g.company_id = " +
      co +
      " AND lower(g.name) = lower(n.name) ORDER BY g.id) AS ids "
      "FROM import_rows s, unnest(s.group_names) n(name)");
  add_issues(issues,
             t.exec_params("SELECT n.line, $1::text, CASE "
                           "  WHEN cardinality(n.ids) = 0 THEN 'no group called ''' || n.name || "
                           "    ''' that you can see' "
                           "  WHEN cardinality(n.ids) > 1 THEN 'several groups are called ''' || "
                           "    n.name || '''' "
                           "  WHEN x.level <> 'editor' THEN 'needs editor access to group ''' || "
                           "    n.name || '''' "
                           "  WHEN n.kind <> 'user' AND g.type = 'users_only' THEN 'group ''' || "
                           "    n.name || ''' holds users only' "
                           "  ELSE 'group ''' || n.name || ''' holds contacts only' END "
                           "FROM import_names n "
                           "LEFT JOIN groups g ON g.id = n.ids[1] AND cardinality(n.ids) = 1 "
                           "LEFT JOIN import_access x ON x.domain_id = g.domain_id "
                           "WHERE g.id IS NULL OR x.level <> 'editor' "
                           "   OR (n.kind = 'contact' AND g.type = 'users_only') "
                           "   OR (n.kind = 'user' AND g.type = 'contacts_only') "
                           "ORDER BY n.line",
                           group_column));
  if (target.type == group_type::users_only) {
    add_issues(issues, t.exec("SELECT line, '', 'the group holds users only' FROM import_rows "
                              "WHERE kind = 'contact' ORDER BY line"));
  }
  if (target.type == group_type::contacts_only) {
    add_issues(issues, t.exec("SELECT line, '', 'the group holds contacts only' FROM import_rows "
                              "WHERE kind = 'user' ORDER BY line"));
  }

  // Contacts: the key finds at most one contact the importer can see, and edits. A row
  // without a key value (a contact without a public id, say) is found by its number.
  const std::string key_name = l.has(key_column(key)) ? l.name(key_column(key)) : "";
  const std::string number_column = l.has(column::number) ? l.name(column::number) : "";
  t.exec0(
      "CREATE TEMP TABLE import_matches (line bigint, id bigint, system_id text, "
      "domain_id bigint) ON COMMIT DROP");
  const auto match = [&](const std::string& on, const std::string& which) {
    t.exec0(
        "INSERT INTO import_matches SELECT s.line, c.id, c.system_id, c.domain_id "
        "FROM import_rows s JOIN contacts c ON c.company_id = " +
        co + " AND " + on +
        " JOIN import_access x ON x.domain_id = c.domain_id WHERE s.kind = 'contact' AND " + which);
  };
  const char* value = key_value(key);
  // Numbers as equalities (hash or index joins): opted-in contacts may lack the +.
  const auto match_number = [&](const std::string& which) {
    match("c.number = s.number", which + " AND s.number IS NOT NULL");
    match("c.number = substr(s.number, 2)", which + " AND s.number IS NOT NULL");
  };
  if (key == import_key::number) {
    match_number("true");
  } else {
    match(key_match(key), std::string(value) + " IS NOT NULL");
    match_number(std::string(value) + " IS NULL");
  }
  const std::string matched_column =
      std::string("CASE WHEN ") + value + " IS NULL THEN $2::text ELSE $1::text END";
  add_issues(issues,
             t.exec_params("SELECT m.line, " + matched_column +
                               ", 'matches ' || count(*) || ' contacts: ' || "
                               "string_agg(m.system_id, ', ' ORDER BY m.id) "
                               "FROM import_matches m JOIN import_rows s ON s.line = m.line "
                               "GROUP BY m.line, s.line HAVING count(*) > 1 ORDER BY m.line",
                           key_name, number_column));
  // A row its key cannot decide on is only that error, not also a new contact's.
  t.exec0(
      "UPDATE import_rows SET ambiguous = true WHERE line IN "
      "(SELECT line FROM import_matches GROUP BY line HAVING count(*) > 1)");
  t.exec0(
      "UPDATE import_rows s SET contact_id = m.id, domain_id = m.domain_id FROM ("
      "  SELECT line, min(id) AS id, min(domain_id) AS domain_id "
      "  FROM import_matches GROUP BY line HAVING count(*) = 1) m WHERE m.line = s.line");
  add_issues(issues, t.exec_params("SELECT s.line, " + matched_column +
                                       ", 'matches contact C#' || s.contact_id || "
                                       "', whose security domain you cannot edit' "
                                       "FROM import_rows s JOIN import_access x ON x.domain_id = "
                                       "s.domain_id WHERE s.contact_id IS NOT NULL AND x.level <> "
                                       "'editor' ORDER BY s.line",
                                   key_name, number_column));
  // Two rows for one contact would both change it.
  add_issues(issues,
             t.exec_params("SELECT line, " + matched_column +
                               ", 'the same contact as line ' || first FROM ("
                               "  SELECT s.*, min(s.line) OVER (PARTITION BY s.contact_id) AS "
                               "first FROM import_rows s WHERE s.contact_id IS NOT NULL) s "
                               "WHERE line <> first ORDER BY line",
                           key_name, number_column));
  // New rows with one key value would make two contacts that the key cannot tell apart.
  if (key != import_key::number) {
    add_issues(issues,
               t.exec_params("SELECT line, $1::text, 'the same ' || $2::text || "
                             "' as line ' || first FROM ("
                             "  SELECT s.*, min(s.line) OVER (PARTITION BY " +
                                 std::string(value) +
                                 ") AS first FROM import_rows s WHERE s.kind = "
                                 "'contact' AND s.contact_id IS NULL AND NOT s.ambiguous AND " +
                                 value +
                                 " IS NOT NULL) s WHERE line <> first "
                                 "ORDER BY line",
                             key_name, to_string(key)));
  }
  // A new contact needs a number that no other contact of its domain has; a changed number
  // must not be another contact's either.
  t.exec_params0(
      "UPDATE import_rows SET domain_id = $1 WHERE kind = 'contact' AND contact_id IS NULL "
      "AND NOT ambiguous",
      target.domain_id);
  add_issues(issues, t.exec_params("SELECT line, $1::text, 'a new contact needs a number' "
                                   "FROM import_rows WHERE kind = 'contact' AND contact_id IS "
                                   "NULL AND NOT ambiguous AND number IS NULL ORDER BY line",
                                   number_column));
  for (const char* other : {"s.number", "substr(s.number, 2)"}) {
    add_issues(issues, t.exec_params(
                           std::string("SELECT s.line, $1::text, 'is already the number of "
                                       "contact ' || c.system_id FROM import_rows s JOIN "
                                       "contacts c ON c.domain_id = s.domain_id AND c.number = ") +
                               other +
                               " WHERE s.kind = 'contact' AND s.number IS NOT NULL AND c.id IS "
                               "DISTINCT FROM s.contact_id ORDER BY s.line",
                           number_column));
  }
  add_issues(issues,
             t.exec_params("SELECT line, $1::text, 'the same number as line ' || first FROM ("
                           "  SELECT line, min(line) OVER (PARTITION BY domain_id, number) AS "
                           "  first FROM import_rows WHERE kind = 'contact' AND number IS NOT "
                           "  NULL) d WHERE line <> first ORDER BY line",
                           number_column));
  if (l.has(column::public_id)) {
    const std::string pid_column = l.name(column::public_id);
    add_issues(issues, t.exec_params("SELECT s.line, $1::text, 'is already another contact''s "
                                     "public id' FROM import_rows s JOIN contacts c ON "
                                     "c.company_id = $2 AND c.public_id = s.public_id AND c.id IS "
                                     "DISTINCT FROM s.contact_id WHERE s.kind = 'contact' "
                                     "GROUP BY s.line ORDER BY s.line",
                                     pid_column, a.company));
    add_issues(issues,
               t.exec_params("SELECT line, $1::text, 'the same public id as line ' || first "
                             "FROM (SELECT line, min(line) OVER (PARTITION BY public_id) AS first "
                             "FROM import_rows WHERE kind = 'contact' AND public_id IS NOT NULL) d "
                             "WHERE line <> first ORDER BY line",
                             pid_column));
  }

  // Users by login, groups by public id, alias or name: each one the importer can see.
  t.exec0(
      "CREATE TEMP TABLE import_members ON COMMIT DROP AS "
      "SELECT s.line, s.kind, s.alias, CASE WHEN s.kind = 'user' THEN ARRAY(SELECT u.id FROM "
      "users u WHERE u.company_id = " +
      co +
      " AND lower(u.username) = lower(s.alias)) ELSE ARRAY(SELECT gg.id FROM groups gg JOIN "
      "import_access x ON x.domain_id = gg.domain_id WHERE gg.company_id = " +
      co +
      " AND CASE WHEN s.public_id IS NOT NULL THEN gg.public_id = s.public_id "
      "WHEN s.alias IS NOT NULL THEN lower(gg.alias) = lower(s.alias) "
      "ELSE lower(gg.name) = lower(s.name) END ORDER BY gg.id) END AS ids "
      "FROM import_rows s WHERE s.kind <> 'contact'");
  add_issues(issues,
             t.exec("SELECT line, '', CASE WHEN cardinality(ids) = 0 AND kind = 'user' THEN "
                    "'no user with the login ''' || alias || '''' "
                    "WHEN cardinality(ids) = 0 THEN 'no such group that you can see' "
                    "ELSE 'several groups have this name' END "
                    "FROM import_members WHERE cardinality(ids) <> 1 ORDER BY line"));
  if (!issues.empty()) issues.refuse();

  import_result result;
  result.rows = rows;
  const std::int64_t contact_rows =
      count_of(t, "SELECT count(*) FROM import_rows WHERE kind = 'contact'");
  const std::int64_t matched =
      count_of(t, "SELECT count(*) FROM import_rows WHERE contact_id IS NOT NULL");

  // Changed fields of the contacts found; a number is unchanged when it is the same number
  // in another spelling (an opt-in's without its +).
  std::vector<std::string> sets;
  std::vector<std::string> differs;
  const auto field = [&](column c, const char* name, const char* staged) {
    if (!l.has(c)) return;
    sets.push_back(std::string(name) + " = " + staged);
    differs.push_back(std::string("c.") + name + " IS DISTINCT FROM " + staged);
  };
  field(column::name, "name", "coalesce(s.name, '')");
  field(column::alias, "alias", "s.alias");
  field(column::email, "email", "s.email");
  field(column::public_id, "public_id", "s.public_id");
  if (l.has(column::number)) {
    sets.emplace_back(
        "number = CASE WHEN s.number IS NULL OR e164_or_null(c.number) = s.number THEN c.number "
        "ELSE s.number END");
    differs.emplace_back(
        "(s.number IS NOT NULL AND e164_or_null(c.number) IS DISTINCT FROM s.number)");
  }
  std::vector<std::string> property_names;
  for (const auto& [i, p] : l.properties) property_names.push_back(p);
  const std::string properties = array_literal(property_names);
  if (!property_names.empty()) {
    const std::string tags = "(c.tags - '" + t.esc(properties) + "'::text[]) || s.tags";
    sets.push_back("tags = " + tags);
    differs.push_back("c.tags IS DISTINCT FROM " + tags);
  }
  if (!sets.empty()) {
    std::string set_list;
    std::string differ_list;
    for (std::size_t i = 0; i < sets.size(); ++i) {
      set_list += (i ? ", " : "") + sets[i];
      differ_list += (i ? " OR " : "") + differs[i];
    }
    result.updated = guarded([&] {
      return count_of(t, "WITH changed AS (UPDATE contacts c SET " + set_list +
                             ", updated_at = now() FROM import_rows s WHERE s.contact_id = c.id "
                             "AND (" +
                             differ_list + ") RETURNING 1) SELECT count(*) FROM changed");
    });
  }

  // New contacts, in the group's domain; found again by their number, unique in the domain.
  result.created = guarded([&] {
    return count_of(
        t,
        "WITH made AS (INSERT INTO contacts (company_id, domain_id, name, number, alias, email, "
        "public_id, tags) SELECT " +
            co + ", " + std::to_string(target.domain_id) +
            ", coalesce(s.name, ''), s.number, s.alias, s.email, s.public_id, "
            "coalesce(s.tags, '{}') FROM import_rows s WHERE s.kind = 'contact' AND "
            "s.contact_id IS NULL ORDER BY s.line RETURNING 1) SELECT count(*) FROM made");
  });
  if (result.created > 0) {
    t.exec_params0(
        "UPDATE import_rows s SET contact_id = c.id FROM contacts c WHERE c.domain_id = $1 "
        "AND c.number = s.number AND s.kind = 'contact' AND s.contact_id IS NULL",
        target.domain_id);
  }

  // Merge off: the visible members that the file does not name leave the group.
  if (!o.merge) {
    result.removed_from_group = guarded([&] {
      return count_of(
          t,
          "WITH gone AS (DELETE FROM group_contacts gc USING contacts c, import_access x "
          "WHERE gc.group_id = " +
              g +
              " AND c.id = gc.contact_id AND x.domain_id = c.domain_id AND NOT EXISTS "
              "(SELECT 1 FROM import_rows s WHERE s.contact_id = gc.contact_id) RETURNING 1) "
              "SELECT count(*) FROM gone");
    });
    result.removed_from_group += count_of(
        t, "WITH gone AS (DELETE FROM group_users gu WHERE gu.group_id = " + g +
               " AND gu.user_id NOT IN (SELECT ids[1] FROM import_members WHERE kind = 'user') "
               "RETURNING 1) SELECT count(*) FROM gone");
    result.removed_from_group +=
        count_of(t,
                 "WITH gone AS (DELETE FROM group_groups gg USING groups c, import_access x "
                 "WHERE gg.parent_id = " +
                     g +
                     " AND c.id = gg.child_id AND x.domain_id = c.domain_id AND gg.child_id NOT IN "
                     "(SELECT ids[1] FROM import_members WHERE kind = 'group') RETURNING 1) "
                     "SELECT count(*) FROM gone");
  }

  // Memberships: every contact row in the group and in the groups of its `Group` column.
  result.added_to_groups = guarded([&] {
    return count_of(t, "WITH wanted AS (SELECT " + g +
                           "::bigint AS group_id, contact_id FROM import_rows WHERE kind = "
                           "'contact' UNION SELECT n.ids[1], s.contact_id FROM import_names n "
                           "JOIN import_rows s ON s.line = n.line WHERE s.kind = 'contact'), "
                           "added AS (INSERT INTO group_contacts (group_id, contact_id) SELECT "
                           "group_id, contact_id FROM wanted ON CONFLICT DO NOTHING RETURNING 1) "
                           "SELECT count(*) FROM added");
  });
  // Users and groups: few, so through the store's own membership rules (nesting cycles).
  std::map<id, member_ids> wanted;
  for (const auto& r :
       t.exec("SELECT " + g +
              "::bigint, m.kind, m.ids[1] FROM import_members m UNION "
              "SELECT n.ids[1], m.kind, m.ids[1] FROM import_members m JOIN import_names n "
              "ON n.line = m.line ORDER BY 1, 2, 3")) {
    auto& ids = wanted[r[0].as<id>()];
    (r[1].as<std::string>() == "user" ? ids.users : ids.groups).push_back(r[2].as<id>());
  }
  for (const auto& [group_id, members] : wanted) {
    result.added_to_groups += add_members(t, actor_user, group_id, members).changed;
  }
  result.unchanged = matched - result.updated + (rows - contact_rows);

  record_audit(t, a.company, actor_user, "group.import", "group:" + g,
               {{"rows", result.rows},
                {"merge", o.merge},
                {"key", to_string(key)},
                {"created", result.created},
                {"updated", result.updated},
                {"unchanged", result.unchanged},
                {"added_to_groups", result.added_to_groups},
                {"removed_from_group", result.removed_from_group}});
  return result;
}

}  // namespace smsgw::store
