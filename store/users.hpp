// Company users as the admin API manages them (PRODUCT.md §1, API.md `user`): every user
// reads the users of their company; admins create, change and delete them; a user changes
// their own name, number and password. Passwords are stored as Argon2id hashes only and
// never reach the audit trail.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/directory.hpp"

namespace smsgw::store {

/// A user as the API shows them (no password, no hash).
struct user_info {
  id user_id = 0;
  std::string username;
  std::string name;
  role user_role = role::user;
  id personal_domain_id = 0;
  std::optional<std::string> number;  ///< E.164: where the user receives group messages
  bool operator==(const user_info&) const = default;
};

/// What authentication needs to know of a user.
struct credentials {
  id user_id = 0;
  id company = 0;
  role user_role = role::user;
  std::string password_hash;  ///< for verify_password; empty: no password login
};

/// The credentials of the user called `username` (exact, case-sensitive), for the API's
/// authentication; nullopt when there is none. No actor: nobody is logged in yet.
std::optional<credentials> find_credentials(pqxx::transaction_base& t, std::string_view username);

/// One user of the actor's company; not_found for anyone else. Any user may read them.
user_info get_user(pqxx::transaction_base& t, id actor_user, id user);

/// One page of the actor's company's users, by id, after `after` (0: from the start). Any
/// user may list them.
std::vector<user_info> list_users(pqxx::transaction_base& t, id actor_user, id after, int limit);

/// A user to create.
struct new_user_request {
  std::string username;  ///< 1 to 90 characters of `A-Z a-z 0-9 . _ @ -` (see users.cpp)
  std::string name;      ///< trimmed, at most 100 characters; may be empty
  role user_role = role::user;
  std::string password;               ///< 8 to 1000 characters
  std::optional<std::string> number;  ///< read with the default region; empty: none
};

/// Creates a user in the actor's company with their personal domain (store::create_user),
/// audited (`user.create`). Admins only (access_denied); a group admin may not create a
/// company admin (access_denied). validation_error on `username`, `name`, `password` or
/// `number` (every issue at once); conflict when the username is taken (in any company:
/// usernames are global, they are the login).
user_info create_user_as(pqxx::transaction_base& t, id actor_user, const new_user_request& u,
                         std::string_view default_region);

/// A change to a user; unset fields stay.
struct user_patch {
  std::optional<std::string> name;
  std::optional<role> user_role;
  std::optional<std::optional<std::string>> number;  ///< nullopt inside (or blank): no number
  std::optional<std::string> password;               ///< the new password (8 to 1000 characters)
};

/// Changes a user of the actor's company (not_found for others), audited as `user.update`
/// with the names of the changed fields (a number and a role with their old and new value;
/// never a password). A user may change their own name, number and password; changing
/// another user or any role needs an admin (access_denied). A group admin may neither
/// change a company admin nor make anyone one (access_denied). The company's last company
/// admin cannot be demoted (conflict). A new password revokes the user's live API tokens.
user_info update_user(pqxx::transaction_base& t, id actor_user, id user, const user_patch& p,
                      std::string_view default_region);

/// Deletes a user of the actor's company (store::delete_user: grants and memberships go,
/// a non-empty personal domain stays as a custom domain), audited. Admins only
/// (access_denied); a group admin may not delete a company admin (access_denied); nobody
/// deletes themselves (validation_error on `id`); the last company admin stays (conflict).
/// not_found for a user of another company.
void delete_user_as(pqxx::transaction_base& t, id actor_user, id user);

}  // namespace smsgw::store
