// The keyword engine: a pure function from an MO and the rules in force to a decision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smsgw::keywords {

/// What to do with the words after a keyword that are neither a stop nor a help word.
enum class tail_policy { unmatched, ignore };

/// How company stop words are matched.
enum class stop_matching { first_word, whole_message };

/// One keyword on one company number (PRODUCT.md §5 rule 3).
struct keyword_rule {
  std::int64_t id = 0;
  std::string keyword;  ///< as configured; compared after normalise()
  std::int64_t group_id = 0;
  std::string optin_message;
  std::string optout_message;
  std::string help_message;
  tail_policy tail = tail_policy::unmatched;
};

/// The company-level rules that apply to a destination number.
struct company_rules {
  std::vector<std::string> stop_words{"STOP", "CANCEL", "QUIT", "UNSUBSCRIBE", "END"};
  std::vector<std::string> start_words{"START", "UNSTOP"};
  std::vector<std::string> help_words{"HELP", "INFO"};
  stop_matching stop_match = stop_matching::first_word;
  std::string stop_reply;              ///< confirmation of a company-level stop
  std::string start_reply;             ///< confirmation of a start
  std::string help_reply;              ///< the number's (or company's) help message
  std::string default_reply;           ///< reply to an unmatched MO; empty = none
  std::vector<keyword_rule> keywords;  ///< the keywords configured on this number
};

/// What the engine decided.
enum class action {
  company_stop,   ///< suppress the sender company-wide, confirm
  company_start,  ///< lift the suppression, confirm
  opt_in,         ///< add to the keyword's group, lift suppression, send opt-in message
  opt_out,        ///< remove from the keyword's group, send opt-out message
  keyword_help,   ///< send the keyword's help message
  company_help,   ///< send the number's help message
  unmatched,      ///< log only, default reply if any
};

/// The decision: the action, the keyword it concerns (for keyword actions) and the reply
/// text (empty when nothing is to be sent).
struct decision {
  action what = action::unmatched;
  std::optional<keyword_rule> keyword;
  std::string reply;
};

/// Applies PRODUCT.md §5 rules 1-5, in order, to an MO text (UTF-8, not yet normalised).
decision decide(const std::string& text, const company_rules& rules);

/// Why a keyword cannot be configured: it is itself a stop, start or help word, or empty
/// or more than one word after normalisation. nullopt when it is acceptable.
std::optional<std::string> check_keyword(const std::string& keyword, const company_rules& rules);

/// A stable lower-case name for logs and the inbound log (`opt_in`, `company_stop`, ...).
const char* to_string(action a);

}  // namespace smsgw::keywords
