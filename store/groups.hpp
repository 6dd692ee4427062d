// Groups (PRODUCT.md §3): typed, nested without cycles, read and changed through the
// reader's domain access; memberships audited. Like the whole store, these expect READ
// COMMITTED transactions (pqxx::work): the cycle and type checks of migration 002 take their
// locks first and rely on each later statement seeing what committed meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "store/directory.hpp"

namespace smsgw::store {

/// Members of a group, by kind, as the reader can see them.
struct member_counts {
  std::int64_t contacts = 0;
  std::int64_t users = 0;
  std::int64_t groups = 0;
  bool operator==(const member_counts&) const = default;
};

/// A group as its reader sees it (API.md `group`).
struct group {
  id group_id = 0;
  std::string system_id;  ///< `G#<id>`, assigned
  std::string name;
  std::optional<std::string> alias;
  std::optional<std::string> public_id;
  id domain_id = 0;
  group_type type = group_type::contacts_only;
  std::optional<member_counts> counts;  ///< direct members the reader can see (get_group)
  bool operator==(const group&) const = default;
};

/// A group to create.
struct new_group {
  id domain = 0;
  std::string name;
  group_type type = group_type::contacts_only;
  std::string alias;      ///< empty: none; same rules as a contact's alias
  std::string public_id;  ///< empty: none
};

/// A change to a group; unset fields stay. An empty alias or public id removes it.
struct group_patch {
  std::optional<std::string> name;
  std::optional<std::string> alias;
  std::optional<std::string> public_id;
  std::optional<group_type> type;  ///< must fit its members and the groups it is in
  std::optional<id> domain;        ///< moves the group (Editor needed on both)
};

/// Creates a group as `actor_user` (Editor needed on the domain). conflict when the alias or
/// public id is taken in the company.
group create_group(pqxx::transaction_base& t, id actor_user, const new_group& g);

/// One group with its visible member counts; not_found unless the reader can view its
/// domain.
group get_group(pqxx::transaction_base& t, id actor_user, id group_id);

/// The group as `reader` sees it, without counts (cheap), or not_found.
group visible_group(pqxx::transaction_base& t, id reader, id group_id);

/// How a group is named from outside (the manual's import: absid, alias, name).
enum class group_key { system_id, alias, public_id, name };

/// The group the reader can view with that key, or nullopt. A name shared by several visible
/// groups is a conflict (the manual: names are not a reliable key).
std::optional<group> find_group(pqxx::transaction_base& t, id actor_user, group_key key,
                                std::string_view value);

/// One page of the groups the reader can view, by id, after `after`.
std::vector<group> list_groups(pqxx::transaction_base& t, id actor_user, id after, int limit);

/// Up to `limit` visible groups whose name or alias starts with `prefix` (case-insensitive),
/// by name then id: the autocompleter's group recipients.
std::vector<group> search_groups(pqxx::transaction_base& t, id actor_user, std::string_view prefix,
                                 int limit);

/// Changes a group (Editor needed); the answer's second part are warnings.
std::pair<group, std::vector<std::string>> update_group(pqxx::transaction_base& t, id actor_user,
                                                        id group_id, const group_patch& p);

/// Deletes a group (Editor needed; audited). conflict while a keyword adds members to it.
void delete_group(pqxx::transaction_base& t, id actor_user, id group_id);

/// Members to add or remove, by id.
struct member_ids {
  std::vector<id> contacts;
  std::vector<id> users;
  std::vector<id> groups;
};

/// What adding members did.
struct membership_change {
  std::int64_t changed = 0;           ///< memberships added (or removed), not counting repeats
  std::vector<std::string> warnings;  ///< members from other security domains
};

/// Adds members to a group (Editor needed on the group's domain; contacts and groups must be
/// visible to the actor, users of the same company), audited. validation_error when the
/// group's type refuses a member; conflict when a nested group would contain the group.
membership_change add_members(pqxx::transaction_base& t, id actor_user, id group_id,
                              const member_ids& m);

/// Removes members from a group (Editor needed), audited; members the actor cannot see are
/// not_found.
membership_change remove_members(pqxx::transaction_base& t, id actor_user, id group_id,
                                 const member_ids& m);

/// The kind of a member, in the order member lists give them.
enum class member_type { group, user, contact };
const char* to_string(member_type m);

/// One member as a list shows it (API.md `member`).
struct member {
  member_type type = member_type::contact;
  id member_id = 0;
  std::string name;
  std::optional<std::string> number;  ///< contacts and users
  std::optional<id> domain_id;        ///< contacts and groups
  bool operator==(const member&) const = default;
};

/// Where a member list page starts: after this member.
struct member_cursor {
  member_type type = member_type::group;
  id after = 0;
  bool operator==(const member_cursor&) const = default;
};

/// One page of members.
struct member_page {
  std::vector<member> items;
  std::optional<member_cursor> next;  ///< nullopt: the last page
};

/// The direct members of a group the reader can see: groups, then users, then contacts, each
/// by id. Contacts and groups in domains the reader cannot view are left out, as if absent.
member_page list_members(pqxx::transaction_base& t, id actor_user, id group_id,
                         std::optional<member_cursor> from, int limit);

}  // namespace smsgw::store
