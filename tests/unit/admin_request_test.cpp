// The admin API's pure request handling: targets, routes, credentials headers, cookies, the
// verified-credentials cache, the failed-login limiter, JSON body fields and the console's
// files.
#include <thread>

#include <gtest/gtest.h>

#include "admin/auth.hpp"
#include "admin/call.hpp"
#include "admin/console.hpp"
#include "admin/router.hpp"
#include "admin/target.hpp"

using namespace smsgw::admin;  // NOLINT(google-build-using-namespace): tests of one library

TEST(Target, DecodesSegmentsAndQuery) {
  const auto t = parse_target("/api/v1/suppressions/+61%20412?q=Don+Br%C3%BC&limit=20&flag");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "suppressions", "+61 412"}));
  EXPECT_EQ(t->param("q"), "Don Brü");
  EXPECT_EQ(t->param("limit"), "20");
  EXPECT_EQ(t->param("flag"), "");
  EXPECT_EQ(t->param("missing"), std::nullopt);
}

TEST(Target, RefusesWhatIsNotAnOriginFormTarget) {
  EXPECT_FALSE(parse_target(""));
  EXPECT_FALSE(parse_target("api/v1"));
  EXPECT_FALSE(parse_target("//evil.example/x"));
  EXPECT_FALSE(parse_target("/a%00b"));
  EXPECT_FALSE(parse_target("/a b"));
  EXPECT_EQ(parse_target("/a%00").error(), "the target holds an encoded NUL byte");
  std::string many = "/";
  for (int i = 0; i < 100; ++i) many += "a/";
  EXPECT_EQ(parse_target(many).error(), "too many path segments");
}

TEST(Router, MatchesPatternsAndTellsAllowedMethods) {
  router r;
  const auto list = r.add("GET", "/api/v1/groups");
  const auto get = r.add("GET", "/api/v1/groups/{id}");
  r.add("DELETE", "/api/v1/groups/{id}");
  const auto member = r.add("DELETE", "/api/v1/groups/{id}/members/{type}/{member}");
  const auto m = r.match("GET", {"api", "v1", "groups", "7"});
  ASSERT_TRUE(std::holds_alternative<route_match>(m));
  EXPECT_EQ(std::get<route_match>(m).route, get);
  EXPECT_EQ(std::get<route_match>(m).params, (path_params{{"id", "7"}}));
  EXPECT_EQ(std::get<route_match>(r.match("HEAD", {"api", "v1", "groups"})).route, list);
  const auto d = r.match("DELETE", {"api", "v1", "groups", "7", "members", "contact", "9"});
  EXPECT_EQ(std::get<route_match>(d).route, member);
  EXPECT_EQ(std::get<route_match>(d).params,
            (path_params{{"id", "7"}, {"type", "contact"}, {"member", "9"}}));
  const auto wrong = r.match("PUT", {"api", "v1", "groups", "7"});
  ASSERT_TRUE(std::holds_alternative<method_mismatch>(wrong));
  EXPECT_EQ(std::get<method_mismatch>(wrong).allowed, (std::vector<std::string>{"GET", "DELETE"}));
  EXPECT_TRUE(std::holds_alternative<no_route>(r.match("GET", {"api", "v1", "groups", ""})));
  EXPECT_TRUE(std::holds_alternative<no_route>(r.match("GET", {"api", "v2", "groups"})));
}

TEST(Credentials, BasicAndBearerHeaders) {
  const auto b = parse_basic("Basic YWxpY2U6czNjcjM6dA==");  // alice:s3cr3:t
  ASSERT_TRUE(b);
  EXPECT_EQ(b->username, "alice");
  EXPECT_EQ(b->password, "s3cr3:t");
  EXPECT_TRUE(parse_basic("basic YWxpY2U6czNjcjM6dA=="));
  EXPECT_FALSE(parse_basic("Basic"));
  EXPECT_FALSE(parse_basic("Basic !!!"));
  EXPECT_FALSE(parse_basic("Basic YWxpY2U="));  // no colon
  EXPECT_FALSE(parse_basic("Basic YQBiOmM="));  // a NUL in the name
  EXPECT_FALSE(parse_basic("Bearer abc"));
  EXPECT_EQ(parse_bearer("Bearer smsgw_abc"), "smsgw_abc");
  EXPECT_FALSE(parse_bearer("Bearer "));
  EXPECT_FALSE(parse_bearer("Basic abc"));
}

TEST(Credentials, SessionCookie) {
  EXPECT_EQ(parse_cookie("smsgw_session=abc", "smsgw_session"), "abc");
  EXPECT_EQ(parse_cookie("a=1; smsgw_session=abc ;b=2", "smsgw_session"), "abc");
  EXPECT_EQ(parse_cookie("smsgw_session=\"abc\"", "smsgw_session"), "abc");
  EXPECT_EQ(parse_cookie("smsgw_session=", "smsgw_session"), "");
  EXPECT_FALSE(parse_cookie("x_smsgw_session=abc; smsgw_sessionx=1", "smsgw_session"));
  EXPECT_FALSE(parse_cookie("", "smsgw_session"));
  EXPECT_FALSE(parse_cookie("smsgw_session", "smsgw_session"));
  // Two cookies of that name (one planted for a parent domain, say): neither is trusted.
  EXPECT_FALSE(parse_cookie("smsgw_session=a; smsgw_session=b", "smsgw_session"));
}

TEST(Console, ServesItsFilesCompressedAndRevalidated) {
  http_request r;
  r.method = "GET";
  const auto root = serve_console(r, "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_FALSE(serve_console(r, "/api/v1/me"));
  EXPECT_FALSE(serve_console(r, "/consoles"));
  EXPECT_EQ(serve_console(r, "/console/nothing.js")->status, 404);
  EXPECT_EQ(serve_console(r, "/console/../index.html")->status, 404);

  const auto page = serve_console(r, "/console/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<script type=\"module\" src=\"app.js\">"), std::string::npos);
  std::string etag;
  for (const auto& [k, v] : page->headers) {
    if (k == "ETag") etag = v;
    EXPECT_NE(k, "Content-Encoding");
  }
  ASSERT_FALSE(etag.empty());

  r.headers = {{"accept-encoding", "br, gzip;q=0.8"}};
  const auto packed = serve_console(r, "/console/app.js");
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->body.substr(0, 2), "\x1f\x8b");  // the gzip magic
  http_request plain;
  plain.method = "GET";
  EXPECT_LT(packed->body.size(), serve_console(plain, "/console/app.js")->body.size());
  r.headers = {{"accept-encoding", "gzip;q=0"}};
  EXPECT_NE(serve_console(r, "/console/app.js")->body.substr(0, 2), "\x1f\x8b");

  r.headers = {{"if-none-match", etag}};
  const auto same = serve_console(r, "/console/index.html");
  EXPECT_EQ(same->status, 304);
  EXPECT_TRUE(same->body.empty());

  r.method = "POST";
  EXPECT_EQ(serve_console(r, "/console/")->status, 405);
  // Every file has a type the browser will run or render under the policy.
  for (const auto& a : console_assets()) {
    EXPECT_FALSE(a.type.empty()) << a.path;
    EXPECT_FALSE(a.gzip.empty()) << a.path;
  }
}

TEST(CredentialCache, RemembersOnlyTheSameTriple) {
  credential_cache c(std::chrono::seconds(60), 2);
  EXPECT_FALSE(c.verified("alice", "pw", "$hash1"));
  c.remember("alice", "pw", "$hash1");
  EXPECT_TRUE(c.verified("alice", "pw", "$hash1"));
  EXPECT_FALSE(c.verified("alice", "pw2", "$hash1"));
  EXPECT_FALSE(c.verified("alice", "pw", "$hash2"));  // the password changed meanwhile
  EXPECT_FALSE(c.verified("alicep", "w", "$hash1"));  // no ambiguity in the concatenation
  c.remember("bob", "pw", "$h");
  c.remember("carol", "pw", "$h");  // over the bound: the cache starts again
  EXPECT_TRUE(c.verified("carol", "pw", "$h"));
  credential_cache expired(std::chrono::seconds(0), 10);
  expired.remember("alice", "pw", "$hash1");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(expired.verified("alice", "pw", "$hash1"));
}

TEST(LoginLimiter, BlocksPerUserAndPerAddress) {
  login_limiter l(3, 5, std::chrono::seconds(60));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(l.blocked("alice", "10.0.0.1"));
    l.failed("alice", "10.0.0.1");
  }
  ASSERT_TRUE(l.blocked("alice", "10.0.0.2"));
  EXPECT_LE(*l.blocked("alice", "10.0.0.2"), std::chrono::seconds(60));
  EXPECT_FALSE(l.blocked("bob", "10.0.0.2"));
  l.failed("bob", "10.0.0.1");
  l.failed("carol", "10.0.0.1");
  EXPECT_TRUE(l.blocked("dave", "10.0.0.1"));  // five failures from one address
  l.succeeded("alice");
  EXPECT_FALSE(l.blocked("alice", "10.0.0.2"));
}

TEST(BodyFields, CollectsEveryIssue) {
  const auto body = nlohmann::json::parse(
      R"({"name": "G", "type": 3, "groups": [1, "x"], "tags": {"city": "Perth"}, "extra": 1})");
  body_fields b(body);
  EXPECT_EQ(b.text("name"), "G");
  EXPECT_EQ(b.text("type"), std::nullopt);
  EXPECT_EQ(b.ids("groups"), std::nullopt);
  EXPECT_EQ(b.text_map("tags"), (std::map<std::string, std::string>{{"city", "Perth"}}));
  EXPECT_EQ(b.required("alias", b.text("alias")), "");
  try {
    b.finish();
    FAIL() << "no validation_error";
  } catch (const smsgw::store::validation_error& e) {
    EXPECT_EQ(e.issues(), (std::vector<smsgw::store::field_issue>{
                              {"type", "must be a string"},
                              {"groups", "must be an array of positive integer ids"},
                              {"alias", "is required"},
                              {"extra", "is not a field of this object"}}));
  }
  const auto array = nlohmann::json::array();
  body_fields not_object(array);
  EXPECT_THROW(not_object.finish(), smsgw::store::validation_error);
}
