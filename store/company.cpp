#include "store/company.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include "keywords/decide.hpp"
#include "keywords/normalise.hpp"
#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// Replies are sent as SMS; 1600 characters is ten concatenated parts of GSM text, more than
// any confirmation or help text needs.
constexpr std::size_t max_reply = 1600;
constexpr std::size_t max_words = 50;  // per list: each MO is compared with all of them

constexpr std::array<std::string_view, 2> stop_matchings = {"first_word", "whole_message"};
constexpr std::array<std::string_view, 6> contact_keys = {"number", "name",     "email",
                                                          "alias",  "publicid", "systemid"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// The columns of a settings read, from `companies`.
constexpr const char* settings_columns =
    "id, name, stop_words::text[], start_words::text[], stop_matching, stop_reply, start_reply, "
    "help_reply, contact_key, default_reply, sender_ids::text[]";

company_settings settings_of(const pqxx::row& r) {
  return {r[0].as<id>(),          r[1].as<std::string>(), text_array(r[2]),
          text_array(r[3]),       r[4].as<std::string>(), r[5].as<std::string>(),
          r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>(),
          r[9].as<std::string>(), text_array(r[10])};
}

// A stop or start word list, normalised as the keyword engine compares it.
std::vector<std::string> checked_words(const std::vector<std::string>& words, const char* field,
                                       std::vector<field_issue>& issues) {
  std::vector<std::string> out;
  if (words.empty()) {
    issues.push_back({field, "needs at least one word"});
    return out;
  }
  if (words.size() > max_words) {
    issues.push_back({field, "holds more than 50 words"});
    return out;
  }
  const keywords::company_rules defaults;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string f = std::string(field) + "[" + std::to_string(i) + "]";
    const std::string n = keywords::normalise(words[i]);
    if (n.empty()) {
      issues.push_back({f, "is empty"});
    } else if (keywords::words(n).size() != 1) {
      issues.push_back({f, "\"" + n + "\" is more than one word"});
    } else if (n.size() > 50) {
      issues.push_back({f, "is longer than 50 bytes"});
    } else if (contains(defaults.help_words, n)) {
      // HELP is always answered (rule 4): it cannot also be a stop or start word.
      issues.push_back({f, "\"" + n + "\" is a help word"});
    } else if (contains(out, n)) {
      issues.push_back({f, "\"" + n + "\" is listed twice"});
    } else {
      out.push_back(n);
    }
  }
  return out;
}

std::string checked_reply(const std::string& text, const char* field, bool may_be_empty,
                          std::vector<field_issue>& issues) {
  const auto r = normalise_message_text(text, max_reply);
  if (!r) {
    issues.push_back({field, r.error()});
    return {};
  }
  if (r->empty() && !may_be_empty) issues.push_back({field, "may not be empty"});
  return *r;
}

// Alphanumeric originators: SMPP and GSM carry at most 11 characters; at least one letter,
// or it would be read as a number.
std::vector<std::string> checked_sender_ids(const std::vector<std::string>& ids,
                                            std::vector<field_issue>& issues) {
  std::vector<std::string> out;
  if (ids.size() > max_words) {
    issues.push_back({"sender_ids", "holds more than 50 sender ids"});
    return out;
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string f = "sender_ids[" + std::to_string(i) + "]";
    const std::string s = trim(ids[i]);
    const bool allowed = std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == ' ' || c == '.' || c == '-' || c == '_' || c == '&';
    });
    const bool letter = std::any_of(s.begin(), s.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    });
    if (s.empty() || s.size() > 11) {
      issues.push_back({f, "must be 1 to 11 characters long"});
    } else if (!allowed) {
      issues.push_back({f, "may only hold A-Z a-z 0-9, space and . - _ &"});
    } else if (!letter) {
      issues.push_back({f, "needs a letter (a number is a number, not a sender id)"});
    } else if (contains(out, s)) {
      issues.push_back({f, "is listed twice"});
    } else {
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

company_settings get_company(pqxx::transaction_base& t, id actor_user) {
  const actor a = load_actor(t, actor_user);
  return settings_of(t.exec_params1(
      std::string("SELECT ") + settings_columns + " FROM companies WHERE id = $1", a.company));
}

company_settings update_company(pqxx::transaction_base& t, id actor_user, const company_patch& p) {
  const actor a = load_actor(t, actor_user);
  if (!a.is_admin()) throw access_denied("only admins may change the company's settings");
  // Locked first: a keyword being saved holds a share lock on this row (keyword_refusal),
  // so either it waits and then sees the new words, or this waits and then sees it.
  const company_settings before = settings_of(t.exec_params1(
      std::string("SELECT ") + settings_columns + " FROM companies WHERE id = $1 FOR NO KEY UPDATE",
      a.company));

  std::vector<field_issue> issues;
  company_settings after = before;
  if (p.name) {
    const auto n = normalise_title(*p.name, 200);
    if (!n) {
      issues.push_back({"name", n.error()});
    } else {
      after.name = *n;
    }
  }
  if (p.stop_words) after.stop_words = checked_words(*p.stop_words, "stop_words", issues);
  if (p.start_words) after.start_words = checked_words(*p.start_words, "start_words", issues);
  if (p.stop_words || p.start_words) {
    for (const auto& w : after.start_words) {
      if (contains(after.stop_words, w)) {
        issues.push_back({p.start_words ? "start_words" : "stop_words",
                          "\"" + w + "\" cannot be both a stop and a start word"});
      }
    }
  }
  if (p.stop_matching) {
    if (one_of(stop_matchings, *p.stop_matching)) {
      after.stop_matching = *p.stop_matching;
    } else {
      issues.push_back({"stop_matching", "must be first_word or whole_message"});
    }
  }
  if (p.contact_key) {
    if (one_of(contact_keys, *p.contact_key)) {
      after.contact_key = *p.contact_key;
    } else {
      issues.push_back({"contact_key", "must be number, name, email, alias, publicid or systemid"});
    }
  }
  if (p.stop_reply) after.stop_reply = checked_reply(*p.stop_reply, "stop_reply", false, issues);
  if (p.start_reply) {
    after.start_reply = checked_reply(*p.start_reply, "start_reply", false, issues);
  }
  if (p.help_reply) after.help_reply = checked_reply(*p.help_reply, "help_reply", false, issues);
  if (p.default_reply) {
    after.default_reply = checked_reply(*p.default_reply, "default_reply", true, issues);
  }
  if (p.sender_ids) after.sender_ids = checked_sender_ids(*p.sender_ids, issues);
  if (!issues.empty()) throw validation_error(std::move(issues));

  // A new stop or start word must not silence a keyword: the engine would take the word
  // before the keyword (rules 1-2 before 3), so its contacts could no longer opt in.
  std::vector<std::string> added;
  for (const auto& w : after.stop_words) {
    if (!contains(before.stop_words, w)) added.push_back(w);
  }
  for (const auto& w : after.start_words) {
    if (!contains(before.start_words, w)) added.push_back(w);
  }
  if (!added.empty()) {
    const auto clash = t.exec_params(
        "SELECT k.keyword, n.number FROM keywords k JOIN numbers n ON n.id = k.number_id "
        "WHERE k.company_id = $1 AND k.keyword = ANY ($2::text[]) ORDER BY k.id LIMIT 1",
        a.company, array_literal(added));
    if (!clash.empty()) {
      throw conflict("\"" + clash[0][0].as<std::string>() + "\" is a keyword on " +
                     clash[0][1].as<std::string>() + ": change or delete the keyword first");
    }
  }
  if (after.name != before.name &&
      !t.exec_params("SELECT 1 FROM companies WHERE name = $1 AND id <> $2", after.name, a.company)
           .empty()) {
    throw conflict("another company is called '" + after.name + "'");
  }

  guarded([&] {
    t.exec_params0(
        "UPDATE companies SET name = $2, stop_words = $3::text[], start_words = $4::text[], "
        "stop_matching = $5, stop_reply = $6, start_reply = $7, help_reply = $8, "
        "contact_key = $9, default_reply = $10, sender_ids = $11::text[] WHERE id = $1",
        a.company, after.name, array_literal(after.stop_words), array_literal(after.start_words),
        after.stop_matching, after.stop_reply, after.start_reply, after.help_reply,
        after.contact_key, after.default_reply, array_literal(after.sender_ids));
  });

  nlohmann::json changed = nlohmann::json::object();
  const auto both = [](const auto& from, const auto& to) {
    return nlohmann::json{{"from", from}, {"to", to}};
  };
  if (after.name != before.name) changed["name"] = both(before.name, after.name);
  if (after.stop_words != before.stop_words) {
    changed["stop_words"] = both(before.stop_words, after.stop_words);
  }
  if (after.start_words != before.start_words) {
    changed["start_words"] = both(before.start_words, after.start_words);
  }
  if (after.stop_matching != before.stop_matching) {
    changed["stop_matching"] = both(before.stop_matching, after.stop_matching);
  }
  if (after.contact_key != before.contact_key) {
    changed["contact_key"] = both(before.contact_key, after.contact_key);
  }
  if (after.stop_reply != before.stop_reply) changed["stop_reply"] = true;
  if (after.start_reply != before.start_reply) changed["start_reply"] = true;
  if (after.help_reply != before.help_reply) changed["help_reply"] = true;
  if (after.default_reply != before.default_reply) changed["default_reply"] = true;
  if (after.sender_ids != before.sender_ids) {
    changed["sender_ids"] = both(before.sender_ids, after.sender_ids);
  }
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "company.update", "company:" + std::to_string(a.company),
                 changed);
  }
  return after;
}

}  // namespace smsgw::store
