// The whole inbound path over loopback: SMSC simulator → smsgwd (in-process) → PostgreSQL
// → reply submitted back to the simulator.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "smpp/text.hpp"
#include "store/directory.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"

namespace smsgw {
namespace {

using testing::harness;
using testing::metric;
using testing::test_database;

constexpr const char* optin_text = "Welcome to Movie News! Reply MOVIE STOP to leave.";

// The demo company: group "Movie News" in Shared, number 4040, keyword MOVIE.
void seed_demo(const test_database& db) {
  auto c = db.connect();
  pqxx::work w(c);
  const auto company = store::create_company(w, "Demo");
  const auto group =
      store::create_group(w, company, store::builtin_domain(w, company, "shared"), "Movie News");
  const auto number = store::add_number(w, company, "4040", "short_code");
  store::add_keyword(w, {number, "MOVIE", group, optin_text, "You left Movie News.",
                         "Movie News help.", keywords::tail_policy::unmatched});
  w.commit();
}

std::string members_with_number(const test_database& db, const std::string& number) {
  return db.scalar(
      "SELECT count(*) FROM group_contacts gc JOIN contacts c ON c.id = gc.contact_id "
      "JOIN groups g ON g.id = gc.group_id WHERE g.name = 'Movie News' AND c.number = '" +
      number + "'");
}

TEST(Pipeline, OptInIsCommittedBeforeTheResponseAndTheReplyReachesTheSmsc) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());

  // Runs on the io thread the moment deliver_sm_resp arrives: the effects must be visible.
  std::atomic<int> members_at_response{-1};
  h.smsc().on_deliver_resp([&](const sim::deliver_result&) {
    members_at_response = std::stoi(members_with_number(db, "+61400000001"));
  });

  const auto r = h.deliver("+61400000001", "4040", "MOVIE");
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.status, smpp::status::ok);
  EXPECT_EQ(members_at_response.load(), 1);

  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 1; }));
  const auto submit = h.smsc().submits().front();
  EXPECT_EQ(submit.source, "4040");
  EXPECT_EQ(submit.destination, "61400000001");  // international TON, digits only on the wire
  EXPECT_EQ(submit.text, optin_text);

  // The contact was created in the group's domain, and the outbox row carries the SMSC's id.
  EXPECT_EQ(db.scalar("SELECT d.kind FROM contacts c JOIN domains d ON d.id = c.domain_id "
                      "WHERE c.number = '+61400000001'"),
            "shared");
  EXPECT_EQ(db.scalar("SELECT decision FROM inbound_log WHERE source = '+61400000001'"), "opt_in");
  EXPECT_EQ(db.scalar("SELECT action FROM consent_audit WHERE number = '+61400000001'"), "opt_in");
  ASSERT_TRUE(harness::eventually([&] {
    return db.scalar("SELECT status FROM outbox WHERE destination = '+61400000001'") == "submitted";
  }));
  EXPECT_EQ(db.scalar("SELECT smsc_message_id FROM outbox WHERE destination = '+61400000001'"),
            submit.message_id);
}

TEST(Pipeline, AReceiverTransmitterBindTakesMosOnOneSessionAndSubmitsOnTheOther) {
  test_database db;
  seed_demo(db);
  sim::smsc_options o;
  o.receipts = true;
  harness h(db.dsn(), "test", o, std::nullopt, [](config::daemon_config& c) {
    c.smsc[0].mode = config::bind_mode::receiver_transmitter;
  });
  ASSERT_TRUE(h.wait_ready());  // both sessions bound
  EXPECT_EQ(h.smsc().binds_accepted(), 2U);

  const auto r = h.deliver("+61400000002", "4040", "MOVIE");  // to the receiver
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.status, smpp::status::ok);
  // The simulator refuses submit_sm on a receiver bind: an accepted reply left by the
  // transmitter, and its receipt, delivered on the receiver, settles the row.
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 1; }));
  EXPECT_EQ(h.smsc().submits_refused(), 0U);
  EXPECT_EQ(h.smsc().submits().front().text, optin_text);
  EXPECT_TRUE(harness::eventually([&] {
    return db.scalar("SELECT status FROM outbox WHERE destination = '+61400000002'") == "delivered";
  }));
}

TEST(Pipeline, KeywordStopHelpAndCompanyStopEachAnswerFromTheShortCode) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());

  for (const char* text : {"MOVIE", "movie help", "MOVIE STOP.", "stop"}) {
    EXPECT_EQ(h.deliver("+61400000002", "4040", text).status, smpp::status::ok) << text;
  }
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 4; }));
  const auto s = h.smsc().submits();
  EXPECT_EQ(s[0].text, optin_text);
  EXPECT_EQ(s[1].text, "Movie News help.");
  EXPECT_EQ(s[2].text, "You left Movie News.");
  EXPECT_EQ(s[3].text.rfind("You are unsubscribed", 0), 0U) << s[3].text;
  EXPECT_EQ(members_with_number(db, "+61400000002"), "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM suppressions WHERE number = '+61400000002'"), "1");
}

TEST(Pipeline, TextAsHandsetsSendItMatchesItsKeyword) {
  // UCS-2 under a GSM coding group (0x18, message class 0), a trailing zero-width space, and
  // NUL padding in 8-bit text: each matches as what the person typed.
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  smpp::sm_body b;
  b.source = {1, 1, "61400000021"};
  b.destination = {0, 0, "4040"};
  b.data_coding = 0x18;
  b.short_message = std::string{0x00, 'M', 0x00, 'o', 0x00, 'v', 0x00, 'i', 0x00, 'e'};
  EXPECT_EQ(h.deliver_pdu(b).status, smpp::status::ok);
  b.data_coding = 0x03;
  b.short_message = std::string("MOVIE HELP\0\0\0", 13);
  EXPECT_EQ(h.deliver_pdu(b).status, smpp::status::ok);
  EXPECT_EQ(h.deliver("+61400000021", "4040", "MOVIE STOP\xE2\x80\x8B").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 3; }));
  const auto s = h.smsc().submits();
  EXPECT_EQ(s[0].text, optin_text);
  EXPECT_EQ(s[1].text, "Movie News help.");
  EXPECT_EQ(s[2].text, "You left Movie News.");
  EXPECT_EQ(db.scalar("SELECT string_agg(decision, ',' ORDER BY id) FROM inbound_log"),
            "opt_in,keyword_help,opt_out");
}

TEST(Pipeline, AnMoBeyondLibsmpp34sLimitsIsReadWhole) {
  // A message_payload of 1,500 octets (libsmpp34 holds 1,024) with 30 optional parameters
  // (it overruns its trace from about 28): answered OK and logged whole, not refused.
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  smpp::sm_body b;
  b.source = {1, 1, "61400000022"};
  b.destination = {0, 0, "4040"};
  const std::string text = "MOVIE " + std::string(1494, 'x');
  b.tlvs.push_back({smpp::tag::message_payload, text});
  for (std::uint16_t i = 0; i < 29; ++i)
    b.tlvs.push_back({static_cast<std::uint16_t>(0x1400 + i), "v"});
  EXPECT_EQ(h.deliver_pdu(b).status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT length(text) FROM inbound_log WHERE source = '+61400000022'"),
            "1500");
}

TEST(Pipeline, MosThatArriveTogetherCommitTogetherAndABadOneFailsAlone) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  std::vector<smpp::sm_body> bodies(40);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    bodies[i].source = {1, 1, "614000001" + std::to_string(10 + i)};
    bodies[i].destination = {0, 0, "4040"};
    bodies[i].short_message = "MOVIE";
  }
  // An alphanumeric sender opting in: no contact can have it as its number. It is refused
  // on its own, in plain words, and the MOs it arrived with commit as if it were not there
  // (a batch whose statements fail is halved until the bad MO is alone: GroupCommit tests).
  bodies[17].source = {5, 0, "ACME"};
  const auto results = h.deliver_together(bodies);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].answered) << i;
    // What no redelivery can fix is refused for good, so the SMSC stops redelivering it.
    EXPECT_EQ(results[i].status, i == 17 ? smpp::status::permanent_app_error : smpp::status::ok)
        << i;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM group_contacts"), "39");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log WHERE decision = 'opt_in'"), "39");
  // Logged with the reason, under the company that owns the number.
  EXPECT_EQ(db.scalar("SELECT decision || ' ' || (company_id IS NOT NULL)::text || ' ' || "
                      "reason FROM inbound_log WHERE source = 'ACME'"),
            "refused true the sender is not a phone number, so it cannot join a group");
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 39; }));
  // 40 MOs at once, at most two transactions at a time: they shared transactions.
  const auto port = h.app().admin_port();
  EXPECT_GE(metric(port, "smsgw_mo_batches_total"), 1);
  EXPECT_LT(metric(port, "smsgw_mo_batches_total"), 39);
  EXPECT_EQ(metric(port, "smsgw_mo_total{decision=\"refused\"}"), 1);
}

TEST(Pipeline, AnMoRedeliveredMinutesLaterHasOneEffectAndOneReply) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  EXPECT_EQ(h.deliver("+61400000041", "4040", "MOVIE").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 1; }));
  // Our deliver_sm_resp was lost: the SMSC delivers the MO again two minutes later.
  (void)db.scalar("UPDATE mo_last SET received_at = received_at - interval '2 minutes'");
  EXPECT_EQ(h.deliver("+61400000041", "4040", "MOVIE").status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT string_agg(decision, ',' ORDER BY id) FROM inbound_log"),
            "opt_in,redelivered");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM consent_audit"), "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox"), "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(h.smsc().submits().size(), 1U);
  EXPECT_EQ(metric(h.app().admin_port(), "smsgw_mo_total{decision=\"redelivered\"}"), 1);
}

TEST(Pipeline, RoutesAreHeldInMemoryAndAChangeIsLiveForTheNextMo) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  const auto port = h.app().admin_port();
  int sender = 0;
  // MOVIE HELP from a number not seen before; the text of its reply.
  const auto help = [&]() -> std::string {
    const auto before = h.smsc().submits().size();
    const auto r = h.deliver("+614000003" + std::to_string(100 + sender++), "4040", "MOVIE HELP");
    EXPECT_EQ(r.status, smpp::status::ok);
    if (!harness::eventually([&] { return h.smsc().submits().size() == before + 1; })) return "";
    return h.smsc().submits().back().text;
  };
  // The route is read once, then held.
  EXPECT_EQ(help(), "Movie News help.");
  EXPECT_EQ(help(), "Movie News help.");
  EXPECT_GE(metric(port, "smsgw_route_lookups_total{result=\"hit\"}"), 1);
  const auto misses = metric(port, "smsgw_route_lookups_total{result=\"miss\"}");
  EXPECT_EQ(help(), "Movie News help.");
  EXPECT_EQ(metric(port, "smsgw_route_lookups_total{result=\"miss\"}"), misses);

  // Changed in plain SQL, as a DBA might: live for the very next MO.
  {
    auto c = db.connect();
    pqxx::work w(c);
    w.exec0("UPDATE keywords SET help_message = 'New help.'");
    w.commit();
  }
  EXPECT_EQ(help(), "New help.");
  EXPECT_GT(metric(port, "smsgw_route_lookups_total{result=\"miss\"}"), misses);
  // A number that routed nowhere (and was held so) routes once it is added.
  EXPECT_EQ(h.deliver("+61400000398", "4041", "HELP").status, smpp::status::ok);
  EXPECT_EQ(h.deliver("+61400000398", "4041", "HELP").status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log WHERE destination = '4041'"), "2");
  {
    auto c = db.connect();
    pqxx::work w(c);
    w.exec0(
        "INSERT INTO numbers (company_id, number, kind) SELECT id, '4041', 'short_code' "
        "FROM companies");
    w.commit();
  }
  const auto before = h.smsc().submits().size();
  EXPECT_EQ(h.deliver("+61400000399", "4041", "HELP").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == before + 1; }));
  EXPECT_NE(h.smsc().submits().back().text.find("Demo"), std::string::npos)
      << h.smsc().submits().back().text;
}

TEST(Pipeline, StoreOutageAnswersTemporaryErrorThenRecovers) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());

  {
    pqxx::connection admin(test_database::server_dsn());
    pqxx::nontransaction t(admin);
    t.exec0("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
    t.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() +
           "'");
  }
  const auto refused = h.deliver("+61400000003", "4040", "MOVIE");
  EXPECT_TRUE(refused.answered);
  EXPECT_EQ(refused.status, smpp::status::temporary_app_error);  // the SMSC will redeliver

  {
    pqxx::connection admin(test_database::server_dsn());
    pqxx::nontransaction(admin).exec0("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log WHERE source = '+61400000003'"), "0");
  // The redelivery succeeds on a fresh connection: a broken one is replaced, not reused.
  ASSERT_TRUE(harness::eventually(
      [&] { return h.deliver("+61400000003", "4040", "MOVIE").status == smpp::status::ok; },
      std::chrono::seconds(10)));
  EXPECT_EQ(members_with_number(db, "+61400000003"), "1");
}

// The daemon with its MO statements bounded by `bound` (and so its MO jobs by twice that).
void bounded(config::daemon_config& c, std::chrono::milliseconds bound) {
  c.db.statement_timeout = bound;
}

TEST(Pipeline, AStoreThatWaitsOnALockAnswersTemporaryErrorsWithinTheBound) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn(), "test", {}, std::nullopt,
            [](config::daemon_config& c) { bounded(c, std::chrono::milliseconds(500)); });
  ASSERT_TRUE(h.wait_ready());
  auto blocker = db.connect();
  auto hold = std::make_unique<pqxx::work>(blocker);
  hold->exec0("LOCK TABLE inbound_log IN ACCESS EXCLUSIVE MODE");
  const auto held = h.deliver("+61400000051", "4040", "MOVIE");
  EXPECT_TRUE(held.answered);
  EXPECT_EQ(held.status, smpp::status::temporary_app_error);  // the SMSC will redeliver
  EXPECT_LT(held.latency, std::chrono::seconds(5));
  hold.reset();
  EXPECT_EQ(h.deliver("+61400000051", "4040", "MOVIE").status, smpp::status::ok);
  EXPECT_EQ(members_with_number(db, "+61400000051"), "1");
}

// Stops (SIGSTOP) every backend of the database but the caller's own: a server that hangs
// without closing its connections. Continued again when it goes.
class frozen_backends {
 public:
  explicit frozen_backends(const test_database& db) {
    auto c = db.connect();
    pqxx::nontransaction t(c);
    for (const auto& row :
         t.exec("SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
      const auto pid = row[0].as<int>();
      if (::kill(pid, SIGSTOP) == 0) pids_.push_back(pid);
    }
  }
  ~frozen_backends() {
    for (const auto pid : pids_) ::kill(pid, SIGCONT);
  }
  frozen_backends(const frozen_backends&) = delete;
  frozen_backends& operator=(const frozen_backends&) = delete;
  [[nodiscard]] std::size_t count() const { return pids_.size(); }

 private:
  std::vector<int> pids_;
};

TEST(Pipeline, AFrozenStoreAnswersTemporaryErrorsWithinTheBoundAndRecovers) {
  if (::geteuid() != 0) GTEST_SKIP() << "stopping PostgreSQL's backends needs root";
  test_database db;
  seed_demo(db);
  harness h(db.dsn(), "test", {}, std::nullopt,
            [](config::daemon_config& c) { bounded(c, std::chrono::milliseconds(500)); });
  ASSERT_TRUE(h.wait_ready());
  ASSERT_EQ(h.deliver("+61400000052", "4040", "MOVIE").status, smpp::status::ok);
  {
    const frozen_backends frozen(db);
    ASSERT_GT(frozen.count(), 0U);
    // Nothing answers on the daemon's connections: statement_timeout, which the server
    // enforces, cannot fire; the daemon cuts the connection once the job outruns its bound.
    const auto r = h.deliver("+61400000053", "4040", "MOVIE");
    EXPECT_TRUE(r.answered);
    EXPECT_EQ(r.status, smpp::status::temporary_app_error);
    EXPECT_LT(r.latency, std::chrono::seconds(5));
    EXPECT_GE(metric(h.app().admin_port(), "smsgw_store_jobs_cut_total"), 1);
  }
  // The SMSC redelivers; new connections serve it.
  ASSERT_TRUE(harness::eventually(
      [&] { return h.deliver("+61400000053", "4040", "MOVIE").status == smpp::status::ok; }));
  EXPECT_EQ(members_with_number(db, "+61400000053"), "1");
}

TEST(Pipeline, TwoDaemonsStartingOnOneDatabaseMigrateOnceAndBothWork) {
  test_database db(/*migrate=*/false);
  harness a(db.dsn(), "daemon-a");
  harness b(db.dsn(), "daemon-b");
  ASSERT_TRUE(a.wait_ready());
  ASSERT_TRUE(b.wait_ready());
  EXPECT_EQ(db.scalar("SELECT count(*) = count(DISTINCT version) FROM schema_migrations"), "t");
  EXPECT_EQ(db.scalar("SELECT min(version) FROM schema_migrations"), "1");
  seed_demo(db);

  EXPECT_EQ(a.deliver("+61400000004", "4040", "MOVIE").status, smpp::status::ok);
  EXPECT_EQ(b.deliver("+61400000005", "4040", "MOVIE").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually(
      [&] { return a.smsc().submits().size() == 1 && b.smsc().submits().size() == 1; }));
  // Each reply left through the daemon that took the MO, and only once.
  EXPECT_EQ(a.smsc().submits().front().destination, "61400000004");
  EXPECT_EQ(b.smsc().submits().front().destination, "61400000005");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox"), "2");
}

TEST(Pipeline, UnknownDestinationIsLoggedAndAcknowledged) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  EXPECT_EQ(h.deliver("+61400000006", "9999", "MOVIE").status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT decision FROM inbound_log WHERE destination = '9999'"), "unrouted");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM contacts"), "0");
}

// A part of a long MO as a phone sends it: GSM text, UDH 05 00 03 ref total index.
smpp::sm_body mo_part(const std::string& from, const std::string& text, std::uint8_t ref,
                      std::uint8_t total, std::uint8_t index) {
  smpp::sm_body b;
  b.source = {1, 1, from};
  b.destination = {0, 0, "4040"};
  b.esm_class = smpp::esm_udhi;
  b.short_message = std::string{0x05,
                                0x00,
                                0x03,
                                static_cast<char>(ref),
                                static_cast<char>(total),
                                static_cast<char>(index)} +
                    smpp::encode_text(text).octets;
  return b;
}

TEST(Pipeline, MultipartMoInAnyOrderWithDuplicatesIsHandledOnceWhole) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  const std::string tail(150, 'x');
  EXPECT_EQ(h.deliver_pdu(mo_part("61400000010", tail, 7, 2, 2)).status, smpp::status::ok);
  EXPECT_EQ(h.deliver_pdu(mo_part("61400000010", tail, 7, 2, 2)).status,
            smpp::status::ok);  // redelivered
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_parts"), "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log"), "0");
  EXPECT_EQ(h.deliver_pdu(mo_part("61400000010", "MOVIE HELP ", 7, 2, 1)).status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT decision || ' ' || length(text) FROM inbound_log"),
            "keyword_help 161");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_parts"), "0");
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 1; }));
  EXPECT_EQ(h.smsc().submits().front().text, "Movie News help.");
}

TEST(Pipeline, ARestartBetweenPartsLosesNothing) {
  test_database db;
  seed_demo(db);
  {
    harness first(db.dsn(), "first");
    ASSERT_TRUE(first.wait_ready());
    EXPECT_EQ(first.deliver_pdu(mo_part("61400000011", "MOVIE", 9, 2, 1)).status, smpp::status::ok);
  }
  harness second(db.dsn(), "second");
  ASSERT_TRUE(second.wait_ready());
  // Parts of another sender with the same reference never mix in.
  EXPECT_EQ(second.deliver_pdu(mo_part("61400000012", " HELP", 9, 2, 2)).status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log"), "0");
  EXPECT_EQ(second.deliver_pdu(mo_part("61400000011", " HELP", 9, 2, 2)).status, smpp::status::ok);
  EXPECT_EQ(db.scalar("SELECT text FROM inbound_log"), "MOVIE HELP");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_parts"), "1");  // the other sender's part
}

TEST(Pipeline, MalformedUdhIsRefusedPermanentlyAndChangesNothing) {
  test_database db;
  seed_demo(db);
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  smpp::sm_body b;
  b.source = {1, 1, "61400000013"};
  b.destination = {0, 0, "4040"};
  b.esm_class = smpp::esm_udhi;
  b.short_message = std::string{0x20, 0x00, 0x03} + "MOVIE";  // UDHL beyond the data
  EXPECT_EQ(h.deliver_pdu(b).status, smpp::status::permanent_app_error);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log"), "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_parts"), "0");
}

TEST(Pipeline, DeliveryReceiptMarksTheReplyDeliveredAndIsNoMo) {
  test_database db;
  seed_demo(db);
  sim::smsc_options with_receipts;
  with_receipts.receipts = true;
  harness h(db.dsn(), "test", with_receipts);
  ASSERT_TRUE(h.wait_ready());
  EXPECT_EQ(h.deliver("+61400000014", "4040", "MOVIE").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually([&] {
    return db.scalar("SELECT status FROM outbox WHERE destination = '+61400000014'") == "delivered";
  }));
  EXPECT_EQ(db.scalar("SELECT receipt_state FROM outbox_submits"), "delivered");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log"), "1");  // the MO, not the receipt
}

TEST(Pipeline, ALongReplyGoesOutAsConcatenatedParts) {
  test_database db;
  seed_demo(db);
  const std::string long_optin(200, 'w');
  {
    auto c = db.connect();
    pqxx::work w(c);
    w.exec_params0("UPDATE keywords SET optin_message = $1", long_optin);
    w.commit();
  }
  harness h(db.dsn());
  ASSERT_TRUE(h.wait_ready());
  EXPECT_EQ(h.deliver("+61400000015", "4040", "MOVIE").status, smpp::status::ok);
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 2; }));
  EXPECT_EQ(h.smsc().submits()[0].text + h.smsc().submits()[1].text, long_optin);
  ASSERT_TRUE(harness::eventually([&] {
    return db.scalar("SELECT count(*) FROM outbox_submits") == "2" &&
           db.scalar("SELECT status FROM outbox") == "submitted";
  }));
}

}  // namespace
}  // namespace smsgw
