#include "keywords/decide.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "keywords/normalise.hpp"

namespace smsgw::keywords {
namespace {

/// The configured words normalised once; empty results are dropped so they never match.
std::vector<std::string> normalise_all(const std::vector<std::string>& configured) {
  std::vector<std::string> out;
  out.reserve(configured.size());
  for (const auto& w : configured) {
    if (auto n = normalise(w); !n.empty()) out.push_back(std::move(n));
  }
  return out;
}

bool contains(const std::vector<std::string>& set, std::string_view word) {
  return std::find(set.begin(), set.end(), word) != set.end();
}

decision make(action what, const std::string& reply, const keyword_rule* kw = nullptr) {
  decision d;
  d.what = what;
  d.reply = reply;
  if (kw != nullptr) d.keyword = *kw;
  return d;
}

}  // namespace

decision decide(const std::string& text, const company_rules& rules) {
  const std::string message = normalise(text);
  const std::vector<std::string> ws = words(message);
  if (ws.empty()) return make(action::unmatched, rules.default_reply);

  // Rule 1: company stop.
  const std::vector<std::string> stops = normalise_all(rules.stop_words);
  const bool stop = rules.stop_match == stop_matching::first_word ? contains(stops, ws.front())
                                                                  : contains(stops, message);
  if (stop) return make(action::company_stop, rules.stop_reply);

  // Rule 2: the whole message is a start word.
  if (contains(normalise_all(rules.start_words), message)) {
    return make(action::company_start, rules.start_reply);
  }

  // Rule 3: the first word is a keyword of this number (the first configured match wins).
  const std::vector<std::string> helps = normalise_all(rules.help_words);
  for (const auto& kw : rules.keywords) {
    if (normalise(kw.keyword) != ws.front()) continue;
    if (ws.size() == 1) return make(action::opt_in, kw.optin_message, &kw);
    if (contains(stops, ws[1])) return make(action::opt_out, kw.optout_message, &kw);
    if (contains(helps, ws[1])) return make(action::keyword_help, kw.help_message, &kw);
    if (kw.tail == tail_policy::ignore) return make(action::opt_in, kw.optin_message, &kw);
    return make(action::unmatched, rules.default_reply);
  }

  // Rules 4 and 5.
  if (contains(helps, message)) return make(action::company_help, rules.help_reply);
  return make(action::unmatched, rules.default_reply);
}

std::optional<std::string> check_keyword(const std::string& keyword, const company_rules& rules) {
  const std::string n = normalise(keyword);
  if (n.empty()) return "the keyword is empty";
  const std::string quoted = '"' + n + '"';
  if (words(n).size() > 1) return quoted + " is more than one word";
  if (contains(normalise_all(rules.stop_words), n)) return quoted + " is a stop word";
  if (contains(normalise_all(rules.start_words), n)) return quoted + " is a start word";
  if (contains(normalise_all(rules.help_words), n)) return quoted + " is a help word";
  return std::nullopt;
}

const char* to_string(action a) {
  switch (a) {
    case action::company_stop: return "company_stop";
    case action::company_start: return "company_start";
    case action::opt_in: return "opt_in";
    case action::opt_out: return "opt_out";
    case action::keyword_help: return "keyword_help";
    case action::company_help: return "company_help";
    case action::unmatched: return "unmatched";
  }
  return "unknown";
}

}  // namespace smsgw::keywords
