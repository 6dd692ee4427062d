#include "store/numbers.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include "keywords/normalise.hpp"
#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/directory.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// As the company's replies (company.cpp): ten concatenated parts of GSM text.
constexpr std::size_t max_message = 1600;

constexpr const char* number_columns =
    "n.id, n.number, n.kind, n.bind, n.default_reply, n.help_reply";

number_info number_of(const pqxx::row& r) {
  return {r[0].as<id>(),       r[1].as<std::string>(), r[2].as<std::string>(),
          optional_text(r[3]), r[4].as<std::string>(), r[5].as<std::string>()};
}

const char* to_text(keywords::tail_policy p) {
  return p == keywords::tail_policy::ignore ? "ignore" : "unmatched";
}

// The columns of a keyword read, from `keywords k JOIN numbers n JOIN groups g`; the reader
// is $1 and their company $2: only keywords whose group's domain the reader can view.
constexpr const char* keyword_select =
    "SELECT k.id, k.number_id, n.number, k.keyword, k.group_id, k.optin_message, "
    "       k.optout_message, k.help_message, k.tail "
    "FROM keywords k JOIN numbers n ON n.id = k.number_id JOIN groups g ON g.id = k.group_id "
    "WHERE k.company_id = $2 AND g.domain_id IN (SELECT visible_domains($1)) ";

keyword_info keyword_of(const pqxx::row& r) {
  return {r[0].as<id>(),
          r[1].as<id>(),
          r[2].as<std::string>(),
          r[3].as<std::string>(),
          r[4].as<id>(),
          r[5].as<std::string>(),
          r[6].as<std::string>(),
          r[7].as<std::string>(),
          r[8].as<std::string>() == "ignore" ? keywords::tail_policy::ignore
                                             : keywords::tail_policy::unmatched};
}

void require_admin(const actor& a) {
  if (!a.is_admin()) throw access_denied("only admins may change numbers");
}

std::string checked_text(const std::string& text, const char* field,
                         std::vector<field_issue>& issues) {
  const auto r = normalise_message_text(text, max_message);
  if (!r) {
    issues.push_back({field, r.error()});
    return {};
  }
  return *r;
}

// nullopt for a blank bind (any bind may send from the number).
std::optional<std::string> checked_bind(const std::optional<std::string>& bind,
                                        std::vector<field_issue>& issues) {
  if (!bind || trim(*bind).empty()) return std::nullopt;
  const auto b = normalise_title(*bind, 100);
  if (!b) {
    issues.push_back({"bind", b.error()});
    return std::nullopt;
  }
  return *b;
}

// The number as it is stored: a short code as dialled, a virtual number in E.164.
std::string checked_number(const std::string& number, const std::string& kind,
                           std::string_view region, std::vector<field_issue>& issues) {
  if (kind == "short_code") {
    std::string n = trim(number);
    const bool digits =
        std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || n.size() < 3 || n.size() > 8) {
      issues.push_back({"number", "a short code is 3 to 8 digits"});
    }
    return n;
  }
  if (kind == "virtual") {
    const auto n = to_e164(number, region);
    if (!n) {
      issues.push_back({"number", n.error()});
      return {};
    }
    return *n;
  }
  issues.push_back({"kind", "must be short_code or virtual"});
  return {};
}

number_info company_number(pqxx::transaction_base& t, const actor& a, id number,
                           bool lock = false) {
  const auto r = t.exec_params(std::string("SELECT ") + number_columns +
                                   " FROM numbers n WHERE n.id = $1 AND n.company_id = $2" +
                                   (lock ? " FOR UPDATE" : ""),
                               number, a.company);
  if (r.empty()) throw not_found("no such number");
  return number_of(r[0]);
}

keyword_info visible_keyword(pqxx::transaction_base& t, const actor& a, id keyword) {
  const auto r =
      t.exec_params(std::string(keyword_select) + "AND k.id = $3", a.user_id, a.company, keyword);
  if (r.empty()) throw not_found("no such keyword");
  return keyword_of(r[0]);
}

// Checks that the actor may attach a keyword to `group`: visible (else not_found), Editor on
// its domain (access_denied), a type that takes contacts (validation_error). The group is
// share-locked until commit: a concurrent change to users-only waits, then sees the keyword
// (groups.cpp refuses it).
void check_keyword_group(pqxx::transaction_base& t, const actor& a, id group) {
  const auto g = t.exec_params(
      "SELECT g.domain_id, g.type FROM groups g WHERE g.id = $1 AND g.company_id = $2 "
      "AND g.domain_id IN (SELECT visible_domains($3)) FOR SHARE OF g",
      group, a.company, a.user_id);
  if (g.empty()) throw not_found("no such group");
  require_access(t, a.user_id, g[0][0].as<id>(), access_level::editor);
  if (g[0][1].as<std::string>() == "users_only") {
    throw validation_error("group_id", "a users-only group cannot take contacts who opt in");
  }
}

// The keyword normalised as the engine compares it, after the company's refusals
// (keyword_refusal) and the number's existing keywords (conflict).
std::string checked_keyword(pqxx::transaction_base& t, const actor& a, id number_id,
                            const std::string& keyword, id except) {
  if (auto why = keyword_refusal(t, a.company, keyword)) throw validation_error("keyword", *why);
  std::string k = keywords::normalise(keyword);
  if (k.size() > 50) throw validation_error("keyword", "is longer than 50 bytes");
  if (!t.exec_params("SELECT 1 FROM keywords WHERE number_id = $1 AND keyword = $2 AND id <> $3",
                     number_id, k, except)
           .empty()) {
    throw conflict("\"" + k + "\" is a keyword on this number already");
  }
  return k;
}

}  // namespace

std::vector<number_info> list_numbers(pqxx::transaction_base& t, id actor_user, id after,
                                      int limit) {
  const actor a = load_actor(t, actor_user);
  std::vector<number_info> out;
  for (const auto& r : t.exec_params(std::string("SELECT ") + number_columns +
                                         " FROM numbers n WHERE n.company_id = $1 AND n.id > $2 "
                                         "ORDER BY n.id LIMIT $3",
                                     a.company, after, limit)) {
    out.push_back(number_of(r));
  }
  return out;
}

number_info get_number(pqxx::transaction_base& t, id actor_user, id number) {
  return company_number(t, load_actor(t, actor_user), number);
}

std::optional<number_info> find_number(pqxx::transaction_base& t, id actor_user,
                                       std::string_view number, std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  std::vector<std::string> spellings{trim(number)};
  if (auto e = to_e164(number, default_region)) {
    spellings.push_back(*e);
    spellings.push_back(e->substr(1));
  }
  const auto r = t.exec_params(std::string("SELECT ") + number_columns +
                                   " FROM numbers n WHERE n.company_id = $1 "
                                   "AND n.number = ANY ($2::text[]) ORDER BY n.id LIMIT 1",
                               a.company, array_literal(spellings));
  if (r.empty()) return std::nullopt;
  return number_of(r[0]);
}

number_info create_number(pqxx::transaction_base& t, id actor_user, const new_number_request& n,
                          std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  require_admin(a);
  std::vector<field_issue> issues;
  number_info info;
  info.kind = n.kind;
  info.number = checked_number(n.number, n.kind, default_region, issues);
  info.bind = checked_bind(n.bind, issues);
  info.default_reply = checked_text(n.default_reply, "default_reply", issues);
  info.help_reply = checked_text(n.help_reply, "help_reply", issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  // Routing reads a number with and without its + (store/routing.cpp): either spelling of
  // it, in any company, would make MOs ambiguous.
  if (!t.exec_params("SELECT 1 FROM numbers WHERE number IN ($1, ltrim($1, '+'), '+' || "
                     "ltrim($1, '+'))",
                     info.number)
           .empty()) {
    throw conflict("the number " + info.number + " is in use");
  }
  info.number_id = guarded([&] {
    return t
        .exec_params1(
            "INSERT INTO numbers (company_id, number, kind, bind, default_reply, help_reply) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            a.company, info.number, info.kind, info.bind, info.default_reply, info.help_reply)[0]
        .as<id>();
  });
  record_audit(t, a.company, actor_user, "number.create",
               "number:" + std::to_string(info.number_id),
               {{"number", info.number},
                {"kind", info.kind},
                {"bind", info.bind ? nlohmann::json(*info.bind) : nlohmann::json(nullptr)}});
  return info;
}

number_info update_number(pqxx::transaction_base& t, id actor_user, id number,
                          const number_patch& p) {
  const actor a = load_actor(t, actor_user);
  require_admin(a);
  const number_info before = company_number(t, a, number, true);
  std::vector<field_issue> issues;
  number_info after = before;
  if (p.bind) after.bind = checked_bind(*p.bind, issues);
  if (p.default_reply)
    after.default_reply = checked_text(*p.default_reply, "default_reply", issues);
  if (p.help_reply) after.help_reply = checked_text(*p.help_reply, "help_reply", issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  t.exec_params0("UPDATE numbers SET bind = $2, default_reply = $3, help_reply = $4 WHERE id = $1",
                 number, after.bind, after.default_reply, after.help_reply);
  nlohmann::json changed = nlohmann::json::object();
  const auto or_null = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  if (after.bind != before.bind) {
    changed["bind"] = {{"from", or_null(before.bind)}, {"to", or_null(after.bind)}};
  }
  if (after.default_reply != before.default_reply) changed["default_reply"] = true;
  if (after.help_reply != before.help_reply) changed["help_reply"] = true;
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "number.update", "number:" + std::to_string(number),
                 changed);
  }
  return after;
}

void delete_number(pqxx::transaction_base& t, id actor_user, id number) {
  const actor a = load_actor(t, actor_user);
  require_admin(a);
  const number_info n = company_number(t, a, number, true);
  std::vector<id> keyword_ids;
  for (const auto& r :
       t.exec_params("SELECT id FROM keywords WHERE number_id = $1 ORDER BY id", number)) {
    keyword_ids.push_back(r[0].as<id>());
  }
  t.exec_params0("DELETE FROM numbers WHERE id = $1", number);
  record_audit(t, a.company, actor_user, "number.delete", "number:" + std::to_string(number),
               {{"number", n.number}, {"kind", n.kind}, {"keywords", keyword_ids}});
}

std::vector<keyword_info> list_keywords(pqxx::transaction_base& t, id actor_user,
                                        std::optional<id> number_id, std::optional<id> group_id,
                                        id after, int limit) {
  const actor a = load_actor(t, actor_user);
  std::vector<keyword_info> out;
  for (const auto& r :
       t.exec_params(std::string(keyword_select) + "AND ($3::bigint IS NULL OR k.number_id = $3) "
                                                   "AND ($4::bigint IS NULL OR k.group_id = $4) "
                                                   "AND k.id > $5 ORDER BY k.id LIMIT $6",
                     actor_user, a.company, number_id, group_id, after, limit)) {
    out.push_back(keyword_of(r));
  }
  return out;
}

keyword_info get_keyword(pqxx::transaction_base& t, id actor_user, id keyword) {
  return visible_keyword(t, load_actor(t, actor_user), keyword);
}

keyword_info create_keyword(pqxx::transaction_base& t, id actor_user,
                            const new_keyword_request& k) {
  const actor a = load_actor(t, actor_user);
  const number_info n = company_number(t, a, k.number_id);
  check_keyword_group(t, a, k.group_id);
  std::vector<field_issue> issues;
  const std::string optin = checked_text(k.optin_message, "optin_message", issues);
  const std::string optout = checked_text(k.optout_message, "optout_message", issues);
  const std::string help = checked_text(k.help_message, "help_message", issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  const std::string word = checked_keyword(t, a, k.number_id, k.keyword, 0);
  const id keyword_id = guarded([&] {
    return t
        .exec_params1(
            "INSERT INTO keywords (company_id, number_id, keyword, group_id, optin_message, "
            "optout_message, help_message, tail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "RETURNING id",
            a.company, k.number_id, word, k.group_id, optin, optout, help, to_text(k.tail))[0]
        .as<id>();
  });
  record_audit(t, a.company, actor_user, "keyword.create", "keyword:" + std::to_string(keyword_id),
               {{"number", n.number}, {"keyword", word}, {"group", k.group_id}});
  return {keyword_id, k.number_id, n.number, word, k.group_id, optin, optout, help, k.tail};
}

keyword_info update_keyword(pqxx::transaction_base& t, id actor_user, id keyword,
                            const keyword_patch& p) {
  const actor a = load_actor(t, actor_user);
  const keyword_info before = visible_keyword(t, a, keyword);
  // Editor on the group it has now: whoever may not change that group's members may not
  // redirect its opt-ins either.
  require_access(
      t, actor_user,
      t.exec_params1("SELECT domain_id FROM groups WHERE id = $1", before.group_id)[0].as<id>(),
      access_level::editor);
  keyword_info after = before;
  if (p.group_id && *p.group_id != before.group_id) {
    check_keyword_group(t, a, *p.group_id);
    after.group_id = *p.group_id;
  }
  std::vector<field_issue> issues;
  if (p.optin_message)
    after.optin_message = checked_text(*p.optin_message, "optin_message", issues);
  if (p.optout_message) {
    after.optout_message = checked_text(*p.optout_message, "optout_message", issues);
  }
  if (p.help_message) after.help_message = checked_text(*p.help_message, "help_message", issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  if (p.tail) after.tail = *p.tail;
  if (p.keyword) after.keyword = checked_keyword(t, a, before.number_id, *p.keyword, keyword);
  guarded([&] {
    t.exec_params0(
        "UPDATE keywords SET keyword = $2, group_id = $3, optin_message = $4, "
        "optout_message = $5, help_message = $6, tail = $7 WHERE id = $1",
        keyword, after.keyword, after.group_id, after.optin_message, after.optout_message,
        after.help_message, to_text(after.tail));
  });
  nlohmann::json changed = nlohmann::json::object();
  if (after.keyword != before.keyword) {
    changed["keyword"] = {{"from", before.keyword}, {"to", after.keyword}};
  }
  if (after.group_id != before.group_id) {
    changed["group"] = {{"from", before.group_id}, {"to", after.group_id}};
  }
  if (after.optin_message != before.optin_message) changed["optin_message"] = true;
  if (after.optout_message != before.optout_message) changed["optout_message"] = true;
  if (after.help_message != before.help_message) changed["help_message"] = true;
  if (after.tail != before.tail) changed["tail"] = to_text(after.tail);
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "keyword.update", "keyword:" + std::to_string(keyword),
                 changed);
  }
  return after;
}

void delete_keyword(pqxx::transaction_base& t, id actor_user, id keyword) {
  const actor a = load_actor(t, actor_user);
  const keyword_info k = visible_keyword(t, a, keyword);
  require_access(
      t, actor_user,
      t.exec_params1("SELECT domain_id FROM groups WHERE id = $1", k.group_id)[0].as<id>(),
      access_level::editor);
  t.exec_params0("DELETE FROM keywords WHERE id = $1", keyword);
  record_audit(t, a.company, actor_user, "keyword.delete", "keyword:" + std::to_string(keyword),
               {{"number", k.number}, {"keyword", k.keyword}, {"group", k.group_id}});
}

bool sender_allowed(pqxx::transaction_base& t, id company, std::string_view source,
                    std::string_view default_region) {
  const std::string trimmed = trim(source);
  if (trimmed.empty()) return false;
  // Numbers: as written (a short code, or a number stored as given), and in E.164 with and
  // without its + (routing reads stored numbers both ways).
  std::vector<std::string> spellings{trimmed};
  if (auto e = to_e164(trimmed, default_region)) {
    spellings.push_back(*e);
    spellings.push_back(e->substr(1));
  }
  return t
      .exec_params1(
          "SELECT EXISTS (SELECT 1 FROM numbers WHERE company_id = $1 "
          "               AND number = ANY ($2::text[])) "
          "    OR EXISTS (SELECT 1 FROM companies WHERE id = $1 AND $3 = ANY (sender_ids))",
          company, array_literal(spellings), std::string(source))[0]
      .as<bool>();
}

}  // namespace smsgw::store
