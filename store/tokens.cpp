#include "store/tokens.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <pqxx/pqxx>
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

constexpr std::string_view token_prefix = "smsgw_";
constexpr std::string_view session_prefix = "smsgws_";
constexpr std::size_t secret_bytes = 32;
// URL-safe base64 of 32 bytes without padding: 43 characters.
constexpr std::size_t encoded_length = 43;
constexpr int max_live_tokens = 50;
constexpr int max_live_sessions = 20;

void init_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

// The stored form of a token: BLAKE2b-256 of all of it, in hex for the query. A fast hash is
// enough: the token holds 256 random bits, so there is no dictionary to run through (a slow
// hash like the passwords' Argon2id only protects guessable secrets), and it is computed on
// every API request.
std::string token_hash(std::string_view token) {
  std::array<unsigned char, crypto_generichash_BYTES> hash{};
  static_assert(crypto_generichash_BYTES == 32);
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  std::array<char, crypto_generichash_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  return hex.data();
}

bool well_formed(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + encoded_length || token.substr(0, prefix.size()) != prefix) {
    return false;
  }
  return std::all_of(token.begin() + static_cast<std::ptrdiff_t>(prefix.size()), token.end(),
                     [](char c) {
                       return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
}

// `prefix` and 32 random bytes in URL-safe base64: a token's or a session's secret.
std::string make_secret(std::string_view prefix) {
  init_sodium();
  std::array<unsigned char, secret_bytes> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::array<char,
             sodium_base64_ENCODED_LEN(secret_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)>
      encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), secret.data(), secret.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret.data(), secret.size());
  return std::string(prefix) + encoded.data();
}

std::string iso(const char* column) {
  return std::string("to_char(") + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace

new_token create_token(pqxx::transaction_base& t, id actor_user, std::string_view name) {
  const actor a = load_actor(t, actor_user);
  const auto n = normalise_title(name, 100);
  if (!n) throw validation_error("name", n.error());
  // The user's row, locked: concurrent creations count one after the other.
  t.exec_params("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", actor_user);
  if (t.exec_params1("SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL",
                     actor_user)[0]
          .as<int>() >= max_live_tokens) {
    throw conflict("at most 50 tokens may be live: revoke one first");
  }
  new_token out;
  out.token = make_secret(token_prefix);
  out.token_id = guarded([&] {
    return t
        .exec_params1(
            "INSERT INTO api_tokens (company_id, user_id, name, token_hash) "
            "VALUES ($1, $2, $3, decode($4, 'hex')) RETURNING id",
            a.company, actor_user, *n, token_hash(out.token))[0]
        .as<id>();
  });
  record_audit(t, a.company, actor_user, "token.create", "token:" + std::to_string(out.token_id),
               {{"name", *n}});
  return out;
}

std::optional<credentials> find_token(pqxx::transaction_base& t, std::string_view token) {
  if (!well_formed(token, token_prefix)) return std::nullopt;
  init_sodium();
  const auto r = t.exec_params(
      "SELECT k.id, u.id, u.company_id, u.role, "
      "       k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' "
      "FROM api_tokens k JOIN users u ON u.id = k.user_id "
      "WHERE k.token_hash = decode($1, 'hex') AND k.revoked_at IS NULL",
      token_hash(token));
  if (r.empty()) return std::nullopt;
  if (r[0][4].as<bool>()) {
    t.exec_params0("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", r[0][0].as<id>());
  }
  return credentials{r[0][1].as<id>(), r[0][2].as<id>(),
                     parse_role(r[0][3].as<std::string>()).value_or(role::user), ""};
}

std::vector<token_info> list_tokens(pqxx::transaction_base& t, id actor_user) {
  const actor a = load_actor(t, actor_user);
  std::vector<token_info> out;
  for (const auto& r : t.exec_params("SELECT id, name, " + iso("created_at") + ", " +
                                         iso("last_used_at") + ", " + iso("revoked_at") +
                                         " FROM api_tokens WHERE user_id = $1 AND company_id = $2 "
                                         "ORDER BY id",
                                     actor_user, a.company)) {
    out.push_back({r[0].as<id>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   optional_text(r[3]), optional_text(r[4])});
  }
  return out;
}

bool revoke_token(pqxx::transaction_base& t, id actor_user, id token) {
  const actor a = load_actor(t, actor_user);
  const auto r = t.exec_params(
      "SELECT user_id, name, revoked_at IS NOT NULL FROM api_tokens "
      "WHERE id = $1 AND company_id = $2 AND (user_id = $3 OR $4) FOR UPDATE",
      token, a.company, actor_user, a.is_admin());
  if (r.empty()) throw not_found("no such token");
  if (r[0][2].as<bool>()) return false;
  t.exec_params0("UPDATE api_tokens SET revoked_at = now() WHERE id = $1", token);
  record_audit(t, a.company, actor_user, "token.revoke", "token:" + std::to_string(token),
               {{"name", r[0][1].as<std::string>()}, {"user", r[0][0].as<id>()}});
  return true;
}

std::string csrf_token(std::string_view secret) {
  init_sodium();
  // A keyed hash with a fixed, public key: what matters is that it is one-way, so that the
  // token (readable by the console's script) does not give the cookie's secret away.
  static constexpr std::string_view purpose = "smsgw console csrf token v1......";
  static_assert(purpose.size() >= crypto_generichash_KEYBYTES_MIN);
  std::array<unsigned char, 24> hash{};
  crypto_generichash(hash.data(), hash.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
  std::array<char, sodium_base64_ENCODED_LEN(24, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> out{};
  sodium_bin2base64(out.data(), out.size(), hash.data(), hash.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out.data();
}

new_session begin_session(pqxx::transaction_base& t, id user, const session_limits& limits) {
  const actor a = load_actor(t, user);
  t.exec_params0("DELETE FROM console_sessions WHERE user_id = $1 AND expires_at <= now()", user);
  // The oldest beyond the cap end: a person signing in on a new browser is never refused.
  t.exec_params0(
      "DELETE FROM console_sessions WHERE id IN (SELECT id FROM console_sessions "
      "WHERE user_id = $1 ORDER BY id DESC OFFSET $2)",
      user, max_live_sessions - 1);
  new_session out;
  out.secret = make_secret(session_prefix);
  out.csrf = csrf_token(out.secret);
  const auto session = t.exec_params1(
                            "INSERT INTO console_sessions (user_id, secret_hash, expires_at) "
                            "VALUES ($1, decode($2, 'hex'), now() + make_interval(secs => $3)) "
                            "RETURNING id",
                            user, token_hash(out.secret), limits.lifetime.count())[0]
                           .as<id>();
  record_audit(t, a.company, user, "session.begin", "session:" + std::to_string(session), {});
  return out;
}

std::optional<credentials> find_session(pqxx::transaction_base& t, std::string_view secret,
                                        const session_limits& limits) {
  if (!well_formed(secret, session_prefix)) return std::nullopt;
  const auto r = t.exec_params(
      "SELECT s.id, u.id, u.company_id, u.role, s.last_seen_at < now() - interval '1 minute' "
      "FROM console_sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.secret_hash = decode($1, 'hex') AND s.expires_at > now() "
      "  AND s.last_seen_at > now() - make_interval(secs => $2)",
      token_hash(secret), limits.idle.count());
  if (r.empty()) return std::nullopt;
  if (r[0][4].as<bool>()) {
    t.exec_params0("UPDATE console_sessions SET last_seen_at = now() WHERE id = $1",
                   r[0][0].as<id>());
  }
  return credentials{r[0][1].as<id>(), r[0][2].as<id>(),
                     parse_role(r[0][3].as<std::string>()).value_or(role::user), ""};
}

bool end_session(pqxx::transaction_base& t, std::string_view secret) {
  if (!well_formed(secret, session_prefix)) return false;
  return t.exec_params0("DELETE FROM console_sessions WHERE secret_hash = decode($1, 'hex')",
                        token_hash(secret))
             .affected_rows() > 0;
}

}  // namespace smsgw::store
