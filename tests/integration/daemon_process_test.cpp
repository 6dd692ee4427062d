// smsgwd and smsc-sim as real processes: command line, systemd notifications, signals,
// the ops endpoints, and the unit file.
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/files.hpp"
#include "tests/support/pg.hpp"

extern char** environ;

namespace smsgw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::test_database;

using testing::read_file;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// A child process with stdout and stderr in one file (or one descriptor) and stdin from a file.
class process {
 public:
  process(const std::vector<std::string>& argv, const fs::path& output,
          const std::vector<std::string>& extra_env = {}, const fs::path& input = "/dev/null")
      : process(argv, output, -1, extra_env, input) {}
  /// Output to the descriptor `output_fd` (a pipe's end, say) instead of a file.
  process(const std::vector<std::string>& argv, int output_fd,
          const std::vector<std::string>& extra_env = {})
      : process(argv, "", output_fd, extra_env, "/dev/null") {}
  ~process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }
  /// The exit code, waiting up to `timeout`; -1 on timeout or death by signal.
  int wait(std::chrono::milliseconds timeout = 20s) {
    eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_)
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          return exit_code_.has_value();
        },
        timeout);
    return exit_code_.value_or(-1);
  }

 private:
  process(const std::vector<std::string>& argv, const fs::path& output, int output_fd,
          const std::vector<std::string>& extra_env, const fs::path& input) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
    if (output_fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings(extra_env);
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// The datagram socket systemd would listen on (NOTIFY_SOCKET).
class notify_socket {
 public:
  explicit notify_socket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  ~notify_socket() { ::close(fd_); }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  /// Waits for a datagram containing `text`; everything received is kept in `seen()`.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 20s) {
    return eventually(
        [&] {
          std::array<char, 4096> buf{};
          for (ssize_t n; (n = ::recv(fd_, buf.data(), buf.size(), 0)) > 0;)
            seen_.append(buf.data(), static_cast<std::size_t>(n)).append("\n");
          return seen_.find(text) != std::string::npos;
        },
        timeout);
  }
  [[nodiscard]] const std::string& seen() const { return seen_; }
  /// Forgets what was received so far (wait_for looks only at what comes next).
  void clear() {
    wait_for("", std::chrono::milliseconds(0));
    seen_.clear();
  }
  [[nodiscard]] std::string env() const { return "NOTIFY_SOCKET=" + path_.string(); }

 private:
  fs::path path_;
  int fd_ = -1;
  std::string seen_;
};

// One HTTP/1.0 GET on loopback; returns the whole answer ("" when nothing answers).
std::string http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    (void)::write(fd, request.data(), request.size());
    std::array<char, 8192> buf{};
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
      answer.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class DaemonProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("smsgw-proc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path config(const std::string& dsn, std::uint16_t smsc_port, std::uint16_t admin_port) {
    return write("smsgw.yaml", "store:\n  dsn: \"" + dsn +
                                   "\"\n  pool_size: 2\nadmin:\n  listen: \"127.0.0.1:" +
                                   std::to_string(admin_port) +
                                   "\"\nsmsc:\n  - name: sim\n    host: 127.0.0.1\n    port: " +
                                   std::to_string(smsc_port) +
                                   "\n    system_id: smsgw\n    password: secret\n    reconnect:\n "
                                   "     initial_ms: 100\n");
  }
  /// `bootstrap` and `demo` with the config at `cfg`: company Demo, keyword MOVIE on 4040.
  bool add_demo(const std::string& cfg) {
    const auto password = write("password", "correct horse battery\n");
    return run({smsgwd_, "--config", cfg, "bootstrap", "--company", "Demo", "--admin", "admin"},
               "boot.log", password) == 0 &&
           run({smsgwd_, "--config", cfg, "demo", "--company", "Demo"}, "demo.log") == 0;
  }
  /// The config for `db` and the two ports, with the demo added; "" (and a failure) if not.
  std::string demo_config(const test_database& db, std::uint16_t smsc_port,
                          std::uint16_t admin_port) {
    const auto cfg = config(db.dsn(), smsc_port, admin_port).string();
    if (add_demo(cfg)) return cfg;
    ADD_FAILURE() << read_file(dir_ / "boot.log") << read_file(dir_ / "demo.log");
    return "";
  }
  /// The simulator on `port` generating `count` MOVIE MOs to 4040 from new senders, with
  /// `options` (rate, window, response delay), printing only its summary.
  [[nodiscard]] std::vector<std::string> mo_load(std::uint16_t port, long long count,
                                                 const std::vector<std::string>& options) const {
    std::vector<std::string> argv = {
        sim_,     "--port",     std::to_string(port),  "--system-id", "smsgw", "--password",
        "secret", "--mo-count", std::to_string(count), "--mo-to",     "4040",  "--mo-text",
        "MOVIE",  "--quiet"};
    argv.insert(argv.end(), options.begin(), options.end());
    return argv;
  }
  int run(const std::vector<std::string>& argv, const std::string& log,
          const fs::path& input = "/dev/null") {
    process p(argv, dir_ / log, {}, input);
    return p.wait();
  }

  /// `total` senders who each texted MOVIE once (however often it was delivered): each
  /// joined once, with one consent row, one opt-in in the inbound log and one reply queued.
  static void expect_each_opt_in_once(const test_database& db, int total) {
    const auto n = std::to_string(total);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM group_contacts"), n);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM consent_audit"), n);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log WHERE decision = 'opt_in'"), n);
    EXPECT_EQ(db.scalar("SELECT count(DISTINCT source) FROM inbound_log WHERE decision = 'opt_in'"),
              n);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox WHERE kind = 'reply'"), n);
    EXPECT_EQ(db.scalar("SELECT count(DISTINCT destination) FROM outbox WHERE kind = 'reply'"), n);
  }

  fs::path dir_;
  const std::string smsgwd_ = SMSGWD_PATH;
  const std::string sim_ = SMSC_SIM_PATH;
};

TEST_F(DaemonProcess, CheckConfigNamesFileLineAndKey) {
  const auto bad = write("bad.yaml",
                         "store:\n  dsn: \"\"\nsmsc:\n  - name: a\n    host: h\n    port: 0\n    "
                         "system_id: s\n    password: p\n");
  EXPECT_EQ(run({smsgwd_, "--check-config", bad.string()}, "check.log"), 1);
  EXPECT_EQ(read_file(dir_ / "check.log"),
            bad.string() + ":6: smsc[0].port: must be between 1 and 65535\n");

  const auto good = config("", 2775, 8080);
  EXPECT_EQ(run({smsgwd_, "--check-config", good.string()}, "check-ok.log"), 0);
  EXPECT_EQ(run({smsgwd_, "--check-config", (dir_ / "missing.yaml").string()}, "missing.log"), 1);
  EXPECT_NE(read_file(dir_ / "missing.log").find("cannot read file"), std::string::npos);
}

TEST_F(DaemonProcess, NotifiesReadyAnswersTheDemoServesOpsAndStopsCleanly) {
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = config(db.dsn(), sim_port, admin_port).string();
  const auto password = write("password", "correct horse battery\n");
  ASSERT_EQ(run({smsgwd_, "--config", cfg, "bootstrap", "--company", "Demo", "--admin", "admin"},
                "boot.log", password),
            0)
      << read_file(dir_ / "boot.log");
  ASSERT_EQ(run({smsgwd_, "--config", cfg, "bootstrap", "--company", "Demo", "--admin", "admin"},
                "boot2.log", password),
            0);
  EXPECT_NE(read_file(dir_ / "boot2.log").find("exists; nothing changed"), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM users"), "1");
  EXPECT_EQ(db.scalar("SELECT left(password_hash, 10) FROM users"), "$argon2id$");
  ASSERT_EQ(run({smsgwd_, "--config", cfg, "demo", "--company", "Demo"}, "demo.log"), 0)
      << read_file(dir_ / "demo.log");

  process sim({sim_, "--port", std::to_string(sim_port), "--system-id", "smsgw", "--password",
               "secret", "--mo", "+61400000009:4040:MOVIE", "--mo-fifo", (dir_ / "mo").string()},
              dir_ / "sim.log");
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir_ / "sim.log").find("listening") != std::string::npos; }));
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log", {notify.env()});

  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(dir_ / "daemon.log");
  EXPECT_TRUE(notify.wait_for("STATUS=binds up 1/1")) << notify.seen();
  {  // STATUS=binds up 1/1, outbox pending N, in flight N, MOs N.N/s
    const auto& seen = notify.seen();
    const auto at = seen.find("STATUS=binds up 1/1, outbox pending ");
    ASSERT_NE(at, std::string::npos) << seen;
    const auto line = seen.substr(at, seen.find('\n', at) - at);
    std::string shape;  // digits as 9
    for (const char c : line) shape += std::isdigit(static_cast<unsigned char>(c)) ? '9' : c;
    shape.erase(std::unique(shape.begin(), shape.end(),
                            [](char a, char b) { return a == '9' && b == '9'; }),
                shape.end());
    EXPECT_EQ(shape, "STATUS=binds up 9/9, outbox pending 9, in flight 9, MOs 9.9/s") << line;
  }
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim.log").find("submit_sm from=4040 to=61400000009") !=
           std::string::npos;
  })) << read_file(dir_ / "sim.log")
      << read_file(dir_ / "daemon.log");

  // More MOs through the simulator's named pipe, as the README's curl session texts.
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir_ / "sim.log").find("reading MOs from") != std::string::npos; }));
  std::ofstream(dir_ / "mo") << "garbage\n+61400000009 4040 MOVIE HELP\n";
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim.log").find("text=\"MOVIE HELP\" answered=yes") !=
           std::string::npos;
  })) << read_file(dir_ / "sim.log");
  EXPECT_NE(read_file(dir_ / "sim.log").find("ignored line=\"garbage\""), std::string::npos);

  const auto ready = http_get(admin_port, "/readyz");
  EXPECT_NE(ready.find("200 OK"), std::string::npos) << ready;
  EXPECT_NE(ready.find(R"("binds":[{"name":"sim","state":"bound"}])"), std::string::npos) << ready;
  EXPECT_NE(http_get(admin_port, "/healthz").find(R"({"status":"ok"})"), std::string::npos);
  const auto metrics = http_get(admin_port, "/metrics");
  EXPECT_NE(metrics.find("smsgw_mo_total{decision=\"opt_in\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("smsgw_bind_up{bind=\"sim\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(http_get(admin_port, "/nope").find("404 Not Found"), std::string::npos);

  // SIGHUP: the log level applies at once; a file that no longer validates changes nothing.
  std::ofstream(cfg, std::ios::app) << "log_level: debug\n";
  daemon.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "daemon.log").find("reload done log_level=debug") != std::string::npos;
  })) << read_file(dir_ / "daemon.log");
  std::ofstream(cfg, std::ios::app) << "unknown_key: 1\n";
  daemon.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "daemon.log").find("reload refused, config unchanged") !=
           std::string::npos;
  }));
  EXPECT_NE(http_get(admin_port, "/healthz").find("200 OK"), std::string::npos);

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(dir_ / "daemon.log");
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 1s)) << notify.seen();
  const auto log = read_file(dir_ / "daemon.log");
  EXPECT_NE(log.find("unbound bind=sim answered=true"), std::string::npos) << log;
  EXPECT_EQ(log.find("correct horse"), std::string::npos);  // no secrets in logs
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, IsReadyWhileItsCarrierIsUnreachableAndReportsTheBindWhenItComesUp) {
  // systemd would time a start out that waits for every carrier, kill the daemon and start
  // it again, in a loop: READY=1 comes once the store and the admin port are up.
  test_database db;
  const auto sim_port = free_port();  // nothing listens there yet
  const auto admin_port = free_port();
  const auto cfg = config(db.dsn(), sim_port, admin_port).string();
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log", {notify.env()});
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(dir_ / "daemon.log");
  EXPECT_NE(notify.seen().find("STATUS=binds up 0/1"), std::string::npos) << notify.seen();
  EXPECT_NE(http_get(admin_port, "/healthz").find("200 OK"), std::string::npos);
  const auto waiting = http_get(admin_port, "/readyz");
  EXPECT_NE(waiting.find("503"), std::string::npos) << waiting;
  EXPECT_NE(waiting.find(R"("store":true)"), std::string::npos) << waiting;
  EXPECT_EQ(waiting.find(R"("state":"bound")"), std::string::npos) << waiting;

  // The carrier comes up: the bind binds on its next reconnect, and says so.
  process sim(
      {sim_, "--port", std::to_string(sim_port), "--system-id", "smsgw", "--password", "secret"},
      dir_ / "sim.log");
  EXPECT_TRUE(notify.wait_for("STATUS=binds up 1/1")) << notify.seen();
  ASSERT_TRUE(eventually(
      [&] { return http_get(admin_port, "/readyz").find("200 OK") != std::string::npos; }));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(dir_ / "daemon.log");
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, OpensAndWarmsEveryStoreConnectionBeforeItsFirstMo) {
  // A new connection's first MO transaction waits 20-60 ms while PostgreSQL loads catalogs
  // and plans: after a restart under load, those were the slowest MOs of all.
  test_database db;
  const auto sim_port = free_port();  // no carrier: no MO can arrive
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);  // store.pool_size 2
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log", {notify.env()});
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(dir_ / "daemon.log");
  const auto log = read_file(dir_ / "daemon.log");
  // Both warmed: the warm-up's SQL ran to its end on each.
  EXPECT_NE(log.find("store connections open count=2 warmed=2"), std::string::npos) << log;
  EXPECT_EQ(log.find("not warmed up"), std::string::npos) << log;
  EXPECT_EQ(log.find("not all open"), std::string::npos) << log;
  // Both of the pool's connections, besides the outbox listener's.
  EXPECT_GE(std::stoi(db.scalar("SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                "AND query NOT ILIKE 'LISTEN%'")),
            2);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(dir_ / "daemon.log");
}

// One entry of the config's smsc list.
std::string bind_entry(const std::string& name, std::uint16_t port, const std::string& system_id,
                       const std::string& extra = "") {
  return "  - name: " + name + "\n    host: 127.0.0.1\n    port: " + std::to_string(port) +
         "\n    system_id: " + system_id +
         "\n    password: secret\n    response_timeout: 2\n    reconnect:\n      initial_ms: "
         "100\n" +
         extra;
}

TEST_F(DaemonProcess, SighupAppliesTheBindListLiveAndNamesWhatNeedsARestart) {
  test_database db;
  const auto port_a = free_port();
  const auto port_b = free_port();
  const auto admin_port = free_port();
  const auto head =
      "store:\n  dsn: \"" + db.dsn() +
      "\"\n  pool_size: 2\nadmin:\n  listen: \"127.0.0.1:" + std::to_string(admin_port) + "\"\n";
  const auto cfg =
      write("smsgw.yaml", head + "smsc:\n" + bind_entry("a", port_a, "alpha")).string();
  ASSERT_TRUE(add_demo(cfg)) << read_file(dir_ / "boot.log") << read_file(dir_ / "demo.log");
  process sim_a({sim_, "--port", std::to_string(port_a), "--system-id", "alpha", "--password",
                 "secret", "--mo-fifo", (dir_ / "mo").string()},
                dir_ / "sim-a.log");
  process sim_b(
      {sim_, "--port", std::to_string(port_b), "--system-id", "beta", "--password", "secret"},
      dir_ / "sim-b.log");
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim-a.log").find("listening") != std::string::npos &&
           read_file(dir_ / "sim-b.log").find("listening") != std::string::npos;
  }));
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log", {notify.env()});
  ASSERT_TRUE(notify.wait_for("STATUS=binds up 1/1")) << read_file(dir_ / "daemon.log");
  const auto log = [&] { return read_file(dir_ / "daemon.log"); };
  const auto readyz = [&] { return http_get(admin_port, "/readyz"); };

  // A new bind starts; a window and a rate change apply to the live bind, which stays bound.
  notify.clear();
  write("smsgw.yaml",
        head + "smsc:\n" +
            bind_entry("a", port_a, "alpha", "    window: 50\n    throughput: 200\n") +
            bind_entry("b", port_b, "beta"));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(notify.wait_for("READY=1")) << log();
  EXPECT_LT(notify.seen().find("RELOADING=1"), notify.seen().find("READY=1")) << notify.seen();
  EXPECT_TRUE(notify.wait_for("STATUS=binds up 2/2")) << notify.seen() << log();
  ASSERT_TRUE(eventually([&] {
    return readyz().find(
               R"("binds":[{"name":"a","state":"bound"},{"name":"b","state":"bound"}])") !=
           std::string::npos;
  })) << readyz();
  EXPECT_NE(log().find("limits applied bind=a window=50 throughput=200"), std::string::npos)
      << log();
  EXPECT_NE(log().find("reload applied binds_added=[b] binds_removed=[] binds_rebound=[] "
                       "binds_retuned=[a]"),
            std::string::npos)
      << log();
  EXPECT_EQ(log().find("unbound bind=a"), std::string::npos) << log();  // not rebound

  // `a` is removed: it drains and unbinds. `b` moves to the other SMSC: it unbinds there and
  // binds here, and the MOs of that SMSC are answered through it.
  write("smsgw.yaml", head + "smsc:\n" + bind_entry("b", port_a, "alpha"));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return readyz().find(R"("binds":[{"name":"b","state":"bound"}])") != std::string::npos;
  })) << readyz()
      << log();
  EXPECT_NE(log().find("unbound bind=a answered=true"), std::string::npos) << log();
  EXPECT_NE(log().find("unbound bind=b answered=true"), std::string::npos) << log();
  EXPECT_NE(log().find("bind started bind=b host=127.0.0.1:" + std::to_string(port_a)),
            std::string::npos)
      << log();
  EXPECT_NE(read_file(dir_ / "sim-b.log").find("unbind system_id=beta"), std::string::npos);
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir_ / "sim-a.log").find("reading MOs from") != std::string::npos; }));
  std::ofstream(dir_ / "mo") << "+61400000009 4040 MOVIE\n";
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim-a.log").find("submit_sm from=4040 to=61400000009") !=
           std::string::npos;
  })) << read_file(dir_ / "sim-a.log")
      << log();
  EXPECT_TRUE(notify.wait_for("STATUS=binds up 1/1")) << notify.seen();

  // What only a restart applies is named, and keeps running as it was.
  const auto other_admin = free_port();
  write("smsgw.yaml", "store:\n  dsn: \"" + db.dsn() +
                          " application_name=other\"\n  pool_size: 2\n" +
                          "admin:\n  listen: \"127.0.0.1:" + std::to_string(other_admin) + "\"\n" +
                          "smsc:\n" + bind_entry("b", port_a, "alpha") + "stop_timeout: 3\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return log().find("reload done, restart needed to apply keys=store.dsn,admin.listen") !=
           std::string::npos;
  })) << log();
  EXPECT_NE(log().find("stop_timeout_s=3"), std::string::npos) << log();
  const auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  // `b` was untouched by this reload: still the session it got when it moved (started when
  // added, again when moved; unbound once, at the move).
  EXPECT_EQ(count(log(), "bind started bind=b"), 2U) << log();
  EXPECT_EQ(count(log(), "unbound bind=b"), 1U) << log();
  EXPECT_NE(http_get(admin_port, "/healthz").find("200 OK"), std::string::npos);
  EXPECT_EQ(http_get(other_admin, "/healthz"), "");

  // A file that does not validate changes nothing, and the daemon says it is ready again.
  notify.clear();
  std::ofstream(cfg, std::ios::app) << "smsc_typo: 1\n";
  daemon.signal(SIGHUP);
  ASSERT_TRUE(notify.wait_for("READY=1")) << log();
  EXPECT_NE(log().find("reload refused, config unchanged"), std::string::npos) << log();
  EXPECT_NE(readyz().find(R"("binds":[{"name":"b","state":"bound"}])"), std::string::npos);

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << log();
  EXPECT_NE(log().find("signal received signal=15 stop_timeout_s=3"), std::string::npos) << log();
  sim_a.signal(SIGTERM);
  sim_b.signal(SIGTERM);
  EXPECT_EQ(sim_a.wait(), 0);
  EXPECT_EQ(sim_b.wait(), 0);
}

// The number after `key=` in the simulator's load summary; -1 when absent.
long long load_field(const std::string& log, const std::string& key) {
  const auto line = log.find("load mos=");
  if (line == std::string::npos) return -1;
  const auto at = log.find(" " + key + "=", line);
  if (at == std::string::npos) return -1;
  return std::stoll(log.substr(at + key.size() + 2));
}

TEST_F(DaemonProcess, DrainsOnSigtermUnderAStreamOfMos) {
  // Every MO is either answered ESME_ROK after its commit or ESME_RX_T_APPN (the SMSC keeps
  // it); none is left unanswered, and the daemon exits 0 within stop_timeout. In the test
  // build this is under ASan, with MOs suspended in the store's queue at the signal.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);
  ASSERT_FALSE(cfg.empty());
  std::ofstream(cfg, std::ios::app) << "stop_timeout: 6\n";

  // MOVIE from 2,000 senders at 400/s; each joins and gets a reply, which the SMSC answers
  // after 300 ms, so the drain has replies in the window while MOs keep coming.
  constexpr long long total = 2000;
  process sim(mo_load(sim_port, total,
                      {"--mo-rate", "400", "--mo-window", "32", "--response-delay-ms", "300"}),
              dir_ / "sim.log");
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log", {notify.env()});
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(dir_ / "daemon.log");
  ASSERT_TRUE(eventually([&] {
    return std::stoll(db.scalar("SELECT count(*) FROM inbound_log")) >= 200;
  })) << read_file(dir_ / "daemon.log");

  const auto signalled = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(10s), 0) << read_file(dir_ / "daemon.log");
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 7s);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 1s)) << notify.seen();
  const auto log = read_file(dir_ / "daemon.log");
  EXPECT_NE(log.find("stopped elapsed_ms="), std::string::npos) << log;
  EXPECT_NE(log.find("unbound bind=sim answered=true"), std::string::npos) << log;

  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim.log").find("load mos=") != std::string::npos;
  })) << read_file(dir_ / "sim.log");
  const auto summary = read_file(dir_ / "sim.log");
  const auto ok = load_field(summary, "ok");
  EXPECT_EQ(load_field(summary, "unanswered"), 0) << summary;
  EXPECT_EQ(load_field(summary, "refused"), 0) << summary;
  EXPECT_GT(load_field(summary, "temporary"), 0) << summary;  // arrived during the drain
  EXPECT_EQ(ok + load_field(summary, "temporary") + load_field(summary, "not_sent"), total)
      << summary;
  // Acknowledged exactly when committed: one inbound row per ESME_ROK, no more.
  EXPECT_EQ(std::stoll(db.scalar("SELECT count(*) FROM inbound_log")), ok) << summary;
  // The replies the window did not take are queued again, none left claimed by the dead.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox WHERE status = 'submitting'"), "0");
  EXPECT_NE(log.find("result=not_sent status=ESME_ROK"), std::string::npos);
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, ASecondSigtermOrTheBoundEndsADrainThatCannotFinish) {
  // The SMSC sits on every submit: the window never empties. Under ASan in the test build,
  // the submits, MOs and sessions suspended at the end are destroyed without a use after free.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);
  ASSERT_FALSE(cfg.empty());
  process sim(mo_load(sim_port, 100000, {"--mo-rate", "100", "--response-delay-ms", "60000"}),
              dir_ / "sim.log");
  const auto replies_waiting = [&] {
    return std::stoll(db.scalar("SELECT count(*) FROM outbox WHERE status = 'submitting'")) >= 10;
  };

  {  // stop_timeout 10 s, and a second SIGTERM 300 ms into the drain
    process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log");
    ASSERT_TRUE(eventually(replies_waiting)) << read_file(dir_ / "daemon.log");
    const auto signalled = std::chrono::steady_clock::now();
    daemon.signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s), 0) << read_file(dir_ / "daemon.log");
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, 3s);
    EXPECT_NE(read_file(dir_ / "daemon.log").find("second signal, stopping now"), std::string::npos)
        << read_file(dir_ / "daemon.log");
  }
  {  // stop_timeout 2 s: the bound ends it
    std::ofstream(cfg, std::ios::app) << "stop_timeout: 2\n";
    process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon2.log");
    ASSERT_TRUE(eventually([&] {
      return read_file(dir_ / "daemon2.log").find("from=binding to=bound") != std::string::npos;
    })) << read_file(dir_ / "daemon2.log");
    std::this_thread::sleep_for(500ms);  // MOs and their replies in the window again
    const auto signalled = std::chrono::steady_clock::now();
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s), 0) << read_file(dir_ / "daemon2.log");
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_GT(took, 1s);  // the drain waited for the window until the unbind's share of the bound
    EXPECT_LT(took, 3s);
    // Then the unbind: the simulator answers it at once, so the window's submits end
    // unanswered and may be recorded before the bound ("stopped") or not ("at the bound").
    const auto log = read_file(dir_ / "daemon2.log");
    EXPECT_TRUE(log.find("stopped at the bound") != std::string::npos ||
                (log.find("stopped elapsed_ms=") != std::string::npos &&
                 log.find("result=unanswered") != std::string::npos))
        << log;
  }
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, KilledMidStreamAndRestartedItLosesAndDoublesNothing) {
  // An SMSC streams MOVIE from 3,000 new senders and delivers again whatever was not
  // answered OK (temporary error, no answer, nobody bound). smsgwd is killed (SIGKILL) in
  // the middle and started again: every MO ends answered OK, each has its effects exactly
  // once (what the killed daemon committed without answering comes back as a redelivery),
  // and no reply is queued or sent twice.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);
  ASSERT_FALSE(cfg.empty());
  constexpr int total = 3000;
  const auto record = dir_ / "submits.tsv";
  process sim(mo_load(sim_port, total,
                      {"--mo-window", "50", "--mo-retry-ms", "200", "--record", record.string()}),
              dir_ / "sim.log");
  std::string killed;  // the first daemon's claimer name, in the outbox
  {
    process first({smsgwd_, "--config", cfg}, dir_ / "first.log");
    ASSERT_TRUE(eventually(
        [&] { return std::stoll(db.scalar("SELECT count(*) FROM inbound_log")) >= 1000; }, 60s))
        << read_file(dir_ / "first.log");
    killed = db.scalar("SELECT claimer FROM outbox_claimers");
    first.signal(SIGKILL);
    first.wait();
  }
  const auto at_kill = std::stoll(db.scalar("SELECT count(*) FROM inbound_log"));
  EXPECT_LT(at_kill, total) << "the kill came too late to test anything";
  process second({smsgwd_, "--config", cfg}, dir_ / "second.log");
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir_ / "sim.log").find("load mos=3000 ok=3000 ") != std::string::npos;
      },
      120s))
      << read_file(dir_ / "sim.log") << read_file(dir_ / "second.log");
  expect_each_opt_in_once(db, total);
  // Every reply reached the SMSC once, but those the killed daemon had claimed: they wait for
  // its lease to run out (minutes), then go (a submit it had in flight may then go twice,
  // counted as unanswered; PRODUCT.md §6).
  ASSERT_FALSE(killed.empty());
  const std::string held_sql =
      "SELECT count(*) FROM outbox WHERE kind = 'reply' AND status = 'submitting' AND claimed_by ";
  ASSERT_TRUE(eventually([&] { return db.scalar(held_sql + "<> '" + killed + "'") == "0"; }))
      << read_file(dir_ / "second.log");
  std::ifstream in(record);
  std::set<std::string> sent;
  std::string line;
  int submits = 0;
  while (std::getline(in, line)) {
    ++submits;
    std::istringstream fields(line);
    std::string source;
    std::string destination;
    fields >> source >> destination;
    EXPECT_TRUE(sent.insert(destination).second) << "sent twice: " << destination;
  }
  const auto held = std::stoi(db.scalar(held_sql + "= '" + killed + "'"));
  EXPECT_GE(submits + held, total) << "submits " << submits << " held " << held;
  EXPECT_LE(submits, total);
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait(), 0) << read_file(dir_ / "second.log");
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, AStoreOutageMidStreamIsRiddenOutAndEveryMoAppliedOnce) {
  // The store goes away in the middle of a stream (connections refused, those open cut): the
  // SMSC sees temporary errors and redelivers, the daemon stays up and bound, and once the
  // store is back every MO is applied exactly once.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);
  ASSERT_FALSE(cfg.empty());
  constexpr int total = 2000;
  process sim(mo_load(sim_port, total, {"--mo-window", "20", "--mo-retry-ms", "100"}),
              dir_ / "sim.log");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log");
  ASSERT_TRUE(eventually(
      [&] { return std::stoll(db.scalar("SELECT count(*) FROM inbound_log")) >= 500; }, 60s))
      << read_file(dir_ / "daemon.log");
  pqxx::connection admin(test_database::server_dsn());
  pqxx::nontransaction(admin).exec0("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
  pqxx::nontransaction(admin).exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = '" +
      db.name() + "'");
  std::this_thread::sleep_for(2s);
  pqxx::nontransaction(admin).exec0("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir_ / "sim.log").find("load mos=2000 ok=2000 ") != std::string::npos;
      },
      120s))
      << read_file(dir_ / "sim.log") << read_file(dir_ / "daemon.log");
  const auto summary = read_file(dir_ / "sim.log");
  EXPECT_EQ(summary.find("temporary=0 "), std::string::npos) << summary;  // the outage was seen
  expect_each_opt_in_once(db, total);
  EXPECT_NE(read_file(dir_ / "daemon.log").find("mo not stored"), std::string::npos);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(dir_ / "daemon.log");
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, WatchdogBeatsOnlyWhileTheStoreThreadsMove) {
  // A lock held elsewhere keeps both MO store threads waiting: MOs cannot move, so the
  // daemon stops WATCHDOG=1 (systemd would restart it) until the lock goes.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);  // store.pool_size 2
  ASSERT_FALSE(cfg.empty());
  // Statements wait for the lock (the bound that would answer them ESME_RX_T_APPN is
  // tested elsewhere), and each MO has a transaction of its own (together they would share
  // one), so the MOs take both threads and keep them.
  std::string text = read_file(cfg);
  text.replace(text.find("pool_size: 2"), 12, "pool_size: 2\n  statement_timeout_ms: 600000");
  write("smsgw.yaml", text + "inbound:\n  batch_size: 1\n");
  auto blocker = db.connect();
  auto hold = std::make_unique<pqxx::work>(blocker);
  hold->exec0("LOCK TABLE inbound_log IN ACCESS EXCLUSIVE MODE");

  process sim(mo_load(sim_port, 4, {"--mo-window", "4"}), dir_ / "sim.log");
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, dir_ / "daemon.log",
                 {notify.env(), "WATCHDOG_USEC=1000000"});  // a beat every 500 ms
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(dir_ / "daemon.log");
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "daemon.log")
               .find("watchdog withheld reason=\"the store threads took no job") !=
           std::string::npos;
  })) << read_file(dir_ / "daemon.log");
  notify.clear();
  EXPECT_FALSE(notify.wait_for("WATCHDOG=1", 1500ms)) << notify.seen();
  EXPECT_NE(notify.seen().find("STATUS=binds up 1/1"), std::string::npos) << notify.seen();

  hold.reset();  // rolls back: the lock goes, the MOs commit
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 5s)) << read_file(dir_ / "daemon.log");
  ASSERT_TRUE(eventually([&] {
    return read_file(dir_ / "sim.log").find("load mos=4 ok=4") != std::string::npos;
  })) << read_file(dir_ / "sim.log");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(dir_ / "daemon.log");
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, WatchdogStopsWhileTheEventLoopIsBlocked) {
  // The daemon's stderr is a pipe nobody reads: once it is full, the event loop blocks on
  // its next log line (as it would behind a stuck log collector). The beat runs on the loop,
  // so WATCHDOG=1 stops (systemd would restart the daemon); reading the pipe unblocks it.
  test_database db;
  const auto sim_port = free_port();
  const auto admin_port = free_port();
  const auto cfg = demo_config(db, sim_port, admin_port);
  ASSERT_FALSE(cfg.empty());
  process sim(mo_load(sim_port, 1000000, {"--mo-rate", "500"}), dir_ / "sim.log");
  std::array<int, 2> pipe_fds{};
  ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg}, pipe_fds[1],
                 {notify.env(), "WATCHDOG_USEC=1000000"});  // a beat every 500 ms
  ::close(pipe_fds[1]);
  ASSERT_TRUE(notify.wait_for("READY=1"));
  // MOs log a line each: the pipe's 64 KiB fill within a few seconds, and the beats stop.
  bool stopped = false;
  for (int i = 0; i < 20 && !stopped; ++i) {
    notify.clear();
    stopped = !notify.wait_for("WATCHDOG=1", 1500ms);
  }
  ASSERT_TRUE(stopped) << notify.seen();

  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::ofstream out(dir_ / "daemon.log");
    std::array<char, 65536> buf{};
    for (ssize_t n; (n = ::read(pipe_fds[0], buf.data(), buf.size())) > 0;)
      out.write(buf.data(), n);
    done = true;
  });
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 5s)) << notify.seen();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
  reader.join();  // the pipe ends with the daemon
  EXPECT_TRUE(done);
  EXPECT_NE(read_file(dir_ / "daemon.log").find("decision=opt_in"), std::string::npos);
  EXPECT_GT(fs::file_size(dir_ / "daemon.log"), 65536U);  // it had filled the pipe
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(), 0);
}

TEST_F(DaemonProcess, LogsJsonLinesWithJournalPrioritiesForLogShippers) {
  // Under systemd stderr is the journal (JOURNAL_STREAM names it): each line starts with its
  // syslog priority; --log-format json makes each line one object with the event's fields.
  test_database db;
  const auto cfg = config(db.dsn(), free_port(), free_port()).string();  // no SMSC there
  const auto log_path = dir_ / "daemon.log";
  std::ofstream(log_path).close();
  struct stat st {};
  ASSERT_EQ(::stat(log_path.c_str(), &st), 0);
  const auto journal =
      "JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  notify_socket notify(dir_ / "notify.sock");
  process daemon({smsgwd_, "--config", cfg, "--log-format", "json"}, log_path,
                 {notify.env(), journal});
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_file(log_path);
  ASSERT_TRUE(
      eventually([&] { return read_file(log_path).find("connect failed") != std::string::npos; }));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0) << read_file(log_path);

  std::istringstream lines(read_file(log_path));
  int parsed = 0;
  bool saw_connect_failure = false;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GE(line.size(), 4U) << line;
    ASSERT_EQ(line[0], '<') << line;
    ASSERT_EQ(line[2], '>') << line;
    const auto event = nlohmann::json::parse(line.substr(3));
    ASSERT_TRUE(event.contains("time") && event.contains("level") && event.contains("component") &&
                event.contains("message"))
        << line;
    ++parsed;
    if (event["message"] == "connect failed") {
      saw_connect_failure = true;
      EXPECT_EQ(line.substr(0, 3), "<4>") << line;  // a warning
      EXPECT_EQ(event["component"], "smpp") << line;
      EXPECT_EQ(event["bind"], "sim") << line;
      EXPECT_EQ(event["host"], "127.0.0.1") << line;
    }
  }
  EXPECT_GT(parsed, 3);
  EXPECT_TRUE(saw_connect_failure) << read_file(log_path);
}

TEST_F(DaemonProcess, SystemdUnitVerifies) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no systemd-analyze";
  // verify needs the binaries the unit names to exist: point it at the built one.
  const auto unit = dir_ / "smsgwd.service";
  std::string text = read_file(fs::path(SMSGW_SOURCE_DIR) / "systemd/smsgwd.service");
  for (std::size_t at; (at = text.find("/usr/bin/smsgwd")) != std::string::npos;)
    text.replace(at, 15, smsgwd_);
  std::ofstream(unit) << text;
  // and its Documentation=man:smsgwd(8) to be installed: the one in the tree, on MANPATH.
  fs::create_directories(dir_ / "man/man8");
  fs::copy_file(fs::path(SMSGW_SOURCE_DIR) / "docs/man/smsgwd.8", dir_ / "man/man8/smsgwd.8");
  const std::string cmd = "MANPATH=" + (dir_ / "man").string() + " systemd-analyze verify " +
                          unit.string() + " > " + (dir_ / "verify.log").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(dir_ / "verify.log");
}

}  // namespace
}  // namespace smsgw
