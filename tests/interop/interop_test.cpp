// smsgwd against an SMSC nobody on this project wrote: node-smpp (npm `smpp`), driven by
// tests/interop/smsc.js. `./dev test` installs node-smpp with npm.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/directory.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/pg.hpp"

extern char** environ;

namespace smsgw {
namespace {

namespace fs = std::filesystem;
using testing::harness;
using testing::test_database;

using testing::read_file;

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// node smsc.js with its output in a file; killed at the end of the test.
class node_smsc {
 public:
  explicit node_smsc(const fs::path& output) : output_(output) {
    const fs::path dir = fs::path(SMSGW_SOURCE_DIR) / "tests/interop";
    const std::string script = (dir / "smsc.js").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string node = "node";
    std::string zero = "0";
    char* argv[] = {node.data(), const_cast<char*>(script.c_str()), zero.data(), nullptr};
    if (posix_spawnp(&pid_, "node", &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~node_smsc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  node_smsc(const node_smsc&) = delete;
  node_smsc& operator=(const node_smsc&) = delete;

  /// The port from the first line, once printed.
  std::uint16_t port() const {
    const auto out = read_file(output_);
    const auto at = out.find("\"port\":");
    return at == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(out.substr(at + 7)));
  }
  std::string output() const { return read_file(output_); }

 private:
  fs::path output_;
  pid_t pid_ = -1;
};

TEST(Interop, NodeSmppSmscDeliversGsmUcs2AndMultipartMosAndTakesRepliesAndReceipts) {
  ASSERT_TRUE(fs::exists(fs::path(SMSGW_SOURCE_DIR) / "tests/interop/node_modules/smpp"))
      << "node-smpp is missing: run `./dev test` (it runs npm ci in tests/interop)";
  test_database db;
  {
    auto c = db.connect();
    pqxx::work w(c);
    const auto company = store::create_company(w, "Demo");
    const auto group =
        store::create_group(w, company, store::builtin_domain(w, company, "shared"), "Movie News");
    const auto number = store::add_number(w, company, "4040", "short_code");
    store::add_keyword(w, {number, "MOVIE", group, "Welcome to Movie News!", "Bye.",
                           "Movie News help.", keywords::tail_policy::unmatched});
    w.commit();
  }
  const auto out =
      fs::temp_directory_path() / ("smsgw-interop-" + std::to_string(::getpid()) + ".log");
  node_smsc smsc(out);
  ASSERT_TRUE(harness::eventually([&] { return smsc.port() != 0; })) << smsc.output();
  harness h(db.dsn(), "interop", {}, smsc.port());
  ASSERT_TRUE(h.wait_ready()) << smsc.output();

  ASSERT_TRUE(harness::eventually([&] {
    return smsc.output().find("scenario_done") != std::string::npos;
  })) << smsc.output();
  const auto log = smsc.output();
  EXPECT_NE(log.find(R"("event":"bound","system_id":"smsgw","interface_version":52)"),
            std::string::npos)
      << log;
  EXPECT_EQ(count(log, R"("event":"deliver_resp")"), 4U) << log;
  EXPECT_EQ(count(log, R"("status":0)"), count(log, R"("status":)")) << log;

  // What smsgw made of each MO: GSM, UCS-2 with a surrogate pair, two parts out of order.
  EXPECT_EQ(
      db.scalar("SELECT decision || ' ' || text FROM inbound_log WHERE source = '+61400000031'"),
      "opt_in MOVIE");
  EXPECT_EQ(
      db.scalar("SELECT decision || ' ' || text FROM inbound_log WHERE source = '+61400000032'"),
      "keyword_help MOVIE HELP \u2764 \U0001F3AC");
  EXPECT_EQ(
      db.scalar(
          "SELECT decision || ' ' || length(text) FROM inbound_log WHERE source = '+61400000033'"),
      "keyword_help 161");

  // Three replies, each answered with a decimal id and receipted in hex: all delivered.
  ASSERT_TRUE(harness::eventually([&] {
    return count(smsc.output(), R"("event":"receipt_resp")") == 3;
  })) << smsc.output();
  EXPECT_EQ(count(smsc.output(), R"("event":"submit","from":"4040")"), 3U);
  EXPECT_NE(
      smsc.output().find(R"("to":"61400000031","data_coding":0,"text":"Welcome to Movie News!")"),
      std::string::npos);
  ASSERT_TRUE(harness::eventually([&] {
    return db.scalar("SELECT count(*) FROM outbox WHERE status = 'delivered'") == "3";
  })) << db.scalar("SELECT string_agg(status, ',') FROM outbox");
  fs::remove(out);
}

}  // namespace
}  // namespace smsgw
