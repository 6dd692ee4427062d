// The whole inbound path over loopback: SMSC simulator → smsgwd (in-process) → PostgreSQL
// → reply submitted back to the simulator.
#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "smpp/text.hpp"
#include "store/directory.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/pg.hpp"

namespace smsgw {
namespace {

using testing::harness;
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
