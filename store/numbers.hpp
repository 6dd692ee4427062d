// A company's numbers (virtual numbers and short codes) and the keywords on them, as the
// admin API manages them (PRODUCT.md §1 and §5, API.md `number` and `keyword`). Numbers are
// company-wide, not in a security domain: every user reads them (they send from them),
// admins change them. A keyword belongs to its group's domain: it is read by whoever can
// view that domain, changed by whoever may edit it. Every change is audited.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywords/decide.hpp"
#include "store/id.hpp"

namespace smsgw::store {

/// A number of the company.
struct number_info {
  id number_id = 0;
  std::string number;               ///< a short code as dialled, a virtual number in E.164
  std::string kind;                 ///< `short_code` or `virtual`
  std::optional<std::string> bind;  ///< the SMSC bind that sends from it; nullopt: any
  std::string default_reply;        ///< to unmatched MOs; empty: the company's
  std::string help_reply;           ///< to HELP; empty: the company's
  bool operator==(const number_info&) const = default;
};

/// One page of the actor's company's numbers, by id, after `after`. Any user.
std::vector<number_info> list_numbers(pqxx::transaction_base& t, id actor_user, id after,
                                      int limit);

/// One number of the actor's company; not_found for any other. Any user.
number_info get_number(pqxx::transaction_base& t, id actor_user, id number);

/// The actor's company's number written `number` (a short code as stored, a virtual number
/// in any spelling, read with `default_region`), or nullopt. Any user. For the API's
/// `"number": "4040"` in keyword requests.
std::optional<number_info> find_number(pqxx::transaction_base& t, id actor_user,
                                       std::string_view number, std::string_view default_region);

/// A number to add.
struct new_number_request {
  std::string number;
  std::string kind;                 ///< `short_code` (3 to 8 digits) or `virtual`
  std::optional<std::string> bind;  ///< blank: any bind
  std::string default_reply;
  std::string help_reply;
};

/// Adds a number to the actor's company, audited (`number.create`). Admins only
/// (access_denied). validation_error on `kind`, `number` (a short code is 3 to 8 digits,
/// kept as dialled; a virtual number must be valid and is stored in E.164), `bind`,
/// `default_reply`, `help_reply`. conflict when any company has the number already (in any
/// spelling: routing ignores a `+`); the owner is not named.
number_info create_number(pqxx::transaction_base& t, id actor_user, const new_number_request& n,
                          std::string_view default_region);

/// A change to a number; unset fields stay. The number and its kind do not change: delete
/// it and add the new one.
struct number_patch {
  std::optional<std::optional<std::string>> bind;  ///< nullopt inside (or blank): any bind
  std::optional<std::string> default_reply;
  std::optional<std::string> help_reply;
};

/// Changes a number, audited (`number.update`). Admins only; not_found for another
/// company's. Same validation as create_number.
number_info update_number(pqxx::transaction_base& t, id actor_user, id number,
                          const number_patch& p);

/// Deletes a number and its keywords (they cascade; their ids are in the audit row
/// `number.delete`). Admins only; not_found for another company's. The inbound log and
/// consent trail keep their rows (their keyword ids become null).
void delete_number(pqxx::transaction_base& t, id actor_user, id number);

/// A keyword on a number.
struct keyword_info {
  id keyword_id = 0;
  id number_id = 0;
  std::string number;   ///< as number_info::number
  std::string keyword;  ///< normalised (keywords::normalise)
  id group_id = 0;
  std::string optin_message;
  std::string optout_message;
  std::string help_message;
  keywords::tail_policy tail = keywords::tail_policy::unmatched;
  bool operator==(const keyword_info&) const = default;
};

/// One page of the keywords whose group the actor can view, by id, after `after`, only those
/// on `number_id` and/or for `group_id` when given.
std::vector<keyword_info> list_keywords(pqxx::transaction_base& t, id actor_user,
                                        std::optional<id> number_id, std::optional<id> group_id,
                                        id after, int limit);

/// One keyword; not_found unless the actor can view its group's domain.
keyword_info get_keyword(pqxx::transaction_base& t, id actor_user, id keyword);

/// A keyword to add.
struct new_keyword_request {
  id number_id = 0;
  std::string keyword;
  id group_id = 0;
  std::string optin_message;
  std::string optout_message;
  std::string help_message;
  keywords::tail_policy tail = keywords::tail_policy::unmatched;
};

/// Adds a keyword (live at once), audited (`keyword.create`). Needs Editor on the group's
/// domain (access_denied; admins have it by default); a number of another company or a
/// group the actor cannot view is not_found. validation_error on `keyword` (a stop, start or
/// help word of the company, empty or more than one word: keyword_refusal, named),
/// `group_id` (a users-only group: nobody who texts can join it) and the messages (at most
/// 1600 characters). conflict when the number has that keyword already (named).
keyword_info create_keyword(pqxx::transaction_base& t, id actor_user, const new_keyword_request& k);

/// A change to a keyword; unset fields stay. It stays on its number.
struct keyword_patch {
  std::optional<std::string> keyword;
  std::optional<id> group_id;  ///< Editor needed on both groups' domains
  std::optional<std::string> optin_message;
  std::optional<std::string> optout_message;
  std::optional<std::string> help_message;
  std::optional<keywords::tail_policy> tail;
};

/// Changes a keyword with the checks of create_keyword, audited (`keyword.update`, the
/// keyword text and group with both values). Editor needed on its group's domain.
keyword_info update_keyword(pqxx::transaction_base& t, id actor_user, id keyword,
                            const keyword_patch& p);

/// Deletes a keyword (Editor needed on its group's domain), audited (`keyword.delete`).
/// Its group and members stay.
void delete_keyword(pqxx::transaction_base& t, id actor_user, id keyword);

/// Whether `company` may send from `source` (PRODUCT.md §4): one of its numbers — a short
/// code as stored, a virtual number in any spelling (`+61 412…`, `61412…`, or national
/// `0412…` read with `default_region`) — or exactly one of its alphanumeric sender ids.
/// No actor: the send path asks it for the sender's company.
bool sender_allowed(pqxx::transaction_base& t, id company, std::string_view source,
                    std::string_view default_region = {});

}  // namespace smsgw::store
