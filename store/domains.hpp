// Security domains (PRODUCT.md §2): custom domains created, renamed, emptied and deleted,
// their enabled contact properties and visible columns, and merging one into another.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/directory.hpp"

namespace smsgw::store {

/// What a domain is (API.md `kind`).
enum class domain_kind { shared, personal, user, custom };
const char* to_string(domain_kind k);

/// A domain as its reader sees it.
struct domain {
  id domain_id = 0;
  std::string name;
  domain_kind kind = domain_kind::custom;
  std::optional<id> owner;                   ///< personal domains only
  std::vector<std::string> properties;       ///< enabled contact properties (tags), in order
  std::vector<std::string> visible_columns;  ///< contact columns shown, in order
  access my_access;                          ///< the reader's effective access
};

/// A custom domain to create.
struct new_domain {
  std::string name;
  std::vector<std::string> properties;
  std::vector<std::string> visible_columns;
};

/// Creates a custom domain; its creator gets an explicit Editor grant (audited). Any user may.
/// validation_error for a bad name, property or column; conflict when the name is taken.
id create_domain(pqxx::transaction_base& t, id actor_user, const new_domain& d);

/// One domain; not_found unless the reader sees it (admins see every non-personal domain).
domain get_domain(pqxx::transaction_base& t, id actor_user, id domain_id);

/// The domains the reader sees (as get_domain), by id.
std::vector<domain> list_domains(pqxx::transaction_base& t, id actor_user);

/// Renames a custom domain (Editor needed; built-in domains keep their names).
void rename_domain(pqxx::transaction_base& t, id actor_user, id domain_id, const std::string& name);

/// Replaces the enabled properties and visible columns (Editor needed). A property names a
/// custom field (`[a-z][a-z0-9_]*`, at most 40 characters; `email` stands for the contact's
/// email column); a visible column is a standard column (name, number, alias, email,
/// public_id, system_id) or an enabled property. Disabling a property keeps the values
/// contacts have for it.
void set_domain_columns(pqxx::transaction_base& t, id actor_user, id domain_id,
                        const std::vector<std::string>& properties,
                        const std::vector<std::string>& visible_columns);

/// Deletes an empty custom domain (Editor needed; audited); conflict while it holds contacts
/// or groups.
void delete_domain(pqxx::transaction_base& t, id actor_user, id domain_id);

/// What a merge did.
struct merge_result {
  std::int64_t moved_contacts = 0;
  std::int64_t folded_contacts = 0;  ///< had the number of a contact already in the target
  std::int64_t moved_groups = 0;
  bool operator==(const merge_result&) const = default;
};

/// Moves every contact and group of custom domain `from` into `into` and deletes `from`, in
/// the caller's transaction (so all or nothing), audited. Editor needed on both. A contact
/// whose number is already in `into` is folded into that contact: its memberships move to
/// it, and it fills the fields that contact lacks (its tags too, the target's winning). The
/// target's properties and visible columns gain those of `from`; grants on `from` go with
/// it.
merge_result merge_domains(pqxx::transaction_base& t, id actor_user, id from, id into);

}  // namespace smsgw::store
