// The company's settings (PRODUCT.md §1 and §5, API.md `/api/v1/company`): its stop and start
// words and how stop words match, the replies the keyword engine sends, the default import
// key and its alphanumeric sender ids. Every user reads them; admins change them, audited.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/id.hpp"

namespace smsgw::store {

/// A company's settings.
struct company_settings {
  id company_id = 0;
  std::string name;
  std::vector<std::string> stop_words;   ///< normalised (keywords::normalise), one word each
  std::vector<std::string> start_words;  ///< likewise
  std::string stop_matching;             ///< `first_word` or `whole_message`
  std::string stop_reply;
  std::string start_reply;
  std::string help_reply;     ///< never empty (PRODUCT.md §5 rule 4); a number may override it
  std::string contact_key;    ///< `number`, `name`, `email`, `alias`, `publicid` or `systemid`
  std::string default_reply;  ///< to unmatched MOs on numbers without their own; empty: none
  std::vector<std::string> sender_ids;  ///< alphanumeric sender ids it may send from
  bool operator==(const company_settings&) const = default;
};

/// A change to the settings; unset fields stay.
struct company_patch {
  std::optional<std::string> name;  ///< 1 to 200 characters, unique among companies
  std::optional<std::vector<std::string>> stop_words;
  std::optional<std::vector<std::string>> start_words;
  std::optional<std::string> stop_matching;
  std::optional<std::string> stop_reply;
  std::optional<std::string> start_reply;
  std::optional<std::string> help_reply;
  std::optional<std::string> contact_key;
  std::optional<std::string> default_reply;
  std::optional<std::vector<std::string>> sender_ids;
};

/// The settings of the actor's company; any user may read them.
company_settings get_company(pqxx::transaction_base& t, id actor_user);

/// Changes the settings of the actor's company, audited as `company.update` with the
/// changed fields (word lists and sender ids with both values). Admins only
/// (access_denied). validation_error, every issue at once, with the field as in the API
/// (`stop_words[2]`): word lists must be non-empty, each entry one word after normalisation,
/// not repeated, not a help word (HELP, INFO), and no word both a stop and a start word;
/// `stop_matching` and `contact_key` one of their values; the stop, start and help replies
/// not empty (the confirmations of rules 1 and 2 are always sent, rule 4's help text may
/// change but not go) and replies at most 1600 characters; sender ids 1 to 11 characters of
/// `A-Z a-z 0-9`, space and `.-_&` with at least one letter. conflict when a new stop or start
/// word is already a keyword of the company (the keyword is named: change it first), or the
/// name is another company's.
company_settings update_company(pqxx::transaction_base& t, id actor_user, const company_patch& p);

}  // namespace smsgw::store
