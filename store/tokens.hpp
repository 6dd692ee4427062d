// Personal API tokens: a user's scripts authenticate with a token instead of the password
// (HTTP `Authorization: Bearer smsgw_…`). A token acts as its user, with the user's role at
// the time of each request. Only a hash of it is stored (migration 005); the secret is shown
// once, when it is created.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/users.hpp"

namespace smsgw::store {

/// A token just created: the secret itself is only ever here.
struct new_token {
  id token_id = 0;
  std::string token;  ///< `smsgw_` and 43 characters of URL-safe base64 (32 random bytes)
};

/// Creates a token for the actor, named `name` (trimmed, 1 to 100 characters: validation_error
/// on `name`), audited (`token.create`, with the name, never the token). Any user, for
/// themselves; conflict beyond 50 live (unrevoked) tokens per user.
new_token create_token(pqxx::transaction_base& t, id actor_user, std::string_view name);

/// The user a live token belongs to, or nullopt (unknown, malformed or revoked), with an
/// empty password_hash: a token is no password. Records when it was last used, at most once
/// a minute, so that every request does not write a row.
std::optional<credentials> find_token(pqxx::transaction_base& t, std::string_view token);

/// A token as its owner lists it: never the secret, which is not stored.
struct token_info {
  id token_id = 0;
  std::string name;
  std::string created_at;                   ///< ISO 8601, UTC
  std::optional<std::string> last_used_at;  ///< ISO 8601, UTC; to the minute (find_token)
  std::optional<std::string> revoked_at;    ///< ISO 8601, UTC
  bool operator==(const token_info&) const = default;
};

/// The actor's own tokens, revoked ones included, by id.
std::vector<token_info> list_tokens(pqxx::transaction_base& t, id actor_user);

/// Revokes a token (at once: find_token no longer knows it), audited (`token.revoke`). Its
/// owner may, and admins for any token of their company; not_found for any other token.
/// False when it was revoked already.
bool revoke_token(pqxx::transaction_base& t, id actor_user, id token);

}  // namespace smsgw::store
