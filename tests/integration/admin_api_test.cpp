// The admin API over real HTTP on loopback, against the in-process daemon, a real
// PostgreSQL and the SMSC simulator: the manual's examples through HTTP only, keywords live
// for the next MO, auth, access on every route, and hostile input.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
// The sanitizer runtime's allocator statistics (GCC ships the runtime without this header).
extern "C" std::size_t
__sanitizer_get_current_allocated_bytes();  // NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
#endif

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <yaml-cpp/yaml.h>

#include "admin/api.hpp"
#include "store/directory.hpp"
#include "store/password.hpp"
#include "store/runner.hpp"
#include "tests/support/certificate.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"

namespace store = smsgw::store;
using nlohmann::json;
using smsgw::testing::harness;
using smsgw::testing::http_client;
using smsgw::testing::http_result;
using smsgw::testing::raw_exchange;
using smsgw::testing::test_database;

namespace {

constexpr const char* admin_password = "admin-password";

// A company "Acme" with admin `admin`, served by a daemon bound to the simulator.
class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      pqxx::connection c(db_.dsn());
      pqxx::work t(c);
      company_ = store::create_company(t, "Acme");
      admin_ = store::create_user(
          t, company_,
          {"admin", "Ada Admin", store::role::company_admin, store::hash_password(admin_password)});
      t.commit();
    }
    h_ = std::make_unique<harness>(db_.dsn());
    ASSERT_TRUE(h_->wait_ready());
    port_ = h_->app().admin_port();
  }

  // The daemon again, with `configure` applied to its test config.
  void restart(const harness::configure_fn& configure) {
    h_.reset();
    h_ = std::make_unique<harness>(db_.dsn(), "test", smsgw::sim::smsc_options{}, std::nullopt,
                                   configure);
    ASSERT_TRUE(h_->wait_ready());
    port_ = h_->app().admin_port();
  }

  std::unique_ptr<http_client> as(const std::string& user, const std::string& password) {
    auto c = std::make_unique<http_client>(port_);
    c->basic(user, password);
    return c;
  }
  std::unique_ptr<http_client> as_admin() { return as("admin", admin_password); }

  // A user created through the API; returns its id.
  store::id add_user(http_client& admin, const std::string& name,
                     const std::string& role = "user") {
    const auto r = admin.post(
        "/api/v1/users", {{"username", name}, {"password", name + "-password"}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("id").get<store::id>();
  }

  static store::id id_of(const http_result& r) {
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
    return r.json().at("id").get<store::id>();
  }

  static std::set<std::string> names(const http_result& r) {
    std::set<std::string> out;
    const auto body = r.json();
    for (const auto& i : body.at("items")) out.insert(i.at("name").get<std::string>());
    return out;
  }

  test_database db_;
  store::id company_ = 0;
  store::id admin_ = 0;
  std::unique_ptr<harness> h_;
  std::uint16_t port_ = 0;
};

TEST_F(AdminApi, OpsEndpointsAnswerWithoutCredentials) {
  http_client anon(port_);
  EXPECT_EQ(anon.get("/healthz").status, 200);
  ASSERT_TRUE(harness::eventually([&] { return anon.get("/readyz").status == 200; }));
  const auto ready = anon.get("/readyz").json();
  EXPECT_EQ(ready.at("store"), true);
  EXPECT_EQ(ready.at("binds").at(0).at("state"), "bound");
  anon.get("/api/v1/me");
  const auto metrics = anon.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("smsgw_http_requests_total{method=\"GET\",route=\"/healthz\""),
            std::string::npos);
  EXPECT_NE(metrics.body.find("smsgw_http_auth_failures_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("smsgw_mo_total"), std::string::npos);
  const auto doc = anon.get("/api/v1/openapi.yaml");
  EXPECT_EQ(doc.status, 200);
  EXPECT_NE(doc.body.find("openapi: 3"), std::string::npos);
}

TEST_F(AdminApi, CredentialsAreCheckedAndFailuresLimited) {
  http_client anon(port_);
  const auto none = anon.get("/api/v1/me");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.at("www-authenticate").rfind("Basic realm=\"smsgw\"", 0), 0U);
  EXPECT_EQ(none.json().at("error").at("code"), "unauthorized");

  auto admin = as_admin();
  const auto me = admin->get("/api/v1/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("username"), "admin");
  EXPECT_EQ(me.json().at("role"), "company_admin");
  EXPECT_EQ(me.json().at("company").at("name"), "Acme");
  // The keep-alive connection's next requests use the verified-credentials cache.
  for (int i = 0; i < 20; ++i) ASSERT_EQ(admin->get("/api/v1/me").status, 200);

  auto wrong = as("admin", "not-the-password");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(wrong->get("/api/v1/me").status, 401);
  const auto limited = wrong->get("/api/v1/me");
  EXPECT_EQ(limited.status, 429);
  EXPECT_GT(std::stoi(limited.headers.at("retry-after")), 0);
  // Even the right password waits out the window: the guesser cannot tell.
  EXPECT_EQ(as_admin()->get("/api/v1/me").status, 429);
}

TEST_F(AdminApi, TokensAuthenticateUntilRevoked) {
  auto admin = as_admin();
  const auto made = admin->post("/api/v1/tokens", {{"name", "nightly sync"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto token = made.json().at("token").get<std::string>();
  http_client script(port_);
  script.bearer(token);
  EXPECT_EQ(script.get("/api/v1/me").json().at("username"), "admin");
  const auto listed = admin->get("/api/v1/tokens").json().at("items");
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_FALSE(listed.at(0).contains("token"));
  EXPECT_EQ(admin->del("/api/v1/tokens/" + std::to_string(id_of(made))).status, 204);
  EXPECT_EQ(script.get("/api/v1/me").status, 401);
}

TEST_F(AdminApi, ANewPasswordRevokesTheTokens) {
  auto admin = as_admin();
  const auto made = admin->post("/api/v1/tokens", {{"name", "nightly sync"}});
  ASSERT_EQ(made.status, 201) << made.body;
  http_client script(port_);
  script.bearer(made.json().at("token").get<std::string>());
  ASSERT_EQ(script.get("/api/v1/me").status, 200);
  const auto changed =
      admin->patch("/api/v1/users/" + std::to_string(admin_), {{"password", "a-new-password"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(script.get("/api/v1/me").status, 401);
  auto again = as("admin", "a-new-password");
  const auto listed = again->get("/api/v1/tokens").json().at("items");
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_FALSE(listed.at(0).at("revoked_at").is_null());
  EXPECT_EQ(as_admin()->get("/api/v1/me").status, 401);
}

// The web console's session: signed in with the password in a body, then a cookie that
// changes nothing without the session's CSRF token, ends when idle, signed out or when the
// password changes; every answer carries the port's protections.
TEST_F(AdminApi, ConsoleSessionsAndTheirCsrfToken) {
  http_client browser(port_);
  const auto wrong = browser.post("/api/v1/session", {{"username", "admin"}, {"password", "x"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers.count("www-authenticate"), 0U) << "a browser would show its dialog";
  EXPECT_EQ(browser.post("/api/v1/session", {{"username", "admin"}}).status, 422);
  const auto signed_in =
      browser.post("/api/v1/session", {{"username", "admin"}, {"password", admin_password}});
  ASSERT_EQ(signed_in.status, 201) << signed_in.body;
  const auto cookie = signed_in.headers.at("set-cookie");
  for (const char* flag : {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"}) {
    EXPECT_NE(cookie.find(flag), std::string::npos) << cookie;
  }
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: the cookie would be lost";
  const auto secret = cookie.substr(0, cookie.find(';'));
  const auto csrf = signed_in.json().at("csrf_token").get<std::string>();
  EXPECT_EQ(signed_in.json().at("user").at("username"), "admin");
  for (const char* h : {"content-security-policy", "x-content-type-options", "x-frame-options"}) {
    EXPECT_EQ(signed_in.headers.count(h), 1U) << h;
  }

  browser.header("Cookie", secret);
  EXPECT_EQ(browser.get("/api/v1/me").status, 200);
  EXPECT_EQ(browser.get("/api/v1/session").json().at("csrf_token"), csrf);
  // A change on the cookie alone, or with another session's token, or from another origin.
  EXPECT_EQ(browser.post("/api/v1/groups", {{"name", "Forged"}}).status, 403);
  browser.header("X-CSRF-Token", csrf.substr(1) + "x");
  EXPECT_EQ(browser.post("/api/v1/groups", {{"name", "Forged"}}).status, 403);
  browser.header("X-CSRF-Token", csrf);
  browser.header("Origin", "http://evil.example");
  EXPECT_EQ(browser.post("/api/v1/groups", {{"name", "Forged"}}).status, 403);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM groups WHERE name = 'Forged'"), "0");
  browser.header("Origin", "http://127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(browser.post("/api/v1/groups", {{"name", "Made in the console"}}).status, 201);

  // Idle too long: gone (the clock moved by SQL).
  (void)db_.scalar("UPDATE console_sessions SET last_seen_at = now() - interval '3 hours'");
  EXPECT_EQ(browser.get("/api/v1/me").status, 401);

  // Signed in again: the sign-out ends it, and so does a new password.
  browser.header("Cookie", "");
  auto again =
      browser.post("/api/v1/session", {{"username", "admin"}, {"password", admin_password}});
  ASSERT_EQ(again.status, 201);
  browser.header(
      "Cookie", again.headers.at("set-cookie").substr(0, again.headers.at("set-cookie").find(';')));
  browser.header("X-CSRF-Token", again.json().at("csrf_token").get<std::string>());
  const auto out = browser.del("/api/v1/session");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(browser.get("/api/v1/me").status, 401);
  browser.header("Cookie", "");
  again = browser.post("/api/v1/session", {{"username", "admin"}, {"password", admin_password}});
  browser.header(
      "Cookie", again.headers.at("set-cookie").substr(0, again.headers.at("set-cookie").find(';')));
  browser.header("X-CSRF-Token", again.json().at("csrf_token").get<std::string>());
  ASSERT_EQ(browser.get("/api/v1/me").status, 200);
  ASSERT_EQ(as_admin()
                ->patch("/api/v1/users/" + std::to_string(admin_), {{"password", "a-new-password"}})
                .status,
            200);
  EXPECT_EQ(browser.get("/api/v1/me").status, 401);
  // Basic-authenticated requests have no session to read.
  EXPECT_EQ(as("admin", "a-new-password")->get("/api/v1/session").status, 404);

  // Credentials a browser remembers (Basic) get no pass from another site either; scripts,
  // which send no fetch metadata, are not concerned. Browsers get no password dialog.
  auto remembered = as("admin", "a-new-password");
  remembered->header("Sec-Fetch-Site", "cross-site");
  EXPECT_EQ(remembered->post("/api/v1/groups", {{"name", "Forged"}}).status, 403);
  remembered->header("Sec-Fetch-Site", "");
  remembered->header("Origin", "http://evil.example");
  EXPECT_EQ(remembered->post("/api/v1/groups", {{"name", "Forged"}}).status, 403);
  remembered->header("Origin", "");
  EXPECT_EQ(remembered->post("/api/v1/groups", {{"name", "Made by a script"}}).status, 201);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM groups WHERE name = 'Forged'"), "0");
  http_client navigating(port_);
  navigating.header("Sec-Fetch-Mode", "navigate");
  EXPECT_EQ(navigating.get("/api/v1/me").headers.count("www-authenticate"), 0U);
  // A stale cookie is no reason to lock anyone out.
  http_client stale(port_);
  stale.header("Cookie", "smsgw_session=smsgws_" + std::string(43, 'A'));
  for (int i = 0; i < 30; ++i) ASSERT_EQ(stale.get("/api/v1/me").status, 401);
  // Company data is never cached.
  EXPECT_EQ(as("admin", "a-new-password")->get("/api/v1/contacts").headers.at("cache-control"),
            "no-store");
}

// The console's live counter: the gateway's own encoder and splitter answer.
TEST_F(AdminApi, PreviewCountsATextAsTheGatewayWillSendIt) {
  auto admin = as_admin();
  const auto preview = [&](const std::string& text) {
    const auto r = admin->post("/api/v1/messages/preview", {{"text", text}});
    EXPECT_EQ(r.status, 200) << r.body;
    const auto j = r.json();
    return j.at("encoding").get<std::string>() + " " + std::to_string(j.at("units").get<int>()) +
           " " + std::to_string(j.at("parts").get<int>()) + " " +
           std::to_string(j.at("per_part").get<int>());
  };
  EXPECT_EQ(preview(""), "gsm 0 1 160");
  EXPECT_EQ(preview("Hello"), "gsm 5 1 160");
  EXPECT_EQ(preview("Price: 5\u20ac"), "gsm 10 1 160");  // the euro sign is an escape: two
  EXPECT_EQ(preview(std::string(160, 'a')), "gsm 160 1 160");
  EXPECT_EQ(preview(std::string(161, 'a')), "gsm 161 2 153");
  EXPECT_EQ(preview("\u041f\u0440\u0438\u0432\u0435\u0442"), "ucs2 6 1 70");
  std::string long_ucs2;
  for (int i = 0; i < 71; ++i) long_ucs2 += "\u0416";
  EXPECT_EQ(preview(long_ucs2), "ucs2 71 2 67");
  EXPECT_EQ(admin->post("/api/v1/messages/preview", nlohmann::json::object()).status, 422);
  EXPECT_EQ(admin->post("/api/v1/messages/preview", {{"text", std::string(153 * 256, 'a')}}).status,
            422);
}

// The manual's example, through HTTP only: Bob's VIP contact Donald in the Shared group
// "Tsunami Alerts" is invisible to Mary in lists, search, member lists, reads and sends.
TEST_F(AdminApi, BobMaryDonaldThroughHttp) {
  auto admin = as_admin();
  add_user(*admin, "bob");
  const auto mary_id = add_user(*admin, "mary");
  auto bob = as("bob", "bob-password");
  auto mary = as("mary", "mary-password");
  ASSERT_EQ(admin->post("/api/v1/numbers", {{"number", "4040"}, {"kind", "short_code"}}).status,
            201);

  const auto tsunami = id_of(admin->post("/api/v1/groups", {{"name", "Tsunami Alerts"}}));
  const auto t = std::to_string(tsunami);
  id_of(admin->post("/api/v1/contacts",
                    {{"name", "Alice Waters"}, {"number", "+61412000001"}, {"groups", {tsunami}}}));
  id_of(mary->post("/api/v1/contacts",
                   {{"name", "Don Bradman"}, {"number", "+61412000002"}, {"groups", {tsunami}}}));
  const auto vips = id_of(bob->post("/api/v1/domains", {{"name", "VIPs"}}));
  const auto created = bob->post("/api/v1/contacts", {{"name", "Donald Trump"},
                                                      {"number", "+61412000003"},
                                                      {"domain_id", vips},
                                                      {"groups", {tsunami}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().at("warnings").size(), 1U);
  const auto donald = std::to_string(id_of(created));

  EXPECT_EQ(names(mary->get("/api/v1/groups/" + t + "/members")),
            (std::set<std::string>{"Alice Waters", "Don Bradman"}));
  EXPECT_EQ(names(bob->get("/api/v1/groups/" + t + "/members")),
            (std::set<std::string>{"Alice Waters", "Don Bradman", "Donald Trump"}));
  EXPECT_EQ(mary->get("/api/v1/groups/" + t).json().at("member_counts").at("contacts"), 2);
  EXPECT_EQ(names(mary->get("/api/v1/contacts?q=Don")), (std::set<std::string>{"Don Bradman"}));
  EXPECT_EQ(names(bob->get("/api/v1/contacts?q=Don")),
            (std::set<std::string>{"Don Bradman", "Donald Trump"}));
  EXPECT_EQ(names(bob->get("/api/v1/contacts?q=Don&domain=" + std::to_string(vips))),
            (std::set<std::string>{"Donald Trump"}));
  EXPECT_EQ(names(mary->get("/api/v1/contacts")),
            (std::set<std::string>{"Alice Waters", "Don Bradman"}));
  EXPECT_EQ(mary->get("/api/v1/contacts/" + donald).status, 404);
  // Mary's export of the group leaves Donald out; Bob's has him.
  const auto mary_file = mary->get("/api/v1/groups/" + t + "/export").body;
  EXPECT_NE(mary_file.find("Don Bradman"), std::string::npos) << mary_file;
  EXPECT_EQ(mary_file.find("Donald Trump"), std::string::npos) << mary_file;
  EXPECT_NE(bob->get("/api/v1/groups/" + t + "/export").body.find("Donald Trump"),
            std::string::npos);
  EXPECT_EQ(mary->patch("/api/v1/contacts/" + donald, {{"name", "X"}}).status, 404);
  EXPECT_EQ(mary->get("/api/v1/domains/" + std::to_string(vips)).status, 404);

  const json send = {{"from", "4040"}, {"to", {{"groups", {tsunami}}}}, {"text", "Evacuate"}};
  const auto mary_send = mary->post("/api/v1/messages", send);
  ASSERT_EQ(mary_send.status, 201) << mary_send.body;
  EXPECT_EQ(mary_send.json().at("recipients"), 2);
  EXPECT_EQ(mary_send.json().at("left_out").at("not_visible"), 1);
  const auto bob_send = bob->post("/api/v1/messages", send);
  EXPECT_EQ(bob_send.json().at("recipients"), 3);
  // Mary reads her own send's recipients, not Bob's.
  const auto status = mary->get("/api/v1/messages/" + std::to_string(id_of(mary_send)));
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json().at("items").size(), 2U);
  EXPECT_EQ(mary->get("/api/v1/messages/" + std::to_string(id_of(bob_send))).status, 404);

  // Bob grants Mary Viewer: she now sees Donald, and still may not change him.
  const auto grant = bob->put(
      "/api/v1/domains/" + std::to_string(vips) + "/accesses/user:" + std::to_string(mary_id),
      {{"level", "viewer"}});
  ASSERT_EQ(grant.status, 200) << grant.body;
  EXPECT_EQ(mary->get("/api/v1/contacts/" + donald).status, 200);
  EXPECT_EQ(mary->patch("/api/v1/contacts/" + donald, {{"name", "X"}}).status, 403);
  bool found = false;
  const auto accesses = bob->get("/api/v1/domains/" + std::to_string(vips) + "/accesses").json();
  for (const auto& a : accesses.at("items")) {
    if (a.at("user_id") == mary_id) {
      found = true;
      EXPECT_EQ(a.at("level"), "viewer");
      EXPECT_EQ(a.at("default"), false);
      EXPECT_EQ(a.at("source"), "explicit");
    }
  }
  EXPECT_TRUE(found);
}

// A keyword set up through the API is used by the very next MO, and a change to it by the
// one after, with no restart.
TEST_F(AdminApi, KeywordsAreLiveForTheNextMo) {
  auto admin = as_admin();
  ASSERT_EQ(admin->post("/api/v1/numbers", {{"number", "4040"}, {"kind", "short_code"}}).status,
            201);
  const auto group = id_of(admin->post("/api/v1/groups", {{"name", "Movie News"}}));
  const auto keyword = admin->post("/api/v1/keywords", {{"number", "4040"},
                                                        {"keyword", "movie"},
                                                        {"group_id", group},
                                                        {"optin_message", "Welcome to Movie News"},
                                                        {"help_message", "Movie News help"}});
  ASSERT_EQ(keyword.status, 201) << keyword.body;
  EXPECT_EQ(keyword.json().at("keyword"), "MOVIE");

  const auto clash = admin->post("/api/v1/keywords",
                                 {{"number", "4040"}, {"keyword", "STOP"}, {"group_id", group}});
  EXPECT_EQ(clash.status, 422) << clash.body;
  EXPECT_EQ(clash.json().at("error").at("details").at(0).at("field"), "keyword");
  const auto again = admin->post("/api/v1/keywords",
                                 {{"number", "4040"}, {"keyword", "Movie"}, {"group_id", group}});
  EXPECT_EQ(again.status, 409) << again.body;

  ASSERT_EQ(h_->deliver("+61400000001", "4040", "MOVIE").status, 0U);
  ASSERT_TRUE(harness::eventually([&] {
    for (const auto& s : h_->smsc().submits()) {
      if (s.text == "Welcome to Movie News") return true;
    }
    return false;
  }));
  const auto members = admin->get("/api/v1/groups/" + std::to_string(group) + "/members");
  ASSERT_EQ(members.json().at("items").size(), 1U);
  EXPECT_EQ(members.json().at("items").at(0).at("number"), "+61400000001");

  ASSERT_EQ(admin
                ->patch("/api/v1/keywords/" + std::to_string(id_of(keyword)),
                        {{"optin_message", "Movie News, new and improved"}})
                .status,
            200);
  ASSERT_EQ(h_->deliver("+61400000002", "4040", "MOVIE").status, 0U);
  EXPECT_TRUE(harness::eventually([&] {
    for (const auto& s : h_->smsc().submits()) {
      if (s.text == "Movie News, new and improved") return true;
    }
    return false;
  }));
  const auto log = admin->get("/api/v1/inbound?number=%2B61400000002");
  ASSERT_EQ(log.status, 200) << log.body;
  ASSERT_EQ(log.json().at("items").size(), 1U);
  EXPECT_EQ(log.json().at("items").at(0).at("decision"), "opt_in");
  const auto consents = admin->get("/api/v1/consents?number=%2B61400000002");
  EXPECT_EQ(consents.json().at("items").at(0).at("action"), "opt_in");
}

TEST_F(AdminApi, RolesAndAccessOnEveryResource) {
  auto admin = as_admin();
  add_user(*admin, "uma");
  auto uma = as("uma", "uma-password");
  EXPECT_EQ(uma->post("/api/v1/users", {{"username", "x"}, {"password", "12345678"}}).status, 403);
  EXPECT_EQ(uma->patch("/api/v1/company", {{"stop_reply", "bye"}}).status, 403);
  EXPECT_EQ(uma->post("/api/v1/numbers", {{"number", "5050"}, {"kind", "short_code"}}).status, 403);
  EXPECT_EQ(uma->post("/api/v1/suppressions", {{"number", "+61400000009"}}).status, 201);
  EXPECT_EQ(uma->del("/api/v1/suppressions/+61400000009").status, 403);
  EXPECT_EQ(admin->del("/api/v1/suppressions/+61400000009").status, 204);
  EXPECT_EQ(uma->get("/api/v1/inbound").status, 403);
  EXPECT_EQ(uma->patch("/api/v1/users/" + std::to_string(admin_), {{"name", "Mallory"}}).status,
            403);
  // A user's personal domain is theirs alone, admins included.
  const auto personal = uma->get("/api/v1/me").json().at("personal_domain_id").get<store::id>();
  EXPECT_EQ(admin->get("/api/v1/domains/" + std::to_string(personal)).status, 404);
  const auto company = admin->patch("/api/v1/company", {{"help_reply", ""}});
  EXPECT_EQ(company.status, 422) << company.body;
}

// A user of another company gets nothing from any route: every path with an id of Acme's
// answers 404 or 403, and the lists hold none of Acme's objects.
TEST_F(AdminApi, AnotherCompanySeesNothing) {
  auto admin = as_admin();
  ASSERT_EQ(admin->post("/api/v1/numbers", {{"number", "4040"}, {"kind", "short_code"}}).status,
            201);
  const auto group = id_of(admin->post("/api/v1/groups", {{"name", "Acme group"}}));
  const auto contact = id_of(
      admin->post("/api/v1/contacts",
                  {{"name", "Acme contact"}, {"number", "+61412000009"}, {"groups", {group}}}));
  const auto domain = id_of(admin->post("/api/v1/domains", {{"name", "Acme domain"}}));
  const auto number =
      admin->get("/api/v1/numbers").json().at("items").at(0).at("id").get<store::id>();
  const auto keyword = id_of(admin->post(
      "/api/v1/keywords", {{"number", "4040"}, {"keyword", "ACME"}, {"group_id", group}}));
  const auto message = id_of(admin->post(
      "/api/v1/messages", {{"from", "4040"}, {"to", {{"groups", {group}}}}, {"text", "hi"}}));
  const auto token = id_of(admin->post("/api/v1/tokens", {{"name", "t"}}));
  {
    pqxx::connection c(db_.dsn());
    pqxx::work t(c);
    const auto other = store::create_company(t, "Globex");
    store::create_user(
        t, other,
        {"hank", "Hank", store::role::company_admin, store::hash_password("hank-password")});
    t.commit();
  }
  auto hank = as("hank", "hank-password");
  const std::map<std::string, store::id> ids = {
      {"{id}/contacts", contact}, {"{id}/groups", group},     {"{id}/domains", domain},
      {"{id}/numbers", number},   {"{id}/keywords", keyword}, {"{id}/messages", message},
      {"{id}/users", admin_},     {"{id}/tokens", token}};
  // Every routed pattern, filled with Acme's ids.
  store::db_runner runner(db_.dsn(), 1);
  boost::asio::io_context io;
  const smsgw::admin::api api(io.get_executor(), runner, {}, {});
  int checked = 0;
  for (const auto& [method, pattern] : api.routes()) {
    if (pattern.rfind("/api/v1/", 0) != 0 || pattern == "/api/v1/openapi.yaml") continue;
    std::string path = pattern;
    const auto resource = pattern.substr(8, pattern.find('/', 8) - 8);
    const auto fill = [&](const std::string& param, const std::string& value) {
      const auto at = path.find(param);
      if (at != std::string::npos) path.replace(at, param.size(), value);
    };
    const auto it = ids.find("{id}/" + resource);
    fill("{id}", std::to_string(it == ids.end() ? 1 : it->second));
    fill("{grantee}", "user:" + std::to_string(admin_));
    fill("{type}", "contact");
    fill("{member}", std::to_string(contact));
    fill("{number}", "+61412000009");
    const bool has_id = path != pattern;
    const bool upload = path.size() > 7 && path.substr(path.size() - 7) == "/import";
    const auto body = method == "GET" || method == "DELETE" ? std::string()
                      : upload                              ? std::string("number\n+61412000009\n")
                                                            : std::string("{}");
    const auto r = hank->request(method, path, body, upload ? "text/csv" : "application/json");
    ++checked;
    if (has_id) {
      EXPECT_TRUE(r.status == 404 || r.status == 403 || r.status == 422)
          << method << " " << path << " → " << r.status << " " << r.body;
    }
    EXPECT_EQ(r.body.find("Acme"), std::string::npos) << method << " " << path << " " << r.body;
    EXPECT_EQ(r.body.find("+61412000009\""), std::string::npos) << method << " " << path;
  }
  EXPECT_GT(checked, 40);
  // And nothing of Acme's changed.
  EXPECT_EQ(admin->get("/api/v1/contacts/" + std::to_string(contact)).json().at("name"),
            "Acme contact");
  EXPECT_EQ(admin->get("/api/v1/groups/" + std::to_string(group)).status, 200);
}

TEST_F(AdminApi, BadInputGetsAClearErrorAndChangesNothing) {
  auto admin = as_admin();
  const auto bad_json = admin->request("POST", "/api/v1/groups", "{\"name\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.json().at("error").at("code"), "invalid_json");
  EXPECT_EQ(bad_json.json().at("error").at("details").at(0).at("position"), 10);
  const auto unknown = admin->post("/api/v1/groups", {{"name", "G"}, {"colour", "red"}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.json().at("error").at("details").at(0).at("field"), "colour");
  const auto wrong_type = admin->post("/api/v1/groups", {{"name", 7}});
  EXPECT_EQ(wrong_type.status, 422);
  EXPECT_EQ(admin->request("POST", "/api/v1/groups", "name=G", "application/x-www-form-urlencoded")
                .status,
            415);
  EXPECT_EQ(admin->get("/api/v1/contacts?limit=0").status, 400);
  EXPECT_EQ(admin->get("/api/v1/contacts?cursor=abc").status, 400);
  EXPECT_EQ(admin->get("/api/v1/contacts/abc").status, 404);
  EXPECT_EQ(admin->get("/api/v1/contacts/%00").status, 400);
  EXPECT_EQ(admin->get("/api/v1/nothing").status, 404);
  const auto method = admin->request("PUT", "/api/v1/contacts");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.headers.at("allow"), "GET, HEAD, POST, OPTIONS");
  const auto options = admin->request("OPTIONS", "/api/v1/groups/1");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers.at("allow"), "GET, HEAD, PATCH, DELETE, OPTIONS");
  const auto head = admin->request("HEAD", "/api/v1/me");
  EXPECT_EQ(head.status, 200);
  EXPECT_GT(std::stoul(head.headers.at("content-length")), 10U);

  // SQL metacharacters and NUL bytes are data, never SQL: stored as given or refused.
  const std::string sneaky = "Robert'); DROP TABLE contacts;--";
  const auto g = admin->post("/api/v1/groups", {{"name", sneaky}});
  ASSERT_EQ(g.status, 201) << g.body;
  EXPECT_EQ(g.json().at("name"), sneaky);
  const auto nul = admin->post("/api/v1/groups", {{"name", std::string("a\0b", 3)}});
  EXPECT_EQ(nul.status, 422) << nul.body;
  const auto contact = admin->post(
      "/api/v1/contacts",
      {{"name", std::string("x\0y", 3)}, {"number", "+61412000001"}, {"groups", {id_of(g)}}});
  EXPECT_EQ(contact.status, 422) << contact.body;
  EXPECT_EQ(admin->get("/api/v1/contacts").json().at("items").size(), 0U);
  EXPECT_EQ(admin->get("/api/v1/groups").json().at("items").size(), 1U);
}

// The manual's export example ("Exporting Contacts"): Joe Famous in Authors and Directors,
// with public ids; then the same file without them.
TEST_F(AdminApi, ExportIsTheManualsFile) {
  auto admin = as_admin();
  const auto authors =
      id_of(admin->post("/api/v1/groups", {{"name", "Authors"}, {"public_id", "G0001"}}));
  const auto directors =
      id_of(admin->post("/api/v1/groups", {{"name", "Directors"}, {"public_id", "G007"}}));
  id_of(admin->post("/api/v1/contacts", {{"name", "Anglea McFiction"},
                                         {"number", "+61770000001"},
                                         {"alias", "ang"},
                                         {"public_id", "C342334"},
                                         {"groups", {authors}}}));
  id_of(admin->post("/api/v1/contacts", {{"name", "Joe Famous"},
                                         {"number", "+61770000002"},
                                         {"alias", "bigjoe"},
                                         {"public_id", "C724421"},
                                         {"groups", {authors, directors}}}));
  const auto a = std::to_string(authors);
  const auto with_ids = admin->get("/api/v1/groups/" + a + "/export?public_ids=true");
  ASSERT_EQ(with_ids.status, 200) << with_ids.body;
  EXPECT_EQ(with_ids.headers.at("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(with_ids.headers.at("transfer-encoding"), "chunked");
  EXPECT_EQ(
      with_ids.body,
      "\"Type\",\"Name\",\"Number\",\"Alias\",\"Public Id\",\"Group\",\"Group Public Ids\"\r\n"
      "\"contact\",\"Anglea McFiction\",\"+61770000001\",\"ang\",\"C342334\",\"Authors\","
      "\"G0001\"\r\n"
      "\"contact\",\"Joe Famous\",\"+61770000002\",\"bigjoe\",\"C724421\","
      "\"Authors|Directors\",\"G0001|G007\"\r\n");
  EXPECT_EQ(admin->get("/api/v1/groups/" + a + "/export").body,
            "\"Type\",\"Name\",\"Number\",\"Alias\",\"Group\"\r\n"
            "\"contact\",\"Anglea McFiction\",\"+61770000001\",\"ang\",\"Authors\"\r\n"
            "\"contact\",\"Joe Famous\",\"+61770000002\",\"bigjoe\",\"Authors|Directors\"\r\n");
  EXPECT_EQ(admin->get("/api/v1/groups/" + a + "/export?public_ids=yes").status, 400);
  EXPECT_EQ(admin->get("/api/v1/groups/999999/export").status, 404);
  // HEAD: the headers a GET would send, no body; the connection stays usable.
  const auto head = admin->request("HEAD", "/api/v1/groups/" + a + "/export");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(admin->get("/api/v1/me").status, 200);
}

// Members of all three types, quotes inside fields, and more members than one piece holds:
// every member once, in order, over several chunks.
TEST_F(AdminApi, ExportStreamsEveryMemberOfEveryType) {
  auto admin = as_admin();
  const auto bob = add_user(*admin, "bob");
  const auto staff = id_of(admin->post(
      "/api/v1/groups", {{"name", "Staff \"A\" Team"}, {"type", "users_and_contacts"}}));
  const auto inner = id_of(admin->post("/api/v1/groups", {{"name", "Inner"}, {"alias", "inner"}}));
  ASSERT_EQ(admin
                ->post("/api/v1/groups/" + std::to_string(staff) + "/members",
                       {{"users", {bob}}, {"groups", {inner}}})
                .status,
            200);
  {
    pqxx::connection c(db_.dsn());
    pqxx::work t(c);
    // 2,500 contacts: three pieces of the answer.
    t.exec_params0(
        "WITH c AS (INSERT INTO contacts (company_id, domain_id, name, number) "
        "SELECT $1, (SELECT id FROM domains WHERE company_id = $1 AND kind = 'shared'), "
        "'Fan ' || i, '+614120' || lpad(i::text, 5, '0') FROM generate_series(1, 2500) i "
        "RETURNING id) INSERT INTO group_contacts (group_id, contact_id) SELECT $2, id FROM c",
        company_, staff);
    t.commit();
  }
  const auto file = admin->get("/api/v1/groups/" + std::to_string(staff) + "/export");
  ASSERT_EQ(file.status, 200) << file.body;
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < file.body.size();) {
    const auto end = file.body.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    lines.push_back(file.body.substr(at, end - at));
    at = end + 2;
  }
  ASSERT_EQ(lines.size(), 1U + 2U + 2500U);
  EXPECT_EQ(lines[1], "\"group\",\"Inner\",\"\",\"inner\",\"Staff \"\"A\"\" Team\"");
  EXPECT_EQ(lines[2], "\"user\",\"bob\",\"\",\"bob\",\"Staff \"\"A\"\" Team\"");
  EXPECT_EQ(lines[3], "\"contact\",\"Fan 1\",\"+61412000001\",\"\",\"Staff \"\"A\"\" Team\"");
  EXPECT_EQ(lines.back(),
            "\"contact\",\"Fan 2500\",\"+61412002500\",\"\",\"Staff \"\"A\"\" Team\"");
}

// A rule the schema holds that the store's own checks do not (here one added for the test)
// is the caller's fault: 422 naming the column, and nothing is stored.
TEST_F(AdminApi, SchemaRefusalsAreValidationErrors) {
  {
    pqxx::connection c(db_.dsn());
    pqxx::work t(c);
    t.exec0(
        "ALTER TABLE groups DROP CONSTRAINT groups_name_check, ADD CONSTRAINT groups_name_check "
        "CHECK (length(name) BETWEEN 1 AND 200 AND name <> 'Forbidden')");
    t.commit();
  }
  auto admin = as_admin();
  const auto refused = admin->post("/api/v1/groups", {{"name", "Forbidden"}});
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code"), "validation_failed");
  EXPECT_EQ(refused.json().at("error").at("details").at(0).at("field"), "name");
  EXPECT_EQ(admin->get("/api/v1/groups").json().at("items").size(), 0U);
  EXPECT_EQ(admin->post("/api/v1/groups", {{"name", "Allowed"}}).status, 201);
}

TEST_F(AdminApi, TransportLimitsHold) {
  // Oversized headers: 431; an oversized body: 413 before it is read.
  const std::string big_header =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(raw_exchange(port_, big_header).rfind("HTTP/1.1 431", 0), 0U);
  const std::string big_body =
      "POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 5000000\r\n\r\n{";
  EXPECT_EQ(raw_exchange(port_, big_body).rfind("HTTP/1.1 413", 0), 0U);
  EXPECT_EQ(raw_exchange(port_, "NOT HTTP AT ALL\r\n\r\n").rfind("HTTP/1.1 400", 0), 0U);
  // Pipelined requests are answered in order on one connection.
  const auto two = raw_exchange(port_,
                                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto first = two.find("HTTP/1.1 200");
  const auto second = two.find("HTTP/1.1 404");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
}

// A client trickling a request byte by byte is dropped at the read deadline (3 s in the
// tests), unanswered; one that sends nothing after connecting, at the idle deadline (5 s).
TEST_F(AdminApi, SlowAndIdleClientsAreDropped) {
  namespace net = boost::asio;
  net::io_context io;
  const auto connect = [&] {
    net::ip::tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), port_});
    return s;
  };
  auto slow = connect();
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaa\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  for (const char ch : request) {
    net::write(slow, net::buffer(&ch, 1), ec);
    if (ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(ec) << "the server read a trickled request for " << request.size() * 200 << " ms";
  EXPECT_LT(took, std::chrono::seconds(8));
  auto idle = connect();
  char byte = 0;
  const auto idle_started = std::chrono::steady_clock::now();
  EXPECT_EQ(idle.read_some(net::buffer(&byte, 1), ec), 0U);
  EXPECT_EQ(ec, net::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - idle_started, std::chrono::seconds(8));
}

// Bytes allocated and not yet freed, whatever the allocator (ASan's in the test build).
std::size_t live_heap_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

// 1,000 idle keep-alive connections stay open while another client is served, and 10,000
// requests on one connection leave the heap where it was after the first 1,000.
TEST_F(AdminApi, ManyIdleConnectionsAndKeepAliveRequests) {
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  ASSERT_GE(files.rlim_cur, 2200U) << "both ends of 1,000 connections need descriptors";
  restart([](smsgw::config::daemon_config& c) { c.admin_port.max_connections = 1100; });

  std::vector<std::unique_ptr<http_client>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<http_client>(port_));
    ASSERT_EQ(idle.back()->get("/healthz").status, 200) << "connection " << i;
  }
  auto admin = as_admin();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(admin->get("/api/v1/me").status, 200);
  const auto warm = live_heap_bytes();
  for (int i = 0; i < 9000; ++i) ASSERT_EQ(admin->get("/api/v1/me").status, 200);
  const auto after = live_heap_bytes();
  RecordProperty("heap_growth_bytes",
                 std::to_string(static_cast<long long>(after) - static_cast<long long>(warm)));
  EXPECT_LT(after, warm + 1024 * 1024) << "the heap grew by " << (after - warm) << " bytes";
  // The idle ones were kept, not dropped to make room.
  EXPECT_EQ(idle.front()->get("/healthz").status, 200);
}

// HTTPS with the configured certificate: a verifying client is served; plain HTTP and TLS
// older than 1.2 are not.
TEST_F(AdminApi, HttpsWithTheConfiguredCertificate) {
  const smsgw::testing::test_certificate cert;
  ASSERT_TRUE(cert.ok()) << "openssl could not make a certificate";
  restart([&](smsgw::config::daemon_config& c) {
    c.admin_port.tls = smsgw::config::tls_files{cert.certificate().string(), cert.key().string()};
  });
  http_client secure(port_, cert.certificate().string());
  secure.basic("admin", admin_password);
  const auto me = secure.get("/api/v1/me");
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(secure.get("/api/v1/me").json().at("username"), "admin");

  const auto plain =
      raw_exchange(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(2));
  EXPECT_EQ(plain.find("200 OK"), std::string::npos) << plain;

  namespace net = boost::asio;
  net::io_context io;
  net::ssl::context old(net::ssl::context::tls_client);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  old.set_verify_mode(net::ssl::verify_none);
  net::ssl::stream<net::ip::tcp::socket> tls11(io, old);
  tls11.next_layer().connect({net::ip::make_address("127.0.0.1"), port_});
  boost::system::error_code ec;
  tls11.handshake(net::ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";
}

// A multipart/form-data body as curl -F builds it: `fields` in order, then `file`.
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::string& file, const std::string& boundary) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
           value + "\r\n";
  }
  out += "--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"test.csv\"\r\n"
         "Content-Type: text/csv\r\n\r\n" +
         file + "\r\n--" + boundary + "--\r\n";
  return out;
}

// Runs `command` in a shell and returns what it printed.
std::string shell_output(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
  ::pclose(p);
  return out;
}

TEST_F(AdminApi, ImportIntoAGroupOverHttp) {
  auto admin = as_admin();
  const auto friends = id_of(admin->post("/api/v1/groups", {{"name", "Friends"}}));
  const auto work = id_of(admin->post("/api/v1/groups", {{"name", "Work"}}));
  const std::string path = "/api/v1/groups/" + std::to_string(friends) + "/import";
  const std::string boundary = "------------------------d74496d66958873e";
  const auto type = "multipart/form-data; boundary=" + boundary;

  const auto made = admin->request(
      "POST", path,
      form_body({{"merge", "true"}}, "name,number,group\nAnn,+61497565432,Work\n", boundary), type);
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(made.json(), (json{{"rows", 1},
                               {"created", 1},
                               {"updated", 0},
                               {"unchanged", 0},
                               {"added_to_groups", 2},
                               {"removed_from_group", 0}}));
  EXPECT_EQ(names(admin->get("/api/v1/groups/" + std::to_string(work) + "/members")),
            (std::set<std::string>{"Ann"}));

  // The file alone as text/csv, the options in the query.
  const auto csv = admin->request("POST", path + "?merge=true&key=number",
                                  "number,name\n+61497565432,Ann Smith\n", "text/csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.json().at("updated"), 1);

  // A refused file: every bad row by line and column, nothing changed.
  const auto refused = admin->request(
      "POST", path, form_body({}, "number,name\n+61492776143,Bo\nnope,Cy\n+6149,Di\n", boundary),
      type);
  ASSERT_EQ(refused.status, 422) << refused.body;
  const auto body = refused.json();
  EXPECT_EQ(body.at("error").at("code"), "import_refused");
  EXPECT_EQ(body.at("error_count"), 2);
  EXPECT_EQ(body.at("errors").at(0),
            (json{{"line", 3}, {"column", "number"}, {"reason", "is not a phone number"}}));
  EXPECT_EQ(body.at("errors").at(1).at("line"), 4);
  EXPECT_EQ(names(admin->get("/api/v1/groups/" + std::to_string(friends) + "/members")),
            (std::set<std::string>{"Ann Smith"}));

  // Malformed uploads and options: clear errors.
  EXPECT_EQ(admin->request("POST", path, "--x\r\nnot a part", type).status, 400);
  EXPECT_EQ(
      admin->request("POST", path, form_body({{"merge", "maybe"}}, "number\n", boundary), type)
          .status,
      400);
  EXPECT_EQ(
      admin->request("POST", path, form_body({{"key", "shoe"}}, "number\n", boundary), type).status,
      400);
  EXPECT_EQ(admin->request("POST", path, "{}", "application/json").status, 415);
  EXPECT_EQ(admin->request("POST", "/api/v1/groups/999999/import", "number\n", "text/csv").status,
            404);
  // An import that is not allowed: a user who can only view the group's domain.
  const auto vic_id = add_user(*admin, "vic");
  auto vic = as("vic", "vic-password");
  const auto sales = id_of(admin->post("/api/v1/domains", {{"name", "Sales"}}));
  const auto leads =
      id_of(admin->post("/api/v1/groups", {{"name", "Leads"}, {"domain_id", sales}}));
  const auto grant = admin->put(
      "/api/v1/domains/" + std::to_string(sales) + "/accesses/user:" + std::to_string(vic_id),
      {{"level", "viewer"}});
  EXPECT_EQ(grant.status, 200) << grant.body;
  EXPECT_EQ(vic->request("POST", "/api/v1/groups/" + std::to_string(leads) + "/import",
                         "number\n+61492776143\n", "text/csv")
                .status,
            403);
}

// A file of 20,000 rows (about 1 MB, past the JSON body limit) streams into the import.
TEST_F(AdminApi, LargeUploadsStreamIntoTheImport) {
  auto admin = as_admin();
  const auto big = id_of(admin->post("/api/v1/groups", {{"name", "Big"}}));
  std::string csv = "number,name,email\n";
  for (int i = 0; i < 20000; ++i) {
    csv += "+614" + std::to_string(10000000 + i) + ",Person Number " + std::to_string(i) +
           ",person" + std::to_string(i) + "@example.com\n";
  }
  ASSERT_GT(csv.size(), std::size_t{1024} * 1024);
  const auto r =
      admin->request("POST", "/api/v1/groups/" + std::to_string(big) + "/import", csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("created"), 20000);
}

// A running import is listed with the rows read so far; while it runs, another is refused
// (the daemon runs pool_size - 1 at once, so imports never take every API connection).
TEST_F(AdminApi, RunningImportsAreListedAndCapped) {
  auto admin = as_admin();
  const auto big = id_of(admin->post("/api/v1/groups", {{"name", "Big"}}));
  const auto small = id_of(admin->post("/api/v1/groups", {{"name", "Small"}}));
  std::string csv = "number,name\n";
  for (int i = 0; i < 60000; ++i) {
    csv += "+614" + std::to_string(20000000 + i) + ",Person " + std::to_string(i) + "\n";
  }
  http_result done;
  std::thread importer([&] {
    http_client c(port_);
    c.basic("admin", admin_password);
    done = c.request("POST", "/api/v1/groups/" + std::to_string(big) + "/import", csv, "text/csv");
  });
  json seen;
  for (int i = 0; i < 1500 && seen.is_null(); ++i) {
    const auto items = admin->get("/api/v1/imports").json().at("items");
    if (!items.empty() && items.at(0).at("rows_read").get<int>() > 0) {
      seen = items.at(0);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const auto second = admin->request("POST", "/api/v1/groups/" + std::to_string(small) + "/import",
                                     "number\n+61497565432\n", "text/csv");
  importer.join();
  ASSERT_FALSE(seen.is_null()) << "the import never showed its progress";
  EXPECT_EQ(seen.at("group_id"), big);
  EXPECT_EQ(seen.at("bytes"), csv.size());
  EXPECT_EQ(seen.at("started_at").get<std::string>().size(), 20U);
  EXPECT_EQ(second.status, 429) << second.body;
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.json().at("created"), 60000);
  EXPECT_TRUE(admin->get("/api/v1/imports").json().at("items").empty());
  EXPECT_EQ(admin
                ->request("POST", "/api/v1/groups/" + std::to_string(small) + "/import",
                          "number\n+61497565432\n", "text/csv")
                .status,
            200);
}

// Past admin.upload_limit_mb an upload is refused (413) before it is read, and the port
// keeps serving.
TEST_F(AdminApi, UploadsPastTheLimitAreRefused) {
  restart([](smsgw::config::daemon_config& c) { c.admin_port.upload_limit_mb = 1; });
  auto admin = as_admin();
  const auto g = id_of(admin->post("/api/v1/groups", {{"name", "G"}}));
  // Only the header is sent: the 413 must come before any of the body (a client still
  // writing a refused body may see the connection reset before it reads the answer).
  const auto answer =
      raw_exchange(port_,
                   "POST /api/v1/groups/" + std::to_string(g) +
                       "/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: " +
                       std::to_string(std::size_t{1024} * 1024 + 1) + "\r\n\r\n",
                   std::chrono::seconds(2));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0U) << answer;
  EXPECT_EQ(as_admin()->get("/api/v1/me").status, 200);
}

// The manual's curl line, verbatim, against the admin port over HTTPS.
TEST_F(AdminApi, TheManualsCurlLineOverHttps) {
  const smsgw::testing::test_certificate cert;
  ASSERT_TRUE(cert.ok()) << "openssl could not make a certificate";
  restart([&](smsgw::config::daemon_config& c) {
    c.admin_port.tls = smsgw::config::tls_files{cert.certificate().string(), cert.key().string()};
  });
  store::id group = 0;
  {
    pqxx::connection c(db_.dsn());
    pqxx::work t(c);
    store::create_user(t, company_,
                       {"foo", "Foo", store::role::company_admin, store::hash_password("bar")});
    group = t.exec_params1(
                 "INSERT INTO groups (company_id, domain_id, name) SELECT $1, id, "
                 "'Customers' FROM domains WHERE company_id = $1 AND kind = 'shared' "
                 "RETURNING id",
                 company_)[0]
                .as<store::id>();
    t.commit();
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("smsgw-curl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "test.csv");
    f << "name,number,group\r\nJohn Stamos,61497565432,\r\nNicky Tomb,61492776143,\r\n";
  }
  const std::string line = "curl -k -F 'username=foo' -F 'password=bar' -F 'absid=G#" +
                           std::to_string(group) +
                           "' -F 'key=number' -F 'merge=true' -F 'file=@test.csv'";
  const auto out = shell_output("cd '" + dir.string() + "' && " + line +
                                " -sS https://127.0.0.1:" + std::to_string(port_) + "/import 2>&1");
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(out.empty());
  const auto answer = json::parse(out, nullptr, false);
  ASSERT_FALSE(answer.is_discarded()) << out;
  EXPECT_EQ(answer.at("created"), 2) << out;
  EXPECT_EQ(answer.at("added_to_groups"), 2) << out;

  // The same line with a wrong password, and without naming a group.
  const auto wrong = shell_output(
      "cd /tmp && curl -k -s -o /dev/null -w '%{http_code}' -F "
      "'username=foo' -F 'password=baz' -F 'absid=G#" +
      std::to_string(group) + "' -F 'file=@/dev/null' https://127.0.0.1:" + std::to_string(port_) +
      "/import");
  EXPECT_EQ(wrong, "401");
}

// The OpenAPI document names exactly the routed methods and paths.
TEST(AdminOpenApi, DocumentMatchesTheRoutes) {
  const auto doc = YAML::Load(std::string(smsgw::admin::openapi_yaml));
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      auto method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.emplace(method, path.first.as<std::string>());
    }
  }
  store::db_runner runner("", 1);
  boost::asio::io_context io;
  const smsgw::admin::api api(io.get_executor(), runner, {}, {});
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& r : api.routes()) routed.insert(r);
  for (const auto& r : routed) {
    EXPECT_TRUE(documented.count(r)) << r.first << " " << r.second << " is not in openapi.yaml";
  }
  for (const auto& d : documented) {
    EXPECT_TRUE(routed.count(d)) << d.first << " " << d.second << " is documented, not routed";
  }
}

}  // namespace
