// Who is calling: HTTP Basic against the users' Argon2id hashes, a personal API token
// (`Authorization: Bearer`), or the web console's session cookie (with its CSRF token on
// every request that changes something). A keep-alive script must not pay a full Argon2id per
// request, so verified credentials are remembered for a while under a keyed hash that also covers
// the stored hash (a password change anywhere invalidates them); failed logins are limited
// per user and per client address.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "admin/authorization.hpp"
#include "admin/http.hpp"
#include "store/id.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

namespace smsgw::admin {

/// Credentials verified recently. Entries are BLAKE2b hashes keyed with a per-process random
/// key over (username, password, stored hash): nothing in memory reveals a password, and an
/// entry stops matching as soon as the stored hash changes. Thread-safe.
class credential_cache {
 public:
  credential_cache(std::chrono::seconds ttl, std::size_t max_entries);
  /// True when this triple was remembered less than `ttl` ago.
  bool verified(std::string_view username, std::string_view password, std::string_view hash);
  /// Remembers a triple that Argon2id just verified.
  void remember(std::string_view username, std::string_view password, std::string_view hash);

 private:
  [[nodiscard]] std::string key_of(std::string_view username, std::string_view password,
                                   std::string_view hash) const;
  std::chrono::seconds ttl_;
  std::size_t max_entries_;
  std::string secret_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> entries_;
};

/// Failed logins per username and per client address in a fixed window; past a limit the
/// caller is told how long to wait (429 with Retry-After). Thread-safe, bounded in memory.
class login_limiter {
 public:
  login_limiter(int per_user, int per_address, std::chrono::seconds window);
  /// How long `username` from `address` must wait, or nullopt when it may try.
  std::optional<std::chrono::seconds> blocked(std::string_view username, std::string_view address);
  /// Counts a failed login.
  void failed(std::string_view username, std::string_view address);
  /// A successful login clears the user's failures (not the address's).
  void succeeded(std::string_view username);

 private:
  struct window_count {
    std::chrono::steady_clock::time_point start;
    int failures = 0;
  };
  std::optional<std::chrono::seconds> over(const std::string& key, int limit,
                                           std::chrono::steady_clock::time_point now);
  void count(const std::string& key, std::chrono::steady_clock::time_point now);
  int per_user_;
  int per_address_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, window_count> counts_;
};

/// The web console's session cookie: over TLS with the `__Host-` prefix, which a browser
/// only accepts from this very host, Secure and for Path=/ (no sibling domain can plant it).
std::string_view session_cookie(bool secure);
/// The session secret `r` presents in its cookie, if any.
std::optional<std::string> session_secret(const http_request& r);
/// The header in which the console sends its session's CSRF token.
inline constexpr std::string_view csrf_header = "x-csrf-token";

/// Whether `r` changes something (not GET, HEAD or OPTIONS), carries credentials a browser
/// adds by itself (a cookie, or Basic credentials it remembers), and says it comes from
/// another site: `Sec-Fetch-Site` other than same-origin or none, or an `Origin` that is not
/// this host. Such a request is refused whatever its credentials (scripts send neither
/// header; a form on another site cannot leave them out).
bool cross_site(const http_request& r);

/// The outcome of authenticating one request.
struct auth_result {
  std::optional<store::credentials> caller;  ///< set when authenticated
  int status = 401;                          ///< 401, 403 (CSRF) or 429 otherwise
  std::chrono::seconds retry_after{0};       ///< with 429
  const char* reason = "";                   ///< for the log, never with a secret
};

/// Authenticates requests against the store (run on a database thread: Argon2id is slow).
class authenticator {
 public:
  explicit authenticator(store::session_limits sessions = {});
  /// Checks the Authorization header of `r` or, without one, its session cookie; a request
  /// that changes something (not GET, HEAD or OPTIONS) on a session must also carry the
  /// session's CSRF token and, if it names an Origin, come from this host.
  auth_result authenticate(pqxx::transaction_base& t, const http_request& r);
  /// Checks a username and password (the manual's `/import` form fields).
  auth_result check_password(pqxx::transaction_base& t, const std::string& username,
                             const std::string& password, const std::string& client);

  [[nodiscard]] const store::session_limits& sessions() const { return sessions_; }

 private:
  auth_result by_session(pqxx::transaction_base& t, const http_request& r,
                         const std::string& secret);
  store::session_limits sessions_;
  credential_cache cache_;
  login_limiter limiter_;
};

}  // namespace smsgw::admin
