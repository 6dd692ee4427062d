// /api/v1/me, /api/v1/session (the web console's sign-in), /api/v1/company, /api/v1/users
// and /api/v1/tokens.
#include <pqxx/pqxx>

#include "admin/auth.hpp"
#include "admin/call.hpp"
#include "store/company.hpp"
#include "store/directory.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

namespace smsgw::admin {
namespace {

std::optional<store::role> parse_role(const std::string& s) {
  for (const auto r : {store::role::company_admin, store::role::group_admin, store::role::user}) {
    if (s == store::to_string(r)) return r;
  }
  return std::nullopt;
}

store::role role_of(const std::string& s) {
  const auto r = parse_role(s);
  if (!r) throw store::validation_error("role", "must be company_admin, group_admin or user");
  return *r;
}

nlohmann::json to_json(const store::user_info& u) {
  return {{"id", u.user_id},
          {"username", u.username},
          {"name", u.name},
          {"role", store::to_string(u.user_role)},
          {"personal_domain_id", u.personal_domain_id},
          {"number", u.number}};
}

nlohmann::json to_json(const store::company_settings& c) {
  return {{"id", c.company_id},
          {"name", c.name},
          {"stop_words", c.stop_words},
          {"start_words", c.start_words},
          {"stop_matching", c.stop_matching},
          {"stop_reply", c.stop_reply},
          {"start_reply", c.start_reply},
          {"help_reply", c.help_reply},
          {"contact_key", c.contact_key},
          {"default_reply", c.default_reply},
          {"sender_ids", c.sender_ids}};
}

http_response me(call& k) {
  auto body = to_json(store::get_user(k.tx, k.actor(), k.actor()));
  const auto company = store::get_company(k.tx, k.actor());
  body["company"] = {{"id", company.company_id}, {"name", company.name}};
  return json_answer(200, body);
}

// The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
// makes the browser send it), Secure when the port speaks TLS, and no longer-lived than the
// session itself.
std::string session_cookie_header(const call& k, const std::string& value, long max_age) {
  return std::string(session_cookie(k.request.secure)) + "=" + value +
         "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Strict" +
         (k.request.secure ? "; Secure" : "");
}

nlohmann::json session_body(call& k, const std::string& csrf) {
  nlohmann::json body = nlohmann::json::object();
  body["user"] = to_json(store::get_user(k.tx, k.actor(), k.actor()));
  const auto company = store::get_company(k.tx, k.actor());
  body["user"]["company"] = {{"id", company.company_id}, {"name", company.name}};
  body["csrf_token"] = csrf;
  return body;
}

// POST /api/v1/session: the caller proved their password (route kind sign_in). A session
// the browser still presents ends: a sign-in never keeps a session someone else began.
http_response sign_in(call& k) {
  if (const auto old = session_secret(k.request)) store::end_session(k.tx, *old);
  const auto session = store::begin_session(k.tx, k.actor(), *k.sessions);
  auto res = json_answer(201, session_body(k, session.csrf));
  res.headers.emplace_back("Set-Cookie",
                           session_cookie_header(k, session.secret, k.sessions->lifetime.count()));
  return res;
}

// GET /api/v1/session: who is signed in, and the token the console sends with changes.
http_response get_session(call& k) {
  const auto secret = session_secret(k.request);
  if (!secret || k.request.header("authorization")) {
    throw api_error(404, "not_found", "this request was not made with a console session");
  }
  return json_answer(200, session_body(k, store::csrf_token(*secret)));
}

// DELETE /api/v1/session: signs out; the browser forgets the cookie.
http_response sign_out(call& k) {
  const auto secret = session_secret(k.request);
  if (!secret || k.request.header("authorization")) {
    throw api_error(404, "not_found", "this request was not made with a console session");
  }
  store::end_session(k.tx, *secret);
  auto res = no_content();
  res.headers.emplace_back("Set-Cookie", session_cookie_header(k, "", 0));
  return res;
}

http_response get_company(call& k) {
  return json_answer(200, to_json(store::get_company(k.tx, k.actor())));
}

http_response patch_company(call& k) {
  body_fields b(k.json());
  store::company_patch p;
  p.name = b.text("name");
  p.stop_words = b.texts("stop_words");
  p.start_words = b.texts("start_words");
  p.stop_matching = b.text("stop_matching");
  p.stop_reply = b.text("stop_reply");
  p.start_reply = b.text("start_reply");
  p.help_reply = b.text("help_reply");
  p.contact_key = b.text("contact_key");
  p.default_reply = b.text("default_reply");
  p.sender_ids = b.texts("sender_ids");
  b.finish();
  return json_answer(200, to_json(store::update_company(k.tx, k.actor(), p)));
}

http_response list_users(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_users(k.tx, k.actor(), k.id_cursor(), limit + 1), limit,
      [](const store::user_info& u) { return u.user_id; },
      [](const store::user_info& u) { return to_json(u); });
}

http_response create_user(call& k) {
  body_fields b(k.json());
  store::new_user_request u;
  u.username = b.required("username", b.text("username"));
  u.name = b.text("name").value_or("");
  const auto role = b.text("role");
  u.password = b.required("password", b.text("password"));
  u.number = b.text("number");
  b.finish();
  if (role) u.user_role = role_of(*role);
  return json_answer(201, to_json(store::create_user_as(k.tx, k.actor(), u, k.region)));
}

http_response get_user(call& k) {
  return json_answer(200, to_json(store::get_user(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch_user(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::user_patch p;
  p.name = b.text("name");
  const auto role = b.text("role");
  if (const auto n = b.text("number")) {
    p.number = n->empty() ? std::optional<std::string>() : *n;
  }
  p.password = b.text("password");
  b.finish();
  if (role) p.user_role = role_of(*role);
  return json_answer(200, to_json(store::update_user(k.tx, k.actor(), id, p, k.region)));
}

http_response delete_user(call& k) {
  store::delete_user_as(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

http_response list_tokens(call& k) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t : store::list_tokens(k.tx, k.actor())) {
    items.push_back({{"id", t.token_id},
                     {"name", t.name},
                     {"created_at", t.created_at},
                     {"last_used_at", t.last_used_at},
                     {"revoked_at", t.revoked_at}});
  }
  return page_answer(std::move(items), std::nullopt);
}

http_response create_token(call& k) {
  body_fields b(k.json());
  const auto name = b.required("name", b.text("name"));
  b.finish();
  const auto t = store::create_token(k.tx, k.actor(), name);
  // The only time the secret is shown: it is stored hashed.
  return json_answer(201, {{"id", t.token_id}, {"name", name}, {"token", t.token}});
}

http_response revoke_token(call& k) {
  if (!store::revoke_token(k.tx, k.actor(), k.path_id("id"))) {
    throw api_error(404, "not_found", "the token is revoked already");
  }
  return no_content();
}

}  // namespace

void add_directory_routes(route_table& t) {
  t.add("GET", "/api/v1/me", me);
  t.add("POST", "/api/v1/session", sign_in, route_table::kind::sign_in);
  t.add("GET", "/api/v1/session", get_session);
  t.add("DELETE", "/api/v1/session", sign_out);
  t.add("GET", "/api/v1/company", get_company);
  t.add("PATCH", "/api/v1/company", patch_company);
  t.add("GET", "/api/v1/users", list_users);
  t.add("POST", "/api/v1/users", create_user);
  t.add("GET", "/api/v1/users/{id}", get_user);
  t.add("PATCH", "/api/v1/users/{id}", patch_user);
  t.add("DELETE", "/api/v1/users/{id}", delete_user);
  t.add("GET", "/api/v1/tokens", list_tokens);
  t.add("POST", "/api/v1/tokens", create_token);
  t.add("DELETE", "/api/v1/tokens/{id}", revoke_token);
}

}  // namespace smsgw::admin
