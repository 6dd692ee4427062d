#include "store/users.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/password.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// The columns every user read selects, from `users u`.
constexpr const char* user_columns =
    "u.id, u.username, u.name, u.role, "
    "(SELECT d.id FROM domains d WHERE d.owner_id = u.id AND d.kind = 'personal'), u.number";

user_info user_of(const pqxx::row& r) {
  return {r[0].as<id>(),
          r[1].as<std::string>(),
          r[2].as<std::string>(),
          parse_role(r[3].as<std::string>()).value_or(role::user),
          r[4].is_null() ? 0 : r[4].as<id>(),
          optional_text(r[5])};
}

// Usernames are the login and name the personal domain ("Personal: " + username, which
// domains keep to 100 characters): 90 characters at most.
constexpr std::size_t max_username = 90;

void check_username(const std::string& username, std::vector<field_issue>& issues) {
  const bool allowed = std::all_of(username.begin(), username.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
  if (username.empty() || username.size() > max_username) {
    issues.push_back({"username", "must be 1 to 90 characters long"});
  } else if (!allowed) {
    issues.push_back({"username", "may only hold A-Z a-z 0-9 . _ @ -"});
  }
}

std::optional<std::string> checked_name(const std::string& name, std::vector<field_issue>& issues) {
  if (trim(name).empty()) return std::string();
  const auto n = normalise_title(name, 100);
  if (!n) {
    issues.push_back({"name", n.error()});
    return std::nullopt;
  }
  return *n;
}

// The hash of an acceptable password. Only length is asked: the manual sets no rule, and
// a long passphrase beats composition rules. Bounded: Argon2 reads all of it.
std::optional<std::string> checked_password(const std::string& password,
                                            std::vector<field_issue>& issues) {
  if (!valid_utf8(password)) {
    issues.push_back({"password", "is not valid UTF-8"});
  } else if (utf8_length(password) < 8) {
    issues.push_back({"password", "must be at least 8 characters long"});
  } else if (utf8_length(password) > 1000) {
    issues.push_back({"password", "must be at most 1000 characters long"});
  } else {
    return password;
  }
  return std::nullopt;
}

// The number in E.164, nullopt inside for none (blank input), nullopt outside when refused.
std::optional<std::optional<std::string>> checked_number(const std::optional<std::string>& number,
                                                         std::string_view region,
                                                         std::vector<field_issue>& issues) {
  if (!number || trim(*number).empty()) return std::optional<std::string>();
  const auto n = to_e164(*number, region);
  if (!n) {
    issues.push_back({"number", n.error()});
    return std::nullopt;
  }
  return std::optional<std::string>(*n);
}

// The company admins of a company, locked in id order until commit: a demotion or deletion
// that checks "not the last one" holds them, so two concurrent ones cannot both pass (the
// second sees the first's change once it commits), and the fixed order avoids deadlocks.
std::vector<id> lock_company_admins(pqxx::transaction_base& t, id company) {
  std::vector<id> out;
  for (const auto& r : t.exec_params("SELECT id FROM users WHERE company_id = $1 "
                                     "AND role = 'company_admin' ORDER BY id FOR UPDATE",
                                     company)) {
    out.push_back(r[0].as<id>());
  }
  return out;
}

// The role of `user` of the actor's company, its row locked; not_found for anyone else.
role locked_role(pqxx::transaction_base& t, const actor& a, id user) {
  const auto r = t.exec_params(
      "SELECT role FROM users WHERE id = $1 AND company_id = $2 FOR UPDATE", user, a.company);
  if (r.empty()) throw not_found("no such user");
  return parse_role(r[0][0].as<std::string>()).value_or(role::user);
}

}  // namespace

std::optional<credentials> find_credentials(pqxx::transaction_base& t, std::string_view username) {
  const auto r =
      t.exec_params("SELECT id, company_id, role, password_hash FROM users WHERE username = $1",
                    std::string(username));
  if (r.empty()) return std::nullopt;
  return credentials{r[0][0].as<id>(), r[0][1].as<id>(),
                     parse_role(r[0][2].as<std::string>()).value_or(role::user),
                     r[0][3].as<std::string>()};
}

user_info get_user(pqxx::transaction_base& t, id actor_user, id user) {
  const actor a = load_actor(t, actor_user);
  const auto r = t.exec_params(
      std::string("SELECT ") + user_columns + " FROM users u WHERE u.id = $1 AND u.company_id = $2",
      user, a.company);
  if (r.empty()) throw not_found("no such user");
  return user_of(r[0]);
}

std::vector<user_info> list_users(pqxx::transaction_base& t, id actor_user, id after, int limit) {
  const actor a = load_actor(t, actor_user);
  std::vector<user_info> out;
  for (const auto& r : t.exec_params(std::string("SELECT ") + user_columns +
                                         " FROM users u WHERE u.company_id = $1 AND u.id > $2 "
                                         "ORDER BY u.id LIMIT $3",
                                     a.company, after, limit)) {
    out.push_back(user_of(r));
  }
  return out;
}

user_info create_user_as(pqxx::transaction_base& t, id actor_user, const new_user_request& u,
                         std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  if (!a.is_admin()) throw access_denied("only admins may create users");
  if (a.user_role == role::group_admin && u.user_role == role::company_admin) {
    throw access_denied("only company admins may create company admins");
  }
  std::vector<field_issue> issues;
  check_username(u.username, issues);
  const auto name = checked_name(u.name, issues);
  const auto password = checked_password(u.password, issues);
  const auto number = checked_number(u.number, default_region, issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  if (!t.exec_params("SELECT 1 FROM users WHERE username = $1", u.username).empty()) {
    throw conflict("the username '" + u.username + "' is taken");
  }
  const id user = guarded([&] {
    return create_user(t, a.company, {u.username, *name, u.user_role, hash_password(*password)});
  });
  if (*number) t.exec_params0("UPDATE users SET number = $2 WHERE id = $1", user, **number);
  record_audit(t, a.company, actor_user, "user.create", "user:" + std::to_string(user),
               {{"username", u.username},
                {"role", to_string(u.user_role)},
                {"number", *number ? nlohmann::json(**number) : nlohmann::json(nullptr)}});
  return get_user(t, actor_user, user);
}

user_info update_user(pqxx::transaction_base& t, id actor_user, id user, const user_patch& p,
                      std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  // Locked before the user's own row, in the same order as delete_user_as.
  const auto admins = p.user_role ? lock_company_admins(t, a.company) : std::vector<id>{};
  const role before_role = locked_role(t, a, user);
  const user_info before = get_user(t, actor_user, user);
  const bool self = user == actor_user;
  const bool role_change = p.user_role && *p.user_role != before_role;
  if (!self && !a.is_admin()) throw access_denied("only admins may change other users");
  if (role_change && !a.is_admin()) throw access_denied("only admins may change roles");
  if (a.user_role == role::group_admin && !self && before_role == role::company_admin) {
    throw access_denied("only company admins may change a company admin");
  }
  if (a.user_role == role::group_admin && role_change && *p.user_role == role::company_admin) {
    throw access_denied("only company admins may make a company admin");
  }

  std::vector<field_issue> issues;
  user_info after = before;
  if (p.name) {
    if (auto n = checked_name(*p.name, issues)) after.name = *n;
  }
  if (p.number) {
    if (auto n = checked_number(*p.number, default_region, issues)) after.number = *n;
  }
  std::optional<std::string> password;
  if (p.password) password = checked_password(*p.password, issues);
  if (!issues.empty()) throw validation_error(std::move(issues));
  if (role_change) {
    after.user_role = *p.user_role;
    if (before_role == role::company_admin && admins.size() <= 1) {
      throw conflict("the last company admin cannot be demoted: make another user one first");
    }
  }

  const std::optional<std::string> hash =
      password ? std::optional(hash_password(*password)) : std::nullopt;
  t.exec_params0(
      "UPDATE users SET name = $2, role = $3, number = $4, "
      "password_hash = coalesce($5, password_hash) WHERE id = $1",
      user, after.name, to_string(after.user_role), after.number, hash);

  // The changed fields; the number and role with both values (they decide who receives
  // what and who may do what); the password only by name.
  nlohmann::json changed = nlohmann::json::object();
  const auto or_null = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  if (after.name != before.name) changed["name"] = true;
  if (after.user_role != before.user_role) {
    changed["role"] = {{"from", to_string(before.user_role)}, {"to", to_string(after.user_role)}};
  }
  if (after.number != before.number) {
    changed["number"] = {{"from", or_null(before.number)}, {"to", or_null(after.number)}};
  }
  if (hash) {
    // A new password is how a user answers "someone may have it": the tokens minted with the
    // old one (perhaps by that someone) stop working with it.
    const auto revoked = t.exec_params0(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user);
    t.exec_params0("DELETE FROM console_sessions WHERE user_id = $1", user);
    changed["password"] = true;
    if (revoked.affected_rows() > 0) changed["tokens_revoked"] = revoked.affected_rows();
  }
  if (!changed.empty()) {
    record_audit(t, a.company, actor_user, "user.update", "user:" + std::to_string(user), changed);
  }
  return after;
}

void delete_user_as(pqxx::transaction_base& t, id actor_user, id user) {
  const actor a = load_actor(t, actor_user);
  if (!a.is_admin()) throw access_denied("only admins may delete users");
  const auto admins = lock_company_admins(t, a.company);
  const role target = locked_role(t, a, user);
  if (user == actor_user) throw validation_error("id", "you cannot delete yourself");
  if (target == role::company_admin) {
    if (a.user_role != role::company_admin) {
      throw access_denied("only company admins may delete a company admin");
    }
    if (admins.size() <= 1) throw conflict("the last company admin cannot be deleted");
  }
  delete_user(t, a.company, user, actor_user);
}

}  // namespace smsgw::store
