// The outbound delivery contract (PRODUCT.md §6) end to end: outbox rows in a real
// PostgreSQL, claimed and submitted by smsgwd (in-process) to the SMSC simulator over
// loopback, with the simulator misbehaving as real SMSCs do.
#include <map>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "store/directory.hpp"
#include "store/outbox.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"

namespace smsgw {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::metric;
using testing::test_database;

store::id seed_company(const test_database& db) {
  auto c = db.connect();
  pqxx::work w(c);
  const auto company = store::create_company(w, "Acme");
  w.commit();
  return company;
}

// Queues `n` sends of `text` from 4040 to distinct numbers (+614000000001, ...), as a send
// through the admin API does; `bind` ties them to one bind.
void queue_sends(const test_database& db, store::id company, int n, const std::string& text,
                 const std::optional<std::string>& bind = std::nullopt) {
  auto c = db.connect();
  pqxx::work w(c);
  w.exec_params0(
      "INSERT INTO outbox (company_id, kind, source, destination, text, bind) "
      "SELECT $1, 'send', '4040', '+614' || lpad(i::text, 9, '0'), $3, $4 "
      "FROM generate_series(1, $2) i",
      company, n, text, bind);
  store::notify_queued(w);
  w.commit();
}

void exec(const test_database& db, const std::string& sql) {
  auto c = db.connect();
  pqxx::nontransaction(c).exec0(sql);
}

std::string status_counts(const test_database& db) {
  return db.scalar(
      "SELECT string_agg(status || '=' || n, ' ' ORDER BY status) "
      "FROM (SELECT status, count(*) AS n FROM outbox GROUP BY status) s");
}

// The concatenation UDH of a submitted part (IEI 0x00): reference, total, index.
struct udh {
  int reference = -1;
  int total = 0;
  int index = 0;
};

udh concat_header(const sim::received_submit& s) {
  const auto& m = s.short_message;
  if ((s.esm_class & smpp::esm_udhi) == 0 || m.size() < 6 || m[1] != 0 || m[2] != 3) return {};
  return {static_cast<unsigned char>(m[3]), static_cast<unsigned char>(m[4]),
          static_cast<unsigned char>(m[5])};
}

TEST(Outbound, AnUnreadableSubmitResponseLeavesTheRowInDoubtSentOnce) {
  test_database db;
  const auto company = seed_company(db);
  sim::smsc_options o;
  o.submit_script = {sim::garbled_response};  // then a well-behaved SMSC
  harness h(db.dsn(), "test", o);
  ASSERT_TRUE(h.wait_ready());
  queue_sends(db, company, 1, "hello");
  ASSERT_TRUE(harness::eventually([&] { return status_counts(db) == "in_doubt=1"; }));
  EXPECT_EQ(db.scalar("SELECT error FROM outbox").rfind("response to part 1 of 1 unreadable: ", 0),
            0U)
      << db.scalar("SELECT error FROM outbox");
  // The claim loop runs every second: several rounds later it is still the one submit.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(h.smsc().submits().size(), 1U);
  EXPECT_EQ(status_counts(db), "in_doubt=1");
  EXPECT_EQ(metric(h.app().admin_port(), "smsgw_mt_total{result=\"in_doubt\"}"), 1);
}

TEST(Outbound, AReplyStrandedByAnInDoubtCommitIsSentOnceByTheNextUpkeep) {
  // An MO batch's commit failed in doubt but happened: its reply is `submitting` under this
  // daemon's own live lease, and no send holds it. An upkeep (every lease / 6, about 16 s
  // here) sees it, the next queues it again, and it is sent once.
  test_database db;
  const auto company = seed_company(db);
  harness h(db.dsn(), "test", {}, std::nullopt,
            [](config::daemon_config& c) { c.smsc[0].response_timeout = 1s; });
  ASSERT_TRUE(h.wait_ready());
  const auto claimer = db.scalar("SELECT claimer FROM outbox_claimers");
  {
    auto c = db.connect();
    pqxx::work w(c);
    w.exec_params0(
        "INSERT INTO outbox (company_id, kind, source, destination, text, status, claimed_by, "
        "claimed_at, attempts) "
        "VALUES ($1, 'reply', '4040', '+61400000077', 'stranded', 'submitting', $2, "
        "now() - interval '2 minutes', 1)",
        company, claimer);
    w.commit();
  }
  ASSERT_TRUE(harness::eventually([&] { return h.smsc().submits().size() == 1; }, 60s));
  EXPECT_EQ(h.smsc().submits()[0].text, "stranded");
  ASSERT_TRUE(harness::eventually([&] { return status_counts(db) == "submitted=1"; }));
  EXPECT_EQ(db.scalar("SELECT attempts FROM outbox"), "1");  // its claim's attempt was given back
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(h.smsc().submits().size(), 1U);
}

TEST(Outbound, ALongMessageResumesAfterItsAcceptedPartsWithTheSameReference) {
  test_database db;
  const auto company = seed_company(db);
  sim::smsc_options o;
  o.receipts = true;
  // Part 1 accepted; part 2 throttled twice (the bind pauses and resends it), then refused
  // with a temporary error: the row is retried later, from part 2.
  o.submit_script = {0, smpp::status::throttled, smpp::status::throttled,
                     smpp::status::system_error};
  harness h(db.dsn(), "test", o);
  ASSERT_TRUE(h.wait_ready());
  std::string text;
  for (int i = 0; text.size() < 400; ++i)
    text += "part of a long message " + std::to_string(i) + " ";
  queue_sends(db, company, 1, text);
  ASSERT_TRUE(harness::eventually([&] { return status_counts(db) == "delivered=1"; }, 30s))
      << status_counts(db);
  const auto submits = h.smsc().submits();  // the accepted ones
  ASSERT_EQ(submits.size(), 3U);
  std::string joined;
  for (std::size_t i = 0; i < submits.size(); ++i) {
    const auto u = concat_header(submits[i]);
    EXPECT_EQ(u.index, static_cast<int>(i) + 1);
    EXPECT_EQ(u.total, 3);
    EXPECT_EQ(u.reference, concat_header(submits[0]).reference);
    joined += submits[i].text;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(h.smsc().submits_refused(), 3U);
  EXPECT_EQ(db.scalar("SELECT attempts FROM outbox"), "2");
  EXPECT_EQ(db.scalar("SELECT string_agg(receipt_state, ',' ORDER BY part) FROM outbox_submits"),
            "delivered,delivered,delivered");
}

TEST(Outbound, RetriesEndAtTheAttemptCapAndRowsForABindNoDaemonServesExpire) {
  test_database db;
  const auto company = seed_company(db);
  sim::smsc_options o;
  o.submit_status = smpp::status::system_error;  // temporary, every time
  queue_sends(db, company, 1, "old", std::string("elsewhere"));
  exec(db, "UPDATE outbox SET created_at = now() - interval '3 days'");
  queue_sends(db, company, 1, "new", std::string("elsewhere"));
  harness h(db.dsn(), "test", o, std::nullopt,
            [](config::daemon_config& c) { c.delivery.max_attempts = 2; });
  ASSERT_TRUE(h.wait_ready());
  // The daemon's first upkeep: the old row is past its validity, the new one waits, named.
  ASSERT_TRUE(harness::eventually([&] {
    return db.scalar(
               "SELECT string_agg(status || ':' || coalesce(error, ''), '|' ORDER BY text) "
               "FROM outbox") ==
           "queued:no running daemon serves bind elsewhere|"
           "expired:validity period of 172800 s passed after 0 attempts";
  }));
  EXPECT_EQ(metric(h.app().admin_port(), "smsgw_outbox_unserved"), 1);

  queue_sends(db, company, 1, "capped");
  ASSERT_TRUE(harness::eventually(
      [&] { return db.scalar("SELECT status FROM outbox WHERE text = 'capped'") == "expired"; },
      20s));
  EXPECT_EQ(db.scalar("SELECT attempts || ' ' || error FROM outbox WHERE text = 'capped'"),
            "2 no attempts left after 2 (last: ESME_RSYSERR)");
  EXPECT_EQ(h.smsc().submits_refused(), 2U);
}

TEST(Outbound, LinkDropsDuringALargeSendLoseNothingAndDoubleAtMostTheWindow) {
  test_database db;
  const auto company = seed_company(db);
  constexpr int recipients = 5000;
  sim::smsc_options o;
  o.drop_after_pdus = 1200;  // each connection: its bind, then about 1,200 submits
  o.response_delay = 2ms;    // so that submits are in flight when it drops
  harness h(db.dsn(), "test", o);
  ASSERT_TRUE(h.wait_ready());
  queue_sends(db, company, recipients, "big send");
  ASSERT_TRUE(harness::eventually(
      [&] { return status_counts(db) == "submitted=" + std::to_string(recipients); }, 120s))
      << status_counts(db);

  std::map<std::string, int> times;
  for (const auto& s : h.smsc().submits()) ++times[s.destination];
  EXPECT_EQ(times.size(), static_cast<std::size_t>(recipients));  // no recipient lost
  int duplicates = 0;
  for (const auto& [to, n] : times) duplicates += n - 1;
  const auto drops = static_cast<int>(h.smsc().binds_accepted()) - 1;
  EXPECT_GE(drops, 3);
  EXPECT_LE(duplicates, drops * 10);  // the window
  // Every possible duplicate is counted: each resend after a drop.
  EXPECT_GE(metric(h.app().admin_port(), "smsgw_mt_total{result=\"unanswered\"}"), duplicates);
  EXPECT_LE(metric(h.app().admin_port(), "smsgw_mt_total{result=\"unanswered\"}"), drops * 10);
}

TEST(Outbound, TwoDaemonsOnOneDatabaseSendEveryRowOnce) {
  test_database db;
  const auto company = seed_company(db);
  constexpr int recipients = 10000;
  harness a(db.dsn(), "daemon-a");
  harness b(db.dsn(), "daemon-b");
  ASSERT_TRUE(a.wait_ready());
  ASSERT_TRUE(b.wait_ready());
  queue_sends(db, company, recipients, "shared send");
  ASSERT_TRUE(harness::eventually(
      [&] { return status_counts(db) == "submitted=" + std::to_string(recipients); }, 120s))
      << status_counts(db);
  std::set<std::string> seen;
  std::size_t total = 0;
  for (auto* h : {&a, &b}) {
    for (const auto& s : h->smsc().submits()) {
      seen.insert(s.destination);
      ++total;
    }
    EXPECT_GT(h->smsc().submits().size(), 0U);  // both took part
  }
  EXPECT_EQ(total, static_cast<std::size_t>(recipients));
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(recipients));
}

}  // namespace
}  // namespace smsgw
