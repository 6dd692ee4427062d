// Creating the objects of a company: the company with its built-in domains, users with
// their personal domains, groups, numbers and keywords. Every function runs inside the
// caller's transaction and returns the new row's id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "keywords/decide.hpp"
#include "store/id.hpp"

namespace smsgw::store {

/// Creates a company with its `Shared` and `User` domains. Throws pqxx::unique_violation
/// when the name is taken.
id create_company(pqxx::transaction_base& t, const std::string& name);

/// The id of the company called `name`, if any.
std::optional<id> find_company(pqxx::transaction_base& t, const std::string& name);

/// User roles (PRODUCT.md §1).
enum class role { company_admin, group_admin, user };
const char* to_string(role r);
/// `company_admin`, `group_admin` or `user`; nullopt for anything else.
std::optional<role> parse_role(std::string_view text);

/// A new user.
struct new_user {
  std::string username;
  std::string name;
  role user_role = role::user;
  std::string password_hash;  ///< from hash_password(); empty: cannot log in
};

/// Creates a user and the user's personal domain (named after the username).
id create_user(pqxx::transaction_base& t, id company, const new_user& u);

/// Deletes `user` of `company` (their grants and memberships go with them), recorded as
/// done by `actor`. The personal domain goes too when empty; one that still holds contacts
/// or groups becomes the custom domain "Former user NAME #ID", which admins see by default
/// and users do not. False when there is no such user; std::invalid_argument when `actor`
/// is `user`.
bool delete_user(pqxx::transaction_base& t, id company, id user, std::optional<id> actor);

/// Sets the number `user` receives group messages on (E.164, e.g. from to_e164; nullopt:
/// none).
void set_user_number(pqxx::transaction_base& t, id user, const std::optional<std::string>& number);

/// The built-in domain of `kind` (`shared` or `user`) of a company.
id builtin_domain(pqxx::transaction_base& t, id company, const std::string& kind);

/// Group types (PRODUCT.md §3).
enum class group_type { contacts_only, users_only, users_and_contacts };
const char* to_string(group_type g);

/// Creates a group in `domain`.
id create_group(pqxx::transaction_base& t, id company, id domain, const std::string& name,
                group_type type = group_type::contacts_only);

/// Adds a virtual number (E.164) or short code, optionally tied to one SMSC bind.
id add_number(pqxx::transaction_base& t, id company, const std::string& number,
              const std::string& kind, const std::optional<std::string>& bind = std::nullopt);

/// A keyword on a number, adding its members to `group`.
struct new_keyword {
  id number = 0;
  std::string keyword;
  id group = 0;
  std::string optin_message;
  std::string optout_message;
  std::string help_message;
  keywords::tail_policy tail = keywords::tail_policy::unmatched;
};

/// Why `keyword` cannot be configured in `company`, or nullopt: keywords::check_keyword
/// against the company's stop and start words and the help words (PRODUCT.md §5: a keyword
/// that is itself one is refused), the one place every keyword write asks. Takes a share lock
/// on the company row until commit, so a concurrent change of the stop or start words
/// (update_company) waits, then sees this keyword.
std::optional<std::string> keyword_refusal(pqxx::transaction_base& t, id company,
                                           const std::string& keyword);

/// Saves a keyword (live at once). Refuses, with std::invalid_argument, a keyword that is
/// a stop, start or help word of the company, more than one word, or a group of another
/// company or of a type that cannot hold contacts.
id add_keyword(pqxx::transaction_base& t, const new_keyword& k);

}  // namespace smsgw::store
