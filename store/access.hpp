// Security-domain access (PRODUCT.md §2). The rules live in SQL, in effective_access() of
// migration 002; this file only asks it, and manages the grants it reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "store/directory.hpp"

namespace smsgw::store {

/// Access levels, ordered.
enum class access_level { none, viewer, editor };
const char* to_string(access_level l);
/// `none`, `viewer` or `editor`; nullopt for anything else.
std::optional<access_level> parse_access_level(std::string_view text);

/// A user's effective access to one domain.
struct access {
  access_level level = access_level::none;
  bool is_default = true;  ///< false only for an explicit grant to the user ("Editor", not
                           ///< "Editor (Default)")
  std::string source;      ///< `explicit`, `group:ID`, `role`, `owner` or `shared` (API.md)
  bool operator==(const access&) const = default;
};

/// The user acting on the store, as the company's data knows them.
struct actor {
  id user_id = 0;
  id company = 0;
  role user_role = role::user;
  [[nodiscard]] bool is_admin() const { return user_role != role::user; }
};

/// The user `user`; throws not_found when there is none.
actor load_actor(pqxx::transaction_base& t, id user);

/// `user`'s access to one domain of their company (not_found for any other domain).
access access_to(pqxx::transaction_base& t, id user, id domain);

/// `user`'s access to every domain of their company, by domain id.
std::vector<std::pair<id, access>> effective_accesses(pqxx::transaction_base& t, id user);

/// Every user's access to `domain`, by user id, for the domain's Accesses tab. The actor must
/// see the domain (viewer) or be an admin.
std::vector<std::pair<id, access>> domain_accesses(pqxx::transaction_base& t, id actor_user,
                                                   id domain);

/// Throws not_found when `user` cannot see `domain` (or it is in another company) and
/// access_denied when the access is below `needed`.
void require_access(pqxx::transaction_base& t, id user, id domain, access_level needed);

/// Who a grant is for: a user, or a group of users (its members, directly or nested).
struct grantee {
  enum class kind { user, group };
  kind what = kind::user;
  id target = 0;
  bool operator==(const grantee&) const = default;
};

/// One stored grant.
struct grant {
  grantee who;
  access_level level = access_level::none;
  std::optional<id> granted_by;
  bool operator==(const grant&) const = default;
};

/// Sets (creates or replaces) the grant of `domain` to `who`, as `actor_user`, and audits it.
/// The actor needs Editor on the domain or an admin role. Refused: personal domains
/// (validation_error: their access is fixed), a grantee of another company (not_found), a
/// group outside the company's User domain or one that cannot hold users
/// (validation_error: see grant_to_group_rule in access.cpp).
void set_grant(pqxx::transaction_base& t, id actor_user, id domain, const grantee& who,
               access_level level);

/// Removes the grant of `domain` to `who` (audited); false when there was none.
bool remove_grant(pqxx::transaction_base& t, id actor_user, id domain, const grantee& who);

/// The grants stored on `domain` (users first, then groups, by id). Same access as
/// domain_accesses.
std::vector<grant> list_grants(pqxx::transaction_base& t, id actor_user, id domain);

}  // namespace smsgw::store
