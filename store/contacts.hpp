// Contacts (PRODUCT.md §3): validated as the manual says, numbers in E.164, read and changed
// only through the reader's domain access (a contact in a domain the reader cannot view is
// "not found"; changes need Editor).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/id.hpp"

namespace smsgw::store {

/// A contact as its reader sees it (API.md `contact`).
struct contact {
  id contact_id = 0;
  std::string system_id;  ///< `C#<id>`, assigned
  std::string name;
  std::string number;  ///< E.164 (contacts that opted in by SMS: as the SMSC gave it)
  std::optional<std::string> alias;
  std::optional<std::string> email;
  std::optional<std::string> public_id;
  id domain_id = 0;
  std::vector<id> groups;  ///< the groups it is in that the reader can see, by id
  std::map<std::string, std::string> tags;
  bool operator==(const contact&) const = default;
};

/// A contact to create. Text fields are normalised (see store/fields.hpp); the number is
/// read with `default_region` for national input.
struct new_contact {
  id domain = 0;
  std::string name;
  std::string number;
  std::string alias;                        ///< empty: none
  std::string email;                        ///< empty: none
  std::string public_id;                    ///< empty: none
  std::map<std::string, std::string> tags;  ///< keys: the domain's enabled properties
  std::vector<id> groups;                   ///< at least one
};

/// A change to a contact; unset fields stay. An empty alias, email or public id removes it.
struct contact_patch {
  std::optional<std::string> name;
  std::optional<std::string> number;
  std::optional<std::string> alias;
  std::optional<std::string> email;
  std::optional<std::string> public_id;
  std::optional<id> domain;  ///< moves the contact (Editor needed on both domains)
  std::optional<std::map<std::string, std::string>> tags;  ///< replaces every tag
};

/// A contact after a change, with warnings (members mixing domains).
struct contact_result {
  contact value;
  std::vector<std::string> warnings;
};

/// Creates a contact in `c.domain` and adds it to `c.groups`. Needs Editor on the contact's
/// domain and on each group's domain. validation_error lists every bad field; conflict for a
/// number already in the domain or a public id already in the company.
contact_result create_contact(pqxx::transaction_base& t, id actor_user, const new_contact& c,
                              std::string_view default_region);

/// One contact; not_found unless the reader can view its domain.
contact get_contact(pqxx::transaction_base& t, id actor_user, id contact_id);

/// The contact with system id `C#<n>`, as get_contact.
contact get_contact_by_system_id(pqxx::transaction_base& t, id actor_user,
                                 std::string_view system_id);

/// Changes a contact (Editor needed); same rules as create_contact.
contact_result update_contact(pqxx::transaction_base& t, id actor_user, id contact_id,
                              const contact_patch& p, std::string_view default_region);

/// Deletes a contact and its memberships (Editor needed; audited).
void delete_contact(pqxx::transaction_base& t, id actor_user, id contact_id);

/// Which contacts a list shows.
struct contact_filter {
  std::optional<id> domain;  ///< only this domain
  /// Tag name (case-insensitive) whose value equals this one (case-insensitive).
  std::optional<std::pair<std::string, std::string>> tag;
};

/// One page of the contacts the reader can view, by id, after `after` (0: from the start).
std::vector<contact> list_contacts(pqxx::transaction_base& t, id actor_user,
                                   const contact_filter& f, id after, int limit);

/// The recipient autocompleter: up to `limit` contacts the reader can view whose name, alias
/// or a tag value has a word starting with `query` (case-insensitive; "Don" and "Tru" both
/// find "Donald Trump"), or whose number starts with the query's digits (with or without
/// +, or in the national form of `default_region`: "0412" finds +61412…); ordered by the
/// first matching text, then id. With a filter, the matches among the best
/// `filtered_search_candidates` that pass it.
std::vector<contact> search_contacts(pqxx::transaction_base& t, id actor_user,
                                     std::string_view query, int limit,
                                     std::string_view default_region, const contact_filter& f = {});

/// How many of the best matches a filtered search looks at.
constexpr int filtered_search_candidates = 1000;

}  // namespace smsgw::store
