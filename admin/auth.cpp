#include "admin/auth.hpp"

#include <sodium.h>

#include <cctype>
#include <stdexcept>

#include "store/password.hpp"
#include "store/tokens.hpp"

namespace smsgw::admin {
namespace {

// Limits on failed logins: enough for a person mistyping, far too few for guessing.
constexpr int failures_per_user = 10;
constexpr int failures_per_address = 50;
constexpr auto failure_window = std::chrono::minutes(5);
constexpr auto verified_ttl = std::chrono::minutes(5);
constexpr std::size_t max_verified = 10000;
constexpr std::size_t max_counted = 100000;

// A hash to verify against when the user does not exist, so that an unknown name costs the
// same Argon2id time as a wrong password and names cannot be probed by timing.
const std::string& dummy_hash() {
  static const std::string h = store::hash_password("not a password of anybody");
  return h;
}

}  // namespace

credential_cache::credential_cache(std::chrono::seconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries), secret_(crypto_generichash_KEYBYTES, '\0') {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  randombytes_buf(secret_.data(), secret_.size());
}

std::string credential_cache::key_of(std::string_view username, std::string_view password,
                                     std::string_view hash) const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, reinterpret_cast<const unsigned char*>(secret_.data()),
                          secret_.size(), crypto_generichash_BYTES);
  // Lengths first, so that no two different triples feed the same bytes.
  for (const auto part : {username, password, hash}) {
    const std::uint64_t n = part.size();
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size());
  }
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

bool credential_cache::verified(std::string_view username, std::string_view password,
                                std::string_view hash) {
  const auto key = key_of(username, password, hash);
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (std::chrono::steady_clock::now() - it->second > ttl_) {
    entries_.erase(it);
    return false;
  }
  return true;
}

void credential_cache::remember(std::string_view username, std::string_view password,
                                std::string_view hash) {
  auto key = key_of(username, password, hash);
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [&](const auto& e) { return now - e.second > ttl_; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[std::move(key)] = now;
}

login_limiter::login_limiter(int per_user, int per_address, std::chrono::seconds window)
    : per_user_(per_user), per_address_(per_address), window_(window) {}

std::optional<std::chrono::seconds> login_limiter::over(const std::string& key, int limit,
                                                        std::chrono::steady_clock::time_point now) {
  const auto it = counts_.find(key);
  if (it == counts_.end()) return std::nullopt;
  const auto ends = it->second.start + window_;
  if (now >= ends) {
    counts_.erase(it);
    return std::nullopt;
  }
  if (it->second.failures < limit) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(ends - now);
}

std::optional<std::chrono::seconds> login_limiter::blocked(std::string_view username,
                                                           std::string_view address) {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  auto wait = over("u:" + std::string(username), per_user_, now);
  const auto by_address = over("a:" + std::string(address), per_address_, now);
  if (!wait || (by_address && *by_address > *wait)) wait = by_address;
  return wait;
}

void login_limiter::count(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto& c = counts_[key];
  if (c.failures == 0 || now >= c.start + window_) c = {now, 0};
  ++c.failures;
}

void login_limiter::failed(std::string_view username, std::string_view address) {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  if (counts_.size() >= max_counted) {
    std::erase_if(counts_, [&](const auto& e) { return now >= e.second.start + window_; });
    if (counts_.size() >= max_counted) counts_.clear();
  }
  count("u:" + std::string(username), now);
  count("a:" + std::string(address), now);
}

void login_limiter::succeeded(std::string_view username) {
  const std::lock_guard lock(mutex_);
  counts_.erase("u:" + std::string(username));
}

authenticator::authenticator(store::session_limits sessions)
    : sessions_(sessions),
      cache_(verified_ttl, max_verified),
      limiter_(failures_per_user, failures_per_address, failure_window) {}

auth_result authenticator::check_password(pqxx::transaction_base& t, const std::string& username,
                                          const std::string& password, const std::string& client) {
  if (const auto wait = limiter_.blocked(username, client)) {
    return {std::nullopt, 429, *wait, "too many failed logins"};
  }
  const auto found = store::find_credentials(t, username);
  if (found && !found->password_hash.empty() &&
      cache_.verified(username, password, found->password_hash)) {
    return {found, 200, {}, ""};
  }
  // Argon2id on this (database) thread, never on the network thread.
  const bool ok = found && !found->password_hash.empty()
                      ? store::verify_password(found->password_hash, password)
                      : (store::verify_password(dummy_hash(), password), false);
  if (!ok) {
    limiter_.failed(username, client);
    return {std::nullopt, 401, {}, found ? "wrong password" : "unknown user"};
  }
  cache_.remember(username, password, found->password_hash);
  limiter_.succeeded(username);
  return {found, 200, {}, ""};
}

std::string_view session_cookie(bool secure) {
  return secure ? "__Host-smsgw_session" : "smsgw_session";
}

std::optional<std::string> session_secret(const http_request& r) {
  const auto cookies = r.header("cookie");
  return cookies ? parse_cookie(*cookies, session_cookie(r.secure)) : std::nullopt;
}

namespace {
// Whether `r` may change something: any method but GET, HEAD and OPTIONS.
bool changes_something(const http_request& r) {
  return r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS";
}
}  // namespace

bool cross_site(const http_request& r) {
  if (!changes_something(r)) return false;
  if (!r.header("cookie") && !r.header("authorization")) return false;
  if (const auto site = r.header("sec-fetch-site")) {
    if (*site != "same-origin" && *site != "none") return true;
  }
  if (const auto origin = r.header("origin")) {
    const auto host = r.header("host").value_or("");
    const auto scheme_end = origin->find("://");
    if (scheme_end == std::string_view::npos || origin->substr(scheme_end + 3) != host) {
      return true;
    }
  }
  return false;
}

auth_result authenticator::by_session(pqxx::transaction_base& t, const http_request& r,
                                      const std::string& secret) {
  // No failure limit: a session secret is 256 random bits, nothing to guess, and a browser
  // presents its stale cookie (idle sessions end long before their cookie) with every
  // request; counting those would lock out a whole office behind one address.
  auto found = store::find_session(t, secret, sessions_);
  if (!found) return {std::nullopt, 401, {}, "unknown or expired session"};
  if (!changes_something(r)) return {std::move(found), 200, {}, ""};
  // A change made with the cookie must come from the console itself: only the console's
  // script knows the token.
  const auto sent = r.header(csrf_header).value_or("");
  const auto expected = store::csrf_token(secret);
  if (sent.size() != expected.size() ||
      sodium_memcmp(sent.data(), expected.data(), expected.size()) != 0) {
    return {std::nullopt, 403, {}, "missing or wrong CSRF token"};
  }
  return {std::move(found), 200, {}, ""};
}

auth_result authenticator::authenticate(pqxx::transaction_base& t, const http_request& r) {
  const auto header = r.header("authorization");
  if (!header) {
    if (auto secret = session_secret(r)) return by_session(t, r, *secret);
    return {std::nullopt, 401, {}, "no credentials"};
  }
  if (auto basic = parse_basic(*header)) {
    return check_password(t, basic->username, basic->password, r.client);
  }
  if (auto token = parse_bearer(*header)) {
    // Tokens have no user name to count under: failures count per address only.
    const std::string key = "token@" + r.client;
    if (const auto wait = limiter_.blocked(key, r.client)) {
      return {std::nullopt, 429, *wait, "too many failed logins"};
    }
    if (auto found = store::find_token(t, *token)) return {found, 200, {}, ""};
    limiter_.failed(key, r.client);
    return {std::nullopt, 401, {}, "unknown token"};
  }
  return {std::nullopt, 401, {}, "unsupported authorization scheme"};
}

}  // namespace smsgw::admin
