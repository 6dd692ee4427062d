// Personal API tokens: a user's scripts authenticate with a token instead of the password
// (HTTP `Authorization: Bearer smsgw_…`). A token acts as its user, with the user's role at
// the time of each request. Only a hash of it is stored (migration 005); the secret is shown
// once, when it is created.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/users.hpp"

namespace smsgw::store {

/// Web console sessions (migration 008): what a signed-in browser holds in its cookie instead
/// of the password. Made like a token (32 random bytes, only a hash stored), and ended by
/// sign-out, idleness, an absolute lifetime, a new password or the user's deletion.
struct session_limits {
  std::chrono::seconds idle{std::chrono::hours(2)};       ///< ends this long after last use
  std::chrono::seconds lifetime{std::chrono::hours(12)};  ///< ends this long after sign-in
};

/// A session just begun: the secret (for the cookie) is only ever here.
struct new_session {
  std::string secret;  ///< `smsgws_` and 43 characters of URL-safe base64
  std::string csrf;    ///< the session's CSRF token (csrf_token(secret))
};

/// Begins a session for a user who just proved their password, audited (`session.begin`).
/// Ends the user's expired sessions and, past 20 live ones, the oldest.
new_session begin_session(pqxx::transaction_base& t, id user, const session_limits& limits);

/// The user of a live session, or nullopt (unknown, malformed, idle too long, expired), with
/// an empty password_hash. Records the use at most once a minute.
std::optional<credentials> find_session(pqxx::transaction_base& t, std::string_view secret,
                                        const session_limits& limits);

/// Ends a session (sign-out); false when it was not live.
bool end_session(pqxx::transaction_base& t, std::string_view secret);

/// The CSRF token of a session: derived from its secret by a one-way hash, so the console's
/// script can hold it (and send it in a header) while the secret stays in an HttpOnly
/// cookie, and no other site can know it.
std::string csrf_token(std::string_view secret);

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
