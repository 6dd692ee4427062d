// The web console in a real browser: Debian's chromium, driven by tests/console/walk.mjs
// (npm puppeteer-core), against the daemon with its admin port, a real PostgreSQL and the
// SMSC simulator. This test seeds what the walk starts from, runs the walk's steps and
// injects the MOs between them; `./dev test` installs chromium and runs npm ci here.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/directory.hpp"
#include "store/password.hpp"
#include "store/users.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/pg.hpp"

extern char** environ;

namespace smsgw {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::harness;
using testing::http_client;
using testing::test_database;

using testing::read_file;

const fs::path walk_dir = fs::path(SMSGW_SOURCE_DIR) / "tests/console";

// The company of the manual's walk: Acme, its admin, Bob and Mary (users), Bob's VIPs domain,
// the Tsunami Alerts group with Alice (added by the admin) and Don Bradman (by Mary), and the
// short code 4040 - what the pages of this walk do not create themselves.
class Console : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(walk_dir / "node_modules/puppeteer-core"))
        << "puppeteer-core is missing: run `./dev test` (it runs npm ci in tests/console)";
    ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: run `./dev test`";
    {
      pqxx::connection c(db_.dsn());
      pqxx::work t(c);
      const auto company = store::create_company(t, "Acme");
      store::create_user(t, company,
                         {"admin", "Ada Admin", store::role::company_admin,
                          store::hash_password("admin-password")});
      t.commit();
    }
    sim::smsc_options sim;
    sim.receipts = true;
    h_ = std::make_unique<harness>(db_.dsn(), "test", sim);
    ASSERT_TRUE(h_->wait_ready());
    port_ = h_->app().admin_port();
    base_ = "http://127.0.0.1:" + std::to_string(port_);

    auto admin = as("admin");
    for (const char* user : {"bob", "mary"}) {
      const auto r =
          admin->post("/api/v1/users", {{"username", user},
                                        {"name", std::string(user) == "bob" ? "Bob" : "Mary"},
                                        {"password", std::string(user) + "-password"},
                                        {"role", "user"}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
    ASSERT_EQ(admin->post("/api/v1/numbers", {{"number", "4040"}, {"kind", "short_code"}}).status,
              201);
    tsunami_ = id_of(admin->post("/api/v1/groups", {{"name", "Tsunami Alerts"}}));
    id_of(admin->post(
        "/api/v1/contacts",
        {{"name", "Alice Waters"}, {"number", "+61412000001"}, {"groups", {tsunami_}}}));
    id_of(as("mary")->post(
        "/api/v1/contacts",
        {{"name", "Don Bradman"}, {"number", "+61412000002"}, {"groups", {tsunami_}}}));
    id_of(as("bob")->post("/api/v1/domains", {{"name", "VIPs"}}));
  }

  std::unique_ptr<http_client> as(const std::string& user) {
    auto c = std::make_unique<http_client>(port_);
    c->basic(user, user + "-password");
    return c;
  }

  static std::int64_t id_of(const testing::http_result& r) {
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
    return r.status == 200 || r.status == 201 ? r.json().at("id").get<std::int64_t>() : 0;
  }

  // `node walk.mjs BASE STEP`: true when the step passed; its output on failure.
  void walk(const std::string& step) {
    const auto out = fs::temp_directory_path() /
                     ("smsgw-console-" + std::to_string(::getpid()) + "-" + step + ".log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string node = "node";
    const std::string script = (walk_dir / "walk.mjs").string();
    std::string base = base_;
    std::string name = step;
    char* argv[] = {node.data(), const_cast<char*>(script.c_str()), base.data(), name.data(),
                    nullptr};
    pid_t pid = -1;
    ASSERT_EQ(posix_spawnp(&pid, "node", &actions, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    // The daemon runs in this process: wait without blocking its threads, within a bound.
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(150);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL() << "step " << step << " took too long:\n" << read_file(out);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "step " << step << ":\n"
                                                               << read_file(out);
    fs::remove(out);
  }

  test_database db_;
  std::unique_ptr<harness> h_;
  std::uint16_t port_ = 0;
  std::string base_;
  std::int64_t tsunami_ = 0;
};

TEST_F(Console, SignInAndTheBrowsersProtections) {
  walk("security");
  // The sign-in and the sign-out are in the audit trail; the session is gone.
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM audit_log WHERE action = 'session.begin'"), "2");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM console_sessions"), "0");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM groups WHERE name = 'Forged'"), "0");
}

TEST_F(Console, BobMaryAndDonaldThroughThePages) {
  walk("visibility");
  EXPECT_EQ(db_.scalar("SELECT d.name FROM contacts c JOIN domains d ON d.id = c.domain_id "
                       "WHERE c.name = 'Donald Trump'"),
            "VIPs");
  EXPECT_EQ(db_.scalar("SELECT level FROM grants g JOIN users u ON u.id = g.grantee_user_id "
                       "WHERE u.username = 'mary'"),
            "viewer");
}

TEST_F(Console, AKeywordMadeInThePagesJoinsATexterWhoShowsUpInThem) {
  walk("keyword");
  const auto mo = h_->deliver("+61412000009", "4040", "MOVIE");
  ASSERT_EQ(mo.status, 0U);
  ASSERT_TRUE(
      harness::eventually([&] { return !h_->smsc().submits().empty(); }, std::chrono::seconds(10)));
  EXPECT_EQ(h_->smsc().submits().front().text, "Welcome to Movie News!");
  walk("joined");
  walk("compose");
  EXPECT_EQ(db_.scalar("SELECT status FROM outbox WHERE destination = '+61412000009' "
                       "AND text = 'New trailer tonight at 8!'"),
            "delivered");
  walk("import");
  walk("company");
  walk("accessibility");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM suppressions WHERE number = '+61412000077'"), "1");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM contacts WHERE name = 'Nobody'"), "0");
}

}  // namespace
}  // namespace smsgw
