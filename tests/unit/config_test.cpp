#include "config/config.hpp"

#include <fstream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

namespace {

namespace config = smsgw::config;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// key, line, message of an error; key "<parsed>" when the text was accepted.
using error_fields = std::tuple<std::string, int, std::string>;

error_fields error_of(const std::string& yaml) {
  const auto result = config::parse(yaml);
  if (result) return {"<parsed>", -1, ""};
  return {result.error().key, result.error().line, result.error().message};
}

/// The smallest valid file: only required keys.
constexpr const char* minimal = R"(store:
  dsn: ""
smsc:
  - name: a
    host: smsc.example.net
    system_id: sys
    password: pw
)";

/// Two binds, to test errors in the second one (smsc[1] starts on line 8).
std::string two_binds(const std::string& second_bind_extra) {
  return R"(store:
  dsn: ""
smsc:
  - name: a
    host: h
    system_id: s
    password: p
  - name: b
    host: h
    system_id: s
    password: p
)" + second_bind_extra;
}

TEST(ConfigParse, FullFileGivesEveryValue) {
  const auto result = config::parse(R"(store:
  dsn: "host=/var/run/postgresql dbname=smsgw"
  pool_size: 8
admin:
  listen: "[::1]:9090"
  tls:
    certificate: /etc/smsgw/admin.crt
    key: /etc/smsgw/admin.key
smsc:
  - name: carrier-a
    host: 10.0.0.1
    port: 2776
    system_id: smsgw
    password: secret
    system_type: VMA
    bind_mode: receiver_transmitter
    window: 50
    throughput: 200
    enquire_link_interval: 60
    response_timeout: 5
    reconnect:
      initial_ms: 500
      max_ms: 30000
      jitter: 0.5
  - name: carrier_b.2
    host: smsc.example.net
    system_id: other
    password: "01234567"
default_country: AU
outbox:
  max_attempts: 3
  validity: 3600
inbound:
  batch_size: 50
  batch_wait_us: 200
  commits_in_flight: 3
  redelivery_window: 600
log_level: debug
)");
  ASSERT_TRUE(result) << result.error().describe("test");
  const config::daemon_config& c = *result;
  EXPECT_EQ(c.db.dsn, "host=/var/run/postgresql dbname=smsgw");
  EXPECT_EQ(c.db.pool_size, 8U);
  EXPECT_EQ(c.admin_port.listen, "[::1]:9090");
  ASSERT_TRUE(c.admin_port.tls);
  EXPECT_EQ(c.admin_port.tls->certificate, "/etc/smsgw/admin.crt");
  EXPECT_EQ(c.admin_port.tls->key, "/etc/smsgw/admin.key");
  ASSERT_EQ(c.smsc.size(), 2U);
  const config::smsc_bind& a = c.smsc[0];
  EXPECT_EQ(a.name, "carrier-a");
  EXPECT_EQ(a.host, "10.0.0.1");
  EXPECT_EQ(a.port, 2776);
  EXPECT_EQ(a.system_id, "smsgw");
  EXPECT_EQ(a.password, "secret");
  EXPECT_EQ(a.system_type, "VMA");
  EXPECT_EQ(a.mode, config::bind_mode::receiver_transmitter);
  EXPECT_EQ(a.window, 50U);
  EXPECT_EQ(a.throughput, 200U);
  EXPECT_EQ(a.enquire_link_interval, seconds(60));
  EXPECT_EQ(a.response_timeout, seconds(5));
  EXPECT_EQ(a.reconnect.initial, milliseconds(500));
  EXPECT_EQ(a.reconnect.max, milliseconds(30000));
  EXPECT_DOUBLE_EQ(a.reconnect.jitter, 0.5);
  EXPECT_EQ(c.smsc[1].name, "carrier_b.2");
  EXPECT_EQ(c.smsc[1].password, "01234567");
  EXPECT_EQ(c.default_country, "AU");
  EXPECT_EQ(c.delivery.max_attempts, 3U);
  EXPECT_EQ(c.delivery.validity, seconds(3600));
  EXPECT_EQ(c.mo.batch_size, 50U);
  EXPECT_EQ(c.mo.batch_wait, std::chrono::microseconds(200));
  EXPECT_EQ(c.mo.commits_in_flight, 3U);
  EXPECT_EQ(c.mo.redelivery_window, seconds(600));
  EXPECT_EQ(c.level, config::log_level::debug);
}

TEST(ConfigParse, DefaultsApplyWhenOptionalKeysAreAbsent) {
  const auto result = config::parse(minimal);
  ASSERT_TRUE(result) << result.error().describe("test");
  const config::daemon_config& c = *result;
  EXPECT_EQ(c.db.dsn, "");
  EXPECT_EQ(c.db.pool_size, 4U);
  EXPECT_EQ(c.admin_port.listen, "127.0.0.1:8080");
  EXPECT_FALSE(c.admin_port.tls);
  ASSERT_EQ(c.smsc.size(), 1U);
  const config::smsc_bind& b = c.smsc[0];
  EXPECT_EQ(b.port, 2775);
  EXPECT_EQ(b.system_type, "");
  EXPECT_EQ(b.mode, config::bind_mode::transceiver);
  EXPECT_EQ(b.window, 10U);
  EXPECT_EQ(b.throughput, 0U);
  EXPECT_EQ(b.enquire_link_interval, seconds(30));
  EXPECT_EQ(b.response_timeout, seconds(10));
  EXPECT_EQ(b.reconnect.initial, milliseconds(1000));
  EXPECT_EQ(b.reconnect.max, milliseconds(60000));
  EXPECT_DOUBLE_EQ(b.reconnect.jitter, 0.2);
  EXPECT_EQ(c.default_country, "US");
  EXPECT_EQ(c.delivery.max_attempts, 10U);
  EXPECT_EQ(c.delivery.validity, seconds(172'800));
  EXPECT_EQ(c.stop_timeout, seconds(10));
  EXPECT_EQ(c.level, config::log_level::info);
}

TEST(ConfigParse, ExampleFileParsesAsItIsAndWithEveryKey) {
  // As installed (/etc/smsgw/smsgw.yaml), the keys naming files that must exist first are
  // commented out with "#~ "; without the markers every key is in it.
  const auto path = SMSGW_SOURCE_DIR "/config/smsgw.example.yaml";
  const auto as_is = config::load(path);
  ASSERT_TRUE(as_is) << as_is.error().describe("smsgw.example.yaml");
  EXPECT_EQ(as_is->smsc.size(), 2U);
  EXPECT_FALSE(as_is->admin_port.tls);
  EXPECT_FALSE(as_is->smsc[0].tls);

  std::ifstream in(path);
  std::string text;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#~ ")) line.erase(0, 3);
    text += line + "\n";
  }
  const auto every = config::parse(text);
  ASSERT_TRUE(every) << every.error().describe("smsgw.example.yaml without #~");
  ASSERT_TRUE(every->admin_port.tls);
  EXPECT_EQ(every->admin_port.tls->key, "/etc/smsgw/admin.key");
  ASSERT_TRUE(every->smsc[0].tls);
  EXPECT_EQ(every->smsc[0].tls->server_name, "smsc.carrier.example");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  EXPECT_EQ(error_of(std::string(minimal) + "colour: blue\n"),
            (error_fields{"colour", 8, "unknown key"}));
}

TEST(ConfigErrors, UnknownKeyInSecondBind) {
  EXPECT_EQ(error_of(two_binds("    colour: blue\n")),
            (error_fields{"smsc[1].colour", 12, "unknown key"}));
}

TEST(ConfigErrors, UnknownKeyInReconnect) {
  EXPECT_EQ(error_of(two_binds("    reconnect:\n      factor: 2\n")),
            (error_fields{"smsc[1].reconnect.factor", 13, "unknown key"}));
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_EQ(error_of(two_binds("    host: again\n")),
            (error_fields{"smsc[1].host", 12, "duplicate key"}));
}

TEST(ConfigErrors, StringWhereIntegerExpected) {
  EXPECT_EQ(error_of(two_binds("    port: abc\n")),
            (error_fields{"smsc[1].port", 12, "expected an integer"}));
}

TEST(ConfigErrors, FloatWhereIntegerExpected) {
  EXPECT_EQ(error_of(two_binds("    window: 1.5\n")),
            (error_fields{"smsc[1].window", 12, "expected an integer"}));
}

TEST(ConfigErrors, QuotedOrSignedIntegerIsRejected) {
  EXPECT_EQ(error_of(two_binds("    port: \"2775\"\n")),
            (error_fields{"smsc[1].port", 12, "expected an integer"}));
  EXPECT_EQ(error_of(two_binds("    port: +2775\n")),
            (error_fields{"smsc[1].port", 12, "expected an integer"}));
}

TEST(ConfigErrors, EmptyValueIsBlamedOnItsKeyLine) {
  EXPECT_EQ(error_of(two_binds("    port:\n")),
            (error_fields{"smsc[1].port", 12, "expected an integer"}));
}

TEST(ConfigErrors, MapWhereSequenceExpected) {
  EXPECT_EQ(error_of("store:\n  dsn: \"\"\nsmsc:\n  name: a\n"),
            (error_fields{"smsc", 4, "expected a sequence"}));
}

TEST(ConfigErrors, ScalarWhereMapExpected) {
  EXPECT_EQ(error_of("store: postgres\n"), (error_fields{"store", 1, "expected a map"}));
}

TEST(ConfigErrors, SequenceWhereStringExpected) {
  EXPECT_EQ(error_of(two_binds("    system_type: [a, b]\n")),
            (error_fields{"smsc[1].system_type", 12, "expected a string"}));
}

TEST(ConfigErrors, PortOutOfRange) {
  EXPECT_EQ(error_of(two_binds("    port: 70000\n")),
            (error_fields{"smsc[1].port", 12, "must be between 1 and 65535"}));
  EXPECT_EQ(error_of(two_binds("    port: -1\n")),
            (error_fields{"smsc[1].port", 12, "must be between 1 and 65535"}));
  EXPECT_EQ(error_of(two_binds("    port: 99999999999999999999999\n")),
            (error_fields{"smsc[1].port", 12, "must be between 1 and 65535"}));
}

TEST(ConfigErrors, StopTimeoutRange) {
  EXPECT_EQ(error_of(std::string(minimal) + "stop_timeout: 0\n"),
            (error_fields{"stop_timeout", 8, "must be between 1 and 300"}));
  EXPECT_EQ(config::parse(std::string(minimal) + "stop_timeout: 300\n")->stop_timeout,
            seconds(300));
}

TEST(ConfigErrors, OutboxLimits) {
  const std::string base = std::string(minimal) + "outbox:\n";
  EXPECT_EQ(error_of(base + "  max_attempts: 0\n"),
            (error_fields{"outbox.max_attempts", 9, "must be between 1 and 1000"}));
  EXPECT_EQ(error_of(base + "  validity: 59\n"),
            (error_fields{"outbox.validity", 9, "must be between 60 and 2592000"}));
  EXPECT_EQ(error_of(base + "  retries: 3\n"), (error_fields{"outbox.retries", 9, "unknown key"}));
}

TEST(ConfigParse, StoreAndInboundDefaults) {
  const auto c = config::parse(minimal);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->db.connect_timeout, seconds(5));
  EXPECT_EQ(c->db.statement_timeout, milliseconds(5000));
  EXPECT_EQ(c->mo.batch_size, 100U);
  EXPECT_EQ(c->mo.batch_wait, std::chrono::microseconds(0));
  EXPECT_EQ(c->mo.commits_in_flight, 2U);
  EXPECT_EQ(c->mo.redelivery_window, seconds(86400));
  const auto set = config::parse(
      "store:\n  dsn: x\n  connect_timeout: 2\n  statement_timeout_ms: 750\nsmsc:\n"
      "  - name: a\n    host: h\n    system_id: s\n    password: p\n");
  ASSERT_TRUE(set) << set.error().describe("test");
  EXPECT_EQ(set->db.connect_timeout, seconds(2));
  EXPECT_EQ(set->db.statement_timeout, milliseconds(750));
}

TEST(ConfigErrors, InboundAndStoreLimits) {
  const std::string base = std::string(minimal) + "inbound:\n";
  EXPECT_EQ(error_of(base + "  batch_size: 0\n"),
            (error_fields{"inbound.batch_size", 9, "must be between 1 and 10000"}));
  EXPECT_EQ(error_of(base + "  batch_wait_us: 100001\n"),
            (error_fields{"inbound.batch_wait_us", 9, "must be between 0 and 100000"}));
  EXPECT_EQ(error_of(base + "  commits_in_flight: 65\n"),
            (error_fields{"inbound.commits_in_flight", 9, "must be between 1 and 64"}));
  EXPECT_EQ(error_of(base + "  redelivery_window: 59\n"),
            (error_fields{"inbound.redelivery_window", 9, "must be between 60 and 604800"}));
  EXPECT_EQ(error_of("store:\n  dsn: x\n  statement_timeout_ms: 99\n"),
            (error_fields{"store.statement_timeout_ms", 3, "must be between 100 and 600000"}));
  EXPECT_EQ(error_of("store:\n  dsn: x\n  connect_timeout: 0\n"),
            (error_fields{"store.connect_timeout", 3, "must be between 1 and 300"}));
}

TEST(ConfigErrors, PoolSizeOutOfRange) {
  EXPECT_EQ(error_of("store:\n  dsn: x\n  pool_size: 0\n"),
            (error_fields{"store.pool_size", 3, "must be between 1 and 64"}));
}

TEST(ConfigErrors, SmppStringLimits) {
  EXPECT_EQ(error_of(two_binds("    system_type: ABCDEFGHIJKLM\n")),
            (error_fields{"smsc[1].system_type", 12, "must be at most 12 characters"}));
  EXPECT_EQ(error_of(R"(store: {dsn: ""}
smsc:
  - {name: a, host: h, system_id: "", password: p}
)"),
            (error_fields{"smsc[0].system_id", 3, "must be 1 to 15 characters"}));
  EXPECT_EQ(error_of(R"(store: {dsn: ""}
smsc:
  - {name: a, host: h, system_id: s, password: "123456789"}
)"),
            (error_fields{"smsc[0].password", 3, "must be at most 8 characters"}));
}

TEST(ConfigErrors, BadBindName) {
  EXPECT_EQ(error_of("store: {dsn: \"\"}\nsmsc:\n  - name: a b\n"),
            (error_fields{"smsc[0].name", 3, "must be 1 to 32 of A-Z a-z 0-9 _ . -"}));
}

TEST(ConfigErrors, ReconnectLimits) {
  EXPECT_EQ(error_of(two_binds("    reconnect:\n      jitter: 1.5\n")),
            (error_fields{"smsc[1].reconnect.jitter", 13, "must be between 0 and 1"}));
  EXPECT_EQ(error_of(two_binds("    reconnect:\n      jitter: lots\n")),
            (error_fields{"smsc[1].reconnect.jitter", 13, "expected a number"}));
  EXPECT_EQ(error_of(two_binds("    reconnect:\n      initial_ms: 5000\n      max_ms: 4000\n")),
            (error_fields{"smsc[1].reconnect.max_ms", 14, "must be between 5000 and 3600000"}));
  EXPECT_EQ(error_of(two_binds("    reconnect:\n      initial_ms: 90000\n")),
            (error_fields{"smsc[1].reconnect.initial_ms", 13, "must not exceed max_ms (60000)"}));
}

TEST(ConfigErrors, BadEnumerations) {
  EXPECT_EQ(error_of(std::string(minimal) + "log_level: loud\n"),
            (error_fields{"log_level", 8,
                          "must be one of: trace, debug, info, warn, error, critical, off"}));
  EXPECT_EQ(
      error_of(two_binds("    bind_mode: receiver\n")),
      (error_fields{"smsc[1].bind_mode", 12, "must be one of: transceiver, receiver_transmitter"}));
}

TEST(ConfigErrors, BadCountry) {
  EXPECT_EQ(error_of(std::string(minimal) + "default_country: au\n"),
            (error_fields{"default_country", 8, "must be two upper-case letters"}));
}

TEST(ConfigErrors, MissingKeyIsBlamedOnParentMapLine) {
  EXPECT_EQ(error_of("store:\n  pool_size: 2\nsmsc: []\n"),
            (error_fields{"store.dsn", 2, "required key is missing"}));
  EXPECT_EQ(error_of("# comment\nstore:\n  dsn: x\n"),
            (error_fields{"smsc", 2, "required key is missing"}));
  EXPECT_EQ(error_of(R"(store: {dsn: ""}
smsc:
  - name: a
    host: h
    system_id: s
    password: p
  - name: b
    host: h
    password: p
)"),
            (error_fields{"smsc[1].system_id", 7, "required key is missing"}));
}

TEST(ConfigErrors, EmptyBindList) {
  EXPECT_EQ(error_of("store: {dsn: \"\"}\nsmsc: []\n"),
            (error_fields{"smsc", 2, "must list at least one bind"}));
}

TEST(ConfigErrors, DuplicateBindName) {
  EXPECT_EQ(error_of(R"(store: {dsn: ""}
smsc:
  - {name: x, host: h, system_id: s, password: p}
  - name: y
    host: h
    system_id: s
    password: p
  - name: x
    host: h
    system_id: s
    password: p
)"),
            (error_fields{"smsc[2].name", 8, "duplicate bind name \"x\""}));
}

TEST(ConfigErrors, TlsNeedsBothFiles) {
  EXPECT_EQ(error_of(std::string(minimal) + "admin:\n  tls:\n    certificate: /c.pem\n"),
            (error_fields{"admin.tls.key", 10, "required key is missing"}));
}

TEST(ConfigErrors, BadListen) {
  EXPECT_EQ(error_of(std::string(minimal) + "admin:\n  listen: localhost\n"),
            (error_fields{"admin.listen", 9, "expected host:port or [address]:port"}));
}

TEST(ConfigErrors, SyntaxError) {
  EXPECT_EQ(error_of("store:\n  dsn: x: y\nsmsc: []\n"),
            (error_fields{"", 2, "illegal map value"}));
}

TEST(ConfigErrors, EmptyDocument) {
  EXPECT_EQ(error_of(""), (error_fields{"", 0, "the document is empty"}));
  EXPECT_EQ(error_of("# nothing but a comment\n"), (error_fields{"", 0, "the document is empty"}));
}

TEST(ConfigErrors, TopLevelMustBeMap) {
  EXPECT_EQ(error_of("\n- store\n- smsc\n"), (error_fields{"", 2, "expected a map"}));
}

TEST(ConfigErrors, SingleDocumentOnly) {
  // The line of the `---` that starts the second document.
  EXPECT_EQ(error_of(std::string(minimal) + "---\nlog_level: info\n"),
            (error_fields{"", 8, "expected a single document"}));
}

TEST(ConfigLoad, MissingFile) {
  const auto result = config::load("/nonexistent/smsgw.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().key, "");
  EXPECT_EQ(result.error().line, 0);
  EXPECT_EQ(result.error().message, "cannot read file: No such file or directory");
}

TEST(ConfigError, Describe) {
  EXPECT_EQ((config::error{"smsc[1].port", 12, "expected an integer"}.describe("a.yaml")),
            "a.yaml:12: smsc[1].port: expected an integer");
  EXPECT_EQ((config::error{"", 0, "cannot read file: Permission denied"}.describe("b.yaml")),
            "b.yaml:0: cannot read file: Permission denied");
}

TEST(ParseEndpoint, AcceptsHostPortAndBracketedV6) {
  const auto v4 = config::parse_endpoint("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  const auto name = config::parse_endpoint("admin.example.net:65535");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "admin.example.net");
  EXPECT_EQ(name->port, 65535);
  const auto v6 = config::parse_endpoint("[::1]:1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 1);
}

TEST(ConfigErrors, ADocumentStartingWithACommaIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll loops forever on these (found by fuzz/config_fuzzer).
  for (const char* text : {",", "[a], b", "- a\n,"}) {
    const auto r = config::parse(text);
    ASSERT_FALSE(r) << text;
  }
}

TEST(ParseEndpoint, PortZeroMeansAnyFreePort) {
  const auto any = config::parse_endpoint("127.0.0.1:0");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
}

TEST(ParseEndpoint, RejectsMalformed) {
  for (const char* text : {"", "localhost", "localhost:", ":8080", "host:65536", "host:http",
                           "host:80x", "host:-80", "host:+80", "::1:8080", "[::1]", "[::1]8080",
                           "[]:80", "[::1:80", "[localhost]:80", "host:99999999999999999999"}) {
    EXPECT_FALSE(config::parse_endpoint(text)) << text;
  }
}

}  // namespace
