// The store against a real PostgreSQL (TEST_PG_DSN): migrations, directory, routing, the
// effects of an MO, the outbox, the connection pool and password hashing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include "keywords/decide.hpp"
#include "store/directory.hpp"
#include "store/inbound.hpp"
#include "store/listener.hpp"
#include "store/migrate.hpp"
#include "store/outbox.hpp"
#include "store/password.hpp"
#include "store/pool.hpp"
#include "store/routing.hpp"
#include "tests/support/pg.hpp"

namespace kw = smsgw::keywords;
namespace store = smsgw::store;
namespace net = boost::asio;
using smsgw::testing::test_database;
using namespace std::chrono_literals;

namespace {

using rows = std::vector<std::vector<std::string>>;

/// Every row of a query, each column as text ("<null>" for NULL).
rows query(const test_database& db, const std::string& sql) {
  auto c = db.connect();
  pqxx::nontransaction t(c);
  rows out;
  for (const auto& r : t.exec(sql)) {
    std::vector<std::string> row;
    for (const auto& f : r) row.emplace_back(f.is_null() ? "<null>" : f.c_str());
    out.push_back(std::move(row));
  }
  return out;
}

/// The number of rows of `table` (optionally with a WHERE clause).
int count(const test_database& db, const std::string& table, const std::string& where = "") {
  return std::stoi(
      db.scalar("SELECT count(*) FROM " + table + (where.empty() ? "" : " WHERE " + where)));
}

/// Runs `sql` in its own committed transaction.
void exec(const test_database& db, const std::string& sql) {
  auto c = db.connect();
  pqxx::work t(c);
  t.exec0(sql);
  t.commit();
}

std::vector<int> all_versions() {
  std::vector<int> out;
  for (const auto& m : store::migrations()) out.push_back(m.version);
  return out;
}

std::vector<store::id> ids_of(const std::vector<store::outbox_row>& claimed) {
  std::vector<store::id> out;
  for (const auto& r : claimed) out.push_back(r.row_id);
  return out;
}

std::vector<store::id> sorted(std::vector<store::id> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const std::string sender = "+61411111111";

/// An MO from `source` to `destination`, on bind `smsc-a`.
store::inbound_mo mo(const std::string& source, const std::string& text,
                     const std::string& destination = "4040") {
  return store::inbound_mo{"smsc-a", source, destination, text, 0, "", text};
}

constexpr std::chrono::seconds redelivery_window{86'400};

/// Handles an MO as the daemon does: route, decide, apply, commit.
store::inbound_outcome deliver(pqxx::connection& c, const store::inbound_mo& m,
                               const std::string& claimed_by = "daemon-1") {
  pqxx::work t(c);
  const auto r = store::find_route(t, m.destination);
  const auto d = r ? kw::decide(m.text, r->rules) : kw::decision{};
  auto out = store::apply_decision(t, m, r ? &*r : nullptr, d, claimed_by, redelivery_window);
  t.commit();
  return out;
}

/// A company with short code 4040, group "Movie News" in Shared and keyword MOVIE on 4040.
struct company_fixture {
  static constexpr const char* optin = "Welcome to Movie News. Reply MOVIE STOP to leave.";
  static constexpr const char* optout = "You left Movie News.";
  static constexpr const char* keyword_help = "Movie News: weekly film tips.";
  static constexpr const char* number_help = "4040 help: reply MOVIE to join, STOP to end.";
  static constexpr const char* stop_reply =
      "You are unsubscribed and will receive no more messages from us. Reply START to "
      "resubscribe.";
  static constexpr const char* start_reply = "You are subscribed again. Reply STOP to unsubscribe.";

  explicit company_fixture(const test_database& db) : conn(db.dsn()) {
    pqxx::work t(conn);
    company = store::create_company(t, "Acme");
    shared = store::builtin_domain(t, company, "shared");
    number = store::add_number(t, company, "4040", "short_code");
    group = store::create_group(t, company, shared, "Movie News");
    keyword = add_keyword(t, "MOVIE", group);
    t.exec_params0("UPDATE numbers SET help_reply = $2 WHERE id = $1", number,
                   std::string(number_help));
    t.commit();
  }

  /// Adds keyword `word` for `target` on 4040, with this fixture's messages.
  store::id add_keyword(pqxx::transaction_base& t, const std::string& word, store::id target) {
    store::new_keyword k;
    k.number = number;
    k.keyword = word;
    k.group = target;
    k.optin_message = optin;
    k.optout_message = optout;
    k.help_message = keyword_help;
    return store::add_keyword(t, k);
  }

  store::inbound_outcome send(const std::string& text, const std::string& source = sender) {
    return deliver(conn, mo(source, text));
  }

  pqxx::connection conn;
  store::id company = 0;
  store::id shared = 0;
  store::id number = 0;
  store::id group = 0;
  store::id keyword = 0;
};

/// Inserts a queued outbox row for `company` with SQL, as the send path would.
store::id queue_row(pqxx::transaction_base& t, store::id company, const std::string& destination,
                    const std::optional<std::string>& bind = std::nullopt, bool bypass = false) {
  return t
      .exec_params1(
          "INSERT INTO outbox (company_id, kind, source, destination, text, bind, "
          "bypass_suppression) VALUES ($1, 'send', '4040', $2, 'hello', $3, $4) RETURNING id",
          company, destination, bind, bypass)[0]
      .as<store::id>();
}

/// A migrated database holding one company, for the outbox tests.
class OutboxTest : public ::testing::Test {
 protected:
  OutboxTest() : conn(db.dsn()) {
    pqxx::work t(conn);
    company = store::create_company(t, "Acme");
    t.commit();
  }

  /// Inserts `n` queued rows to distinct numbers, each in its own statement, ascending ids.
  std::vector<store::id> queue_rows(int n, const std::optional<std::string>& bind = std::nullopt) {
    pqxx::work t(conn);
    std::vector<store::id> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(queue_row(t, company, "+6141000000" + std::to_string(i), bind));
    }
    t.commit();
    return out;
  }

  std::vector<store::outbox_row> claim(const std::vector<std::string>& binds, int limit,
                                       const std::string& by = "daemon-1",
                                       const store::delivery_policy& policy = {}) {
    pqxx::work t(conn);
    auto out = store::claim(t, binds, limit, by, 60s, policy);
    t.commit();
    return out;
  }

  /// Ends `claimer`'s lease now, as if the daemon had died a while ago.
  void lease_ran_out(const std::string& claimer) {
    exec(db,
         "UPDATE outbox_claimers SET lease_until = now() - interval '1 second' WHERE claimer = '" +
             claimer + "'");
  }

  test_database db;
  pqxx::connection conn;
  store::id company = 0;
};

class ApplyDecisionTest : public ::testing::Test {
 protected:
  test_database db;
  company_fixture f{db};
};

// ---------------------------------------------------------------------------------------------
// migrate()

TEST(MigrateTest, AppliesEveryVersionOnceAndRecordsIt) {
  const test_database db(false);
  auto c = db.connect();
  ASSERT_FALSE(store::migrations().empty());
  EXPECT_EQ(store::migrate(c), all_versions());

  rows expected;
  for (const auto& m : store::migrations()) {
    expected.push_back({std::to_string(m.version), m.name});
  }
  EXPECT_EQ(query(db, "SELECT version, name FROM schema_migrations ORDER BY version"), expected);
  EXPECT_EQ(expected.front()[1], "001_foundation");
  EXPECT_EQ(count(db, "information_schema.tables", "table_name = 'outbox'"), 1);

  EXPECT_TRUE(store::migrate(c).empty());
  EXPECT_EQ(query(db, "SELECT version, name FROM schema_migrations ORDER BY version"), expected);
}

TEST(MigrateTest, ConcurrentCallsApplyEachVersionOnce) {
  const test_database db(false);
  auto c1 = db.connect();
  auto c2 = db.connect();
  std::latch start(2);
  std::vector<int> applied1;
  std::vector<int> applied2;
  std::exception_ptr error1;
  std::exception_ptr error2;
  auto run = [&start](pqxx::connection& c, std::vector<int>& applied, std::exception_ptr& error) {
    start.arrive_and_wait();
    try {
      applied = store::migrate(c);
    } catch (...) {
      error = std::current_exception();
    }
  };
  std::thread a(run, std::ref(c1), std::ref(applied1), std::ref(error1));
  std::thread b(run, std::ref(c2), std::ref(applied2), std::ref(error2));
  a.join();
  b.join();

  EXPECT_FALSE(error1) << "first migrate() threw";
  EXPECT_FALSE(error2) << "second migrate() threw";
  std::vector<int> both = applied1;
  both.insert(both.end(), applied2.begin(), applied2.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, all_versions());  // each version applied by exactly one of them
  EXPECT_EQ(count(db, "schema_migrations"), static_cast<int>(all_versions().size()));
  EXPECT_EQ(db.scalar("SELECT count(DISTINCT version) FROM schema_migrations"),
            std::to_string(all_versions().size()));
}

TEST(MigrateTest, AnEditedAppliedMigrationIsRefusedAndChangesNothing) {
  const test_database db(false);
  auto c = db.connect();
  store::migrate(c);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations WHERE checksum ~ '^[0-9a-f]{64}$'"),
            std::to_string(all_versions().size()));
  // What the database recorded no longer matches the text this binary holds for 002.
  (void)db.scalar("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 2");
  (void)db.scalar("UPDATE schema_migrations SET checksum = NULL WHERE version = 1");
  try {
    store::migrate(c);
    ADD_FAILURE() << "migrate() accepted an edited migration";
  } catch (const store::migration_changed& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("002_contact_store"));
  }
  EXPECT_EQ(db.scalar("SELECT checksum IS NULL FROM schema_migrations WHERE version = 1"), "t");

  // A checksum recorded before checksums were (NULL) is taken from the text as it is now.
  (void)db.scalar("UPDATE schema_migrations SET checksum = NULL WHERE version = 2");
  EXPECT_TRUE(store::migrate(c).empty());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL"), "0");
}

TEST(MigrateTest, DefinitionsAreAppliedAtEveryStart) {
  const test_database db(false);
  auto c = db.connect();
  ASSERT_FALSE(store::definitions().empty());
  store::migrate(c);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'apply_mos'"), "1");
  // Whatever a database holds under a definition's name is replaced by the file's text.
  (void)db.scalar("DROP FUNCTION apply_mos");
  EXPECT_TRUE(store::migrate(c).empty());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'apply_mos'"), "1");
}

// ---------------------------------------------------------------------------------------------
// directory

TEST(DirectoryTest, CreateCompanyCreatesSharedAndUserDomains) {
  const test_database db;
  auto c = db.connect();
  pqxx::work t(c);
  const store::id company = store::create_company(t, "Acme");
  const store::id shared = store::builtin_domain(t, company, "shared");
  const store::id user = store::builtin_domain(t, company, "user");
  EXPECT_EQ(store::find_company(t, "Acme"), company);
  EXPECT_EQ(store::find_company(t, "Nobody"), std::nullopt);
  t.commit();

  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT id, company_id, name, kind, owner_id FROM domains ORDER BY id"),
            (rows{{id(shared), id(company), "Shared", "shared", "<null>"},
                  {id(user), id(company), "User", "user", "<null>"}}));
  EXPECT_EQ(query(db, "SELECT name, contact_key FROM companies"), (rows{{"Acme", "number"}}));
}

TEST(DirectoryTest, CreateCompanyRefusesATakenName) {
  const test_database db;
  auto c = db.connect();
  pqxx::work t(c);
  store::create_company(t, "Acme");
  EXPECT_THROW(store::create_company(t, "Acme"), pqxx::unique_violation);
}

TEST(DirectoryTest, CreateUserCreatesAPersonalDomainOwnedByTheUser) {
  const test_database db;
  auto c = db.connect();
  pqxx::work t(c);
  const store::id company = store::create_company(t, "Acme");
  const store::id bob = store::create_user(
      t, company, {"bob", "Bob Smith", store::role::group_admin, store::hash_password("pw")});
  t.commit();

  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT company_id, username, name, role FROM users"),
            (rows{{id(company), "bob", "Bob Smith", "group_admin"}}));
  EXPECT_EQ(query(db,
                  "SELECT company_id, name, owner_id, created_by FROM domains "
                  "WHERE kind = 'personal'"),
            (rows{{id(company), "Personal: bob", id(bob), id(bob)}}));
  EXPECT_EQ(count(db, "domains"), 3);
}

TEST(DirectoryTest, AddKeywordStoresTheKeywordNormalised) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  const store::id sports = store::create_group(t, f.company, f.shared, "Sports");
  store::new_keyword k;
  k.number = f.number;
  k.keyword = "movie";
  k.group = sports;
  k.optin_message = "in";
  k.tail = kw::tail_policy::ignore;
  // MOVIE already exists on 4040 (the fixture), so use another number.
  k.number = store::add_number(t, f.company, "5050", "short_code");
  const store::id added = store::add_keyword(t, k);
  t.commit();
  EXPECT_EQ(query(db, "SELECT keyword, group_id, optin_message, tail FROM keywords WHERE id = " +
                          std::to_string(added)),
            (rows{{"MOVIE", std::to_string(sports), "in", "ignore"}}));
}

TEST(DirectoryTest, AddKeywordRefusesStopStartHelpWordsAndPhrases) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  for (const char* word : {"STOP", "Start", "help", "two words", "cancel", "  ", "INFO"}) {
    EXPECT_THROW(f.add_keyword(t, word, f.group), std::invalid_argument) << word;
  }
  t.exec0("UPDATE companies SET stop_words = '{ARRET}'");
  EXPECT_THROW(f.add_keyword(t, "arret!", f.group), std::invalid_argument);
  t.commit();
  EXPECT_EQ(query(db, "SELECT keyword FROM keywords"), (rows{{"MOVIE"}}));
}

TEST(DirectoryTest, AddKeywordRefusesAUsersOnlyGroup) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  const store::id staff =
      store::create_group(t, f.company, f.shared, "Staff", store::group_type::users_only);
  EXPECT_THROW(f.add_keyword(t, "STAFF", staff), std::invalid_argument);
  const store::id mixed =
      store::create_group(t, f.company, f.shared, "Mixed", store::group_type::users_and_contacts);
  EXPECT_NO_THROW(f.add_keyword(t, "MIXED", mixed));
  t.commit();
  EXPECT_EQ(count(db, "keywords"), 2);
}

TEST(DirectoryTest, AddKeywordRefusesAGroupOfAnotherCompany) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  const store::id other = store::create_company(t, "Other");
  const store::id theirs =
      store::create_group(t, other, store::builtin_domain(t, other, "shared"), "Theirs");
  EXPECT_THROW(f.add_keyword(t, "THEIRS", theirs), std::invalid_argument);
}

TEST(DirectoryTest, DuplicateKeywordOnTheSameNumberIsRefusedByTheDatabase) {
  const test_database db;
  company_fixture f(db);
  {
    pqxx::work t(f.conn);
    EXPECT_THROW(f.add_keyword(t, "movie", f.group), pqxx::unique_violation);
  }
  pqxx::work t(f.conn);
  const store::id other_number = store::add_number(t, f.company, "5050", "short_code");
  store::new_keyword k;
  k.number = other_number;
  k.keyword = "MOVIE";
  k.group = f.group;
  EXPECT_NO_THROW(store::add_keyword(t, k));  // the same keyword on another number is fine
  t.commit();
  EXPECT_EQ(count(db, "keywords", "keyword = 'MOVIE'"), 2);
}

// ---------------------------------------------------------------------------------------------
// routing

TEST(RoutingTest, MatchesAShortCodeExactly) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  const auto r = store::find_route(t, "4040");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->company, f.company);
  EXPECT_EQ(r->number_id, f.number);
  EXPECT_EQ(r->number, "4040");
  EXPECT_EQ(r->bind, std::nullopt);
  EXPECT_EQ(store::find_route(t, "40400"), std::nullopt);
  EXPECT_EQ(store::find_route(t, "404"), std::nullopt);
}

TEST(RoutingTest, MatchesAVirtualNumberWithOrWithoutPlus) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  const store::id vn =
      store::add_number(t, f.company, "+61400000000", "virtual", std::string("smsc-b"));
  for (const char* dialled : {"+61400000000", "61400000000"}) {
    const auto r = store::find_route(t, dialled);
    ASSERT_TRUE(r.has_value()) << dialled;
    EXPECT_EQ(r->number_id, vn) << dialled;
    EXPECT_EQ(r->company, f.company) << dialled;
    EXPECT_EQ(r->number, "+61400000000") << dialled;
    EXPECT_EQ(r->bind, std::optional<std::string>("smsc-b")) << dialled;
    EXPECT_TRUE(r->rules.keywords.empty()) << dialled;  // MOVIE is on 4040 only
  }
}

TEST(RoutingTest, UnknownNumberHasNoRoute) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  EXPECT_EQ(store::find_route(t, "+61499999999"), std::nullopt);
  EXPECT_EQ(store::find_route(t, "9999"), std::nullopt);
  EXPECT_EQ(store::find_route(t, ""), std::nullopt);
}

TEST(RoutingTest, RulesCarryTheCompanyWordsAndTheNumberKeywordsInIdOrder) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  t.exec0(
      "UPDATE companies SET stop_words = '{ARRET,STOP}', start_words = '{REPRENDRE}', "
      "stop_matching = 'whole_message', stop_reply = 'bye', start_reply = 'hi again'");
  t.exec0("UPDATE numbers SET default_reply = 'sorry?' WHERE number = '4040'");
  const store::id zebra = f.add_keyword(t, "zebra", f.group);
  store::new_keyword apple;
  apple.number = f.number;
  apple.keyword = "Apple";
  apple.group = store::create_group(t, f.company, f.shared, "Fruit");
  apple.optin_message = "apple in";
  apple.optout_message = "apple out";
  apple.help_message = "apple help";
  apple.tail = kw::tail_policy::ignore;
  const store::id apple_id = store::add_keyword(t, apple);
  // A keyword on another number of the company is not part of 4040's rules.
  store::new_keyword elsewhere = apple;
  elsewhere.number = store::add_number(t, f.company, "5050", "short_code");
  store::add_keyword(t, elsewhere);

  const auto r = store::find_route(t, "4040");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rules.stop_words, (std::vector<std::string>{"ARRET", "STOP"}));
  EXPECT_EQ(r->rules.start_words, (std::vector<std::string>{"REPRENDRE"}));
  EXPECT_EQ(r->rules.stop_match, kw::stop_matching::whole_message);
  EXPECT_EQ(r->rules.stop_reply, "bye");
  EXPECT_EQ(r->rules.start_reply, "hi again");
  EXPECT_EQ(r->rules.default_reply, "sorry?");
  ASSERT_EQ(r->rules.keywords.size(), 3U);
  EXPECT_EQ(r->rules.keywords[0].id, f.keyword);
  EXPECT_EQ(r->rules.keywords[0].keyword, "MOVIE");
  EXPECT_EQ(r->rules.keywords[0].group_id, f.group);
  EXPECT_EQ(r->rules.keywords[0].optin_message, company_fixture::optin);
  EXPECT_EQ(r->rules.keywords[0].optout_message, company_fixture::optout);
  EXPECT_EQ(r->rules.keywords[0].help_message, company_fixture::keyword_help);
  EXPECT_EQ(r->rules.keywords[0].tail, kw::tail_policy::unmatched);
  EXPECT_EQ(r->rules.keywords[1].id, zebra);
  EXPECT_EQ(r->rules.keywords[1].keyword, "ZEBRA");
  EXPECT_EQ(r->rules.keywords[2].id, apple_id);
  EXPECT_EQ(r->rules.keywords[2].keyword, "APPLE");
  EXPECT_EQ(r->rules.keywords[2].group_id, apple.group);
  EXPECT_EQ(r->rules.keywords[2].optin_message, "apple in");
  EXPECT_EQ(r->rules.keywords[2].optout_message, "apple out");
  EXPECT_EQ(r->rules.keywords[2].help_message, "apple help");
  EXPECT_EQ(r->rules.keywords[2].tail, kw::tail_policy::ignore);
}

TEST(RoutingTest, NumberHelpReplyOverridesTheCompanys) {
  const test_database db;
  company_fixture f(db);
  pqxx::work t(f.conn);
  t.exec0("UPDATE companies SET help_reply = 'Acme help'");
  store::add_number(t, f.company, "5050", "short_code");
  const auto with_own = store::find_route(t, "4040");
  const auto without_own = store::find_route(t, "5050");
  ASSERT_TRUE(with_own && without_own);
  EXPECT_EQ(with_own->rules.help_reply, company_fixture::number_help);
  EXPECT_EQ(without_own->rules.help_reply, "Acme help");
}

// ---------------------------------------------------------------------------------------------
// apply_decision

TEST_F(ApplyDecisionTest, OptInFromAnUnknownNumber) {
  const auto out = f.send("movie");
  const auto id = [](store::id v) { return std::to_string(v); };

  ASSERT_EQ(count(db, "contacts"), 1);
  const std::string contact = db.scalar("SELECT id FROM contacts");
  EXPECT_EQ(query(db, "SELECT company_id, domain_id, number FROM contacts"),
            (rows{{id(f.company), id(f.shared), sender}}));
  EXPECT_EQ(query(db, "SELECT group_id, contact_id FROM group_contacts"),
            (rows{{id(f.group), contact}}));
  EXPECT_EQ(query(db,
                  "SELECT company_id, number, action, contact_id, group_id, keyword_id, "
                  "inbound_id, text, actor_user_id FROM consent_audit"),
            (rows{{id(f.company), sender, "opt_in", contact, id(f.group), id(f.keyword),
                   id(out.inbound_id), "movie", "<null>"}}));
  EXPECT_EQ(query(db,
                  "SELECT id, company_id, bind, source, destination, text, data_coding, decision, "
                  "keyword_id FROM inbound_log"),
            (rows{{id(out.inbound_id), id(f.company), "smsc-a", sender, "4040", "movie", "0",
                   "opt_in", id(f.keyword)}}));
  EXPECT_EQ(count(db, "suppressions"), 0);

  ASSERT_EQ(out.replies.size(), 1U);
  const auto& reply = out.replies[0];
  EXPECT_EQ(query(db,
                  "SELECT id, company_id, kind, inbound_id, source, destination, text, bind, "
                  "bypass_suppression, status, claimed_by, attempts, claimed_at IS NOT NULL "
                  "FROM outbox"),
            (rows{{id(reply.row_id), id(f.company), "reply", id(out.inbound_id), "4040", sender,
                   company_fixture::optin, "smsc-a", "f", "submitting", "daemon-1", "1", "t"}}));
  EXPECT_EQ(reply.company, f.company);
  EXPECT_EQ(reply.source, "4040");
  EXPECT_EQ(reply.destination, sender);
  EXPECT_EQ(reply.text, company_fixture::optin);
  EXPECT_EQ(reply.bind, std::optional<std::string>("smsc-a"));
  EXPECT_EQ(reply.attempts, 1);
}

TEST_F(ApplyDecisionTest, TheWarmUpRunsOnNothingAndWritesNothing) {
  deliver(f.conn, mo(sender, "MOVIE"));  // something for its statements to pass by
  const auto state = [&] {
    return query(db,
                 "SELECT (SELECT count(*) FROM inbound_log), (SELECT count(*) FROM mo_last), "
                 "(SELECT count(*) FROM contacts), (SELECT count(*) FROM contact_terms), "
                 "(SELECT count(*) FROM group_contacts), (SELECT count(*) FROM consent_audit), "
                 "(SELECT count(*) FROM suppressions), (SELECT count(*) FROM outbox), "
                 "(SELECT last_value FROM inbound_log_id_seq), "
                 "(SELECT last_value FROM outbox_id_seq)");
  };
  const auto before = state();
  {
    pqxx::work t(f.conn);
    store::warm_up_inbound(t, std::chrono::seconds(5));
    t.commit();  // even committed
  }
  EXPECT_EQ(state(), before);
  // The connection carries on with real MOs.
  const auto out = deliver(f.conn, mo("+61422222222", "MOVIE"));
  EXPECT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(count(db, "group_contacts"), 2);
}

TEST_F(ApplyDecisionTest, TheWarmUpGivesUpOnALockedTableInsteadOfWaiting) {
  auto other = db.connect();
  pqxx::work hold(other);
  hold.exec0("LOCK TABLE inbound_log IN ACCESS EXCLUSIVE MODE");  // a migration, say
  std::string state;
  {
    pqxx::work t(f.conn);
    try {
      store::warm_up_inbound(t, std::chrono::seconds(5));
    } catch (const pqxx::sql_error& e) {
      state = e.sqlstate();
    }
  }
  EXPECT_EQ(state, "55P03");  // lock_not_available: its own lock timeout, not the statement's
  // Its lock timeout ended with its transaction.
  pqxx::nontransaction after(f.conn);
  EXPECT_EQ(after.exec1("SHOW lock_timeout")[0].as<std::string>(), "0");
}

TEST_F(ApplyDecisionTest, RedeliveredOptInDoesNotDoubleItsEffects) {
  const auto first = f.send("MOVIE");
  const auto again = f.send("MOVIE");
  EXPECT_EQ(first.replies.size(), 1U);
  EXPECT_TRUE(again.replies.empty());
  EXPECT_NE(again.inbound_id, first.inbound_id);
  EXPECT_EQ(count(db, "contacts"), 1);
  EXPECT_EQ(count(db, "group_contacts"), 1);
  EXPECT_EQ(count(db, "consent_audit"), 1);
  EXPECT_EQ(count(db, "outbox"), 1);
  EXPECT_EQ(
      query(db, "SELECT decision, keyword_id FROM inbound_log ORDER BY id"),
      (rows{{"opt_in", std::to_string(f.keyword)}, {"redelivered", std::to_string(f.keyword)}}));
  EXPECT_TRUE(again.redelivered);
}

TEST_F(ApplyDecisionTest, AnMoRedeliveredMinutesLaterDoublesNothing) {
  f.send("MOVIE");
  // As SMSCs do: the same MO again, minutes later (our deliver_sm_resp was lost).
  exec(db, "UPDATE mo_last SET received_at = received_at - interval '2 minutes'");
  const auto again = f.send("MOVIE");
  EXPECT_TRUE(again.redelivered);
  EXPECT_TRUE(again.replies.empty());
  EXPECT_EQ(count(db, "group_contacts"), 1);
  EXPECT_EQ(count(db, "consent_audit"), 1);
  EXPECT_EQ(count(db, "outbox"), 1);
}

TEST_F(ApplyDecisionTest, TheSameTextAfterAnotherMoOrPastTheWindowIsANewMo) {
  f.send("MOVIE");
  f.send("MOVIE STOP");
  const auto back = f.send("MOVIE");  // a person changing their mind, not a redelivery
  EXPECT_FALSE(back.redelivered);
  EXPECT_EQ(back.replies.size(), 1U);
  EXPECT_EQ(count(db, "group_contacts"), 1);
  EXPECT_EQ(count(db, "consent_audit"), 3);
  exec(db, "UPDATE mo_last SET received_at = received_at - interval '25 hours'");
  const auto later = f.send("MOVIE");  // past the window: answered again
  EXPECT_FALSE(later.redelivered);
  EXPECT_EQ(later.replies.size(), 1U);
}

TEST_F(ApplyDecisionTest, ARepeatThatChangesSomethingIsANewMoAndHelpIsAlwaysAnswered) {
  EXPECT_EQ(f.send("STOP").replies.size(), 1U);
  exec(db, "DELETE FROM suppressions");  // lifted meanwhile (an admin, an opt-in elsewhere)
  const auto again = f.send("STOP");     // the same text, a new intent: applied, confirmed
  EXPECT_FALSE(again.redelivered);
  EXPECT_EQ(again.replies.size(), 1U);
  EXPECT_EQ(count(db, "suppressions"), 1);
  EXPECT_EQ(count(db, "consent_audit"), 2);
  // HELP is answered every time (carrier rules; an auditor texts it twice).
  EXPECT_EQ(f.send("HELP").replies.size(), 1U);
  EXPECT_EQ(f.send("HELP").replies.size(), 1U);
  EXPECT_EQ(f.send("MOVIE HELP").replies.size(), 1U);
  EXPECT_EQ(f.send("MOVIE HELP").replies.size(), 1U);
}

TEST_F(ApplyDecisionTest, TheIdentityIsTheBindSourceDestinationCodingPartsAndBytes) {
  auto m = mo(sender, "hello there");
  const auto send = [&](const store::inbound_mo& x) { return deliver(f.conn, x); };
  EXPECT_FALSE(send(m).redelivered);
  EXPECT_TRUE(send(m).redelivered);
  auto other_bind = m;
  other_bind.bind = "smsc-b";
  EXPECT_FALSE(send(other_bind).redelivered);
  auto other_coding = m;
  other_coding.data_coding = 8;
  EXPECT_FALSE(send(other_coding).redelivered);
  auto long_one = m;
  long_one.parts = "7/2";
  EXPECT_FALSE(send(long_one).redelivered);
  EXPECT_TRUE(send(long_one).redelivered);
  long_one.parts = "8/2";  // the handset's next long message
  EXPECT_FALSE(send(long_one).redelivered);
  auto other_bytes = long_one;  // the same text from other bytes (a byte no coding reads)
  other_bytes.octets = "hello there\xFF";
  EXPECT_FALSE(send(other_bytes).redelivered);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM inbound_log WHERE decision = 'redelivered'"), "2");
}

TEST_F(ApplyDecisionTest, PruningForgetsOnlyWhatIsPastTheWindow) {
  f.send("MOVIE");
  deliver(f.conn, mo("+61400000999", "MOVIE"));
  exec(db,
       "UPDATE mo_last SET received_at = received_at - interval '2 days' "
       "WHERE source = '+61400000999'");
  pqxx::work t(f.conn);
  store::prune_redelivery(t, redelivery_window);
  t.commit();
  EXPECT_EQ(query(db, "SELECT source FROM mo_last"), (rows{{sender}}));
}

TEST_F(ApplyDecisionTest, KeywordStopLeavesOnlyThatGroup) {
  store::id sports = 0;
  store::id sport_keyword = 0;
  {
    pqxx::work t(f.conn);
    sports = store::create_group(t, f.company, f.shared, "Sports");
    store::new_keyword k;
    k.number = f.number;
    k.keyword = "SPORT";
    k.group = sports;
    k.optin_message = "Welcome to Sports.";
    sport_keyword = store::add_keyword(t, k);
    t.commit();
  }
  f.send("SPORT");
  f.send("MOVIE");
  ASSERT_EQ(count(db, "group_contacts"), 2);
  const std::string contact = db.scalar("SELECT id FROM contacts");

  const auto out = f.send("movie stop");
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT group_id, contact_id FROM group_contacts"),
            (rows{{id(sports), contact}}));
  EXPECT_EQ(count(db, "contacts"), 1);
  EXPECT_EQ(
      query(db,
            "SELECT action, contact_id, group_id, keyword_id, inbound_id, text "
            "FROM consent_audit WHERE action = 'opt_out'"),
      (rows{{"opt_out", contact, id(f.group), id(f.keyword), id(out.inbound_id), "movie stop"}}));
  EXPECT_EQ(count(db, "consent_audit"), 3);
  EXPECT_EQ(count(db, "suppressions"), 0);
  EXPECT_EQ(db.scalar("SELECT decision FROM inbound_log WHERE id = " + id(out.inbound_id)),
            "opt_out");
  ASSERT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(out.replies[0].text, company_fixture::optout);
  EXPECT_EQ(query(db,
                  "SELECT destination, text, status, bypass_suppression FROM outbox "
                  "WHERE inbound_id = " +
                      id(out.inbound_id)),
            (rows{{sender, company_fixture::optout, "submitting", "f"}}));
  EXPECT_NE(sport_keyword, 0);
}

TEST_F(ApplyDecisionTest, KeywordStopFromANonMemberChangesNothingButReplies) {
  const auto out = f.send("MOVIE STOP");
  EXPECT_EQ(count(db, "group_contacts"), 0);
  EXPECT_EQ(count(db, "consent_audit"), 0);
  EXPECT_EQ(count(db, "contacts"), 0);
  EXPECT_EQ(out.replies.size(), 1U);
}

TEST_F(ApplyDecisionTest, CompanyStopSuppressesAndConfirmsOnce) {
  f.send("MOVIE");
  const auto stop = f.send("Stop.");
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT company_id, number, source, created_by FROM suppressions"),
            (rows{{id(f.company), sender, "sms", "<null>"}}));
  EXPECT_EQ(query(db,
                  "SELECT action, contact_id, group_id, keyword_id, inbound_id, text "
                  "FROM consent_audit WHERE action = 'stop'"),
            (rows{{"stop", "<null>", "<null>", "<null>", id(stop.inbound_id), "Stop."}}));
  ASSERT_EQ(stop.replies.size(), 1U);
  EXPECT_EQ(stop.replies[0].text, company_fixture::stop_reply);
  EXPECT_EQ(stop.replies[0].destination, sender);
  EXPECT_EQ(
      query(db,
            "SELECT id, destination, text, bypass_suppression, status FROM outbox "
            "WHERE inbound_id = " +
                id(stop.inbound_id)),
      (rows{{id(stop.replies[0].row_id), sender, company_fixture::stop_reply, "t", "submitting"}}));
  // The company stop does not touch memberships: the suppression list blocks the messages.
  EXPECT_EQ(count(db, "group_contacts"), 1);

  const auto again = f.send("STOP");
  EXPECT_TRUE(again.replies.empty());
  EXPECT_EQ(count(db, "suppressions"), 1);
  EXPECT_EQ(count(db, "consent_audit", "action = 'stop'"), 1);
  EXPECT_EQ(count(db, "outbox", "inbound_id = " + id(again.inbound_id)), 0);
  EXPECT_EQ(count(db, "outbox"), 2);  // the opt-in and the one stop confirmation
  EXPECT_EQ(query(db, "SELECT decision FROM inbound_log ORDER BY id"),
            (rows{{"opt_in"}, {"company_stop"}, {"company_stop"}}));
}

TEST_F(ApplyDecisionTest, StopFromANeverSeenNumberIsConfirmed) {
  const auto out = f.send("STOP MOVIE", "+61422222222");
  EXPECT_EQ(count(db, "suppressions", "number = '+61422222222'"), 1);
  EXPECT_EQ(count(db, "contacts"), 0);
  ASSERT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(out.replies[0].destination, "+61422222222");
}

TEST_F(ApplyDecisionTest, HelpIsAnsweredAlsoToASuppressedNumber) {
  const auto help = f.send("HELP", "+61433333333");  // not suppressed: answered
  ASSERT_EQ(help.replies.size(), 1U);
  EXPECT_EQ(help.replies[0].text, company_fixture::number_help);

  // Carrier rules: HELP is always answered, also after STOP; it changes no consent.
  f.send("STOP");
  const auto out = f.send("help");
  ASSERT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(out.replies[0].text, company_fixture::number_help);
  EXPECT_EQ(query(db, "SELECT destination, bypass_suppression, status FROM outbox WHERE id = " +
                          std::to_string(out.replies[0].row_id)),
            (rows{{sender, "t", "submitting"}}));
  EXPECT_EQ(query(db,
                  "SELECT company_id, source, text, decision, keyword_id FROM inbound_log "
                  "WHERE id = " +
                      std::to_string(out.inbound_id)),
            (rows{{std::to_string(f.company), sender, "help", "company_help", "<null>"}}));

  const auto keyword_help = f.send("MOVIE INFO");
  ASSERT_EQ(keyword_help.replies.size(), 1U);
  EXPECT_EQ(db.scalar("SELECT bypass_suppression FROM outbox WHERE id = " +
                      std::to_string(keyword_help.replies[0].row_id)),
            "t");
  EXPECT_EQ(db.scalar("SELECT decision FROM inbound_log WHERE id = " +
                      std::to_string(keyword_help.inbound_id)),
            "keyword_help");
  EXPECT_EQ(count(db, "suppressions"), 1);   // still stopped
  EXPECT_EQ(count(db, "consent_audit"), 1);  // the stop only
}

TEST_F(ApplyDecisionTest, StartLiftsTheSuppression) {
  f.send("STOP");
  const auto out = f.send("start");
  EXPECT_EQ(count(db, "suppressions"), 0);
  EXPECT_EQ(query(db, "SELECT action, inbound_id, text FROM consent_audit WHERE action = 'start'"),
            (rows{{"start", std::to_string(out.inbound_id), "start"}}));
  ASSERT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(out.replies[0].text, company_fixture::start_reply);
  EXPECT_EQ(query(db,
                  "SELECT destination, text, bypass_suppression, status FROM outbox "
                  "WHERE inbound_id = " +
                      std::to_string(out.inbound_id)),
            (rows{{sender, company_fixture::start_reply, "f", "submitting"}}));
  EXPECT_EQ(
      db.scalar("SELECT decision FROM inbound_log WHERE id = " + std::to_string(out.inbound_id)),
      "company_start");
}

TEST_F(ApplyDecisionTest, StartFromANumberNotSuppressedRecordsNoConsent) {
  const auto out = f.send("START");
  EXPECT_EQ(count(db, "consent_audit"), 0);
  EXPECT_EQ(count(db, "suppressions"), 0);
  EXPECT_EQ(out.replies.size(), 1U);
}

TEST_F(ApplyDecisionTest, KeywordOptInFromASuppressedNumberLiftsTheSuppression) {
  const auto stop = f.send("STOP");
  ASSERT_EQ(count(db, "suppressions"), 1);
  const auto out = f.send("MOVIE");
  EXPECT_EQ(count(db, "suppressions"), 0);
  EXPECT_EQ(count(db, "group_contacts"), 1);
  EXPECT_EQ(query(db,
                  "SELECT action, group_id, keyword_id, inbound_id FROM consent_audit "
                  "ORDER BY id"),
            (rows{{"stop", "<null>", "<null>", std::to_string(stop.inbound_id)},
                  {"opt_in", std::to_string(f.group), std::to_string(f.keyword),
                   std::to_string(out.inbound_id)}}));
  ASSERT_EQ(out.replies.size(), 1U);
  EXPECT_EQ(out.replies[0].text, company_fixture::optin);
  EXPECT_EQ(count(db, "outbox", "inbound_id = " + std::to_string(out.inbound_id)), 1);
}

TEST_F(ApplyDecisionTest, ReOptInOfAMemberWhoStoppedIsFreshConsent) {
  f.send("MOVIE");
  f.send("STOP");
  const auto out = f.send("MOVIE");
  EXPECT_EQ(count(db, "suppressions"), 0);
  EXPECT_EQ(count(db, "group_contacts"), 1);
  EXPECT_EQ(query(db, "SELECT action FROM consent_audit ORDER BY id"),
            (rows{{"opt_in"}, {"stop"}, {"opt_in"}}));
  EXPECT_EQ(db.scalar("SELECT inbound_id FROM consent_audit ORDER BY id DESC LIMIT 1"),
            std::to_string(out.inbound_id));
}

TEST_F(ApplyDecisionTest, UnroutedMoIsLoggedAndNothingElse) {
  const auto out = deliver(f.conn, mo(sender, "MOVIE", "+61488888888"));
  EXPECT_TRUE(out.replies.empty());
  EXPECT_EQ(query(db,
                  "SELECT id, company_id, bind, source, destination, text, decision, keyword_id "
                  "FROM inbound_log"),
            (rows{{std::to_string(out.inbound_id), "<null>", "smsc-a", sender, "+61488888888",
                   "MOVIE", "unrouted", "<null>"}}));
  for (const char* table :
       {"contacts", "group_contacts", "consent_audit", "suppressions", "outbox"}) {
    EXPECT_EQ(count(db, table), 0) << table;
  }
}

TEST_F(ApplyDecisionTest, UnmatchedMoIsLoggedWithTheDefaultReplyIfAny) {
  const auto silent = f.send("hello there");
  EXPECT_TRUE(silent.replies.empty());
  exec(db, "UPDATE numbers SET default_reply = 'Text MOVIE to join.'");
  const auto answered = f.send("hello again");
  ASSERT_EQ(answered.replies.size(), 1U);
  EXPECT_EQ(answered.replies[0].text, "Text MOVIE to join.");
  EXPECT_EQ(query(db, "SELECT decision, keyword_id FROM inbound_log ORDER BY id"),
            (rows{{"unmatched", "<null>"}, {"unmatched", "<null>"}}));
  EXPECT_EQ(count(db, "contacts"), 0);
  EXPECT_EQ(count(db, "consent_audit"), 0);
}

TEST_F(ApplyDecisionTest, EverythingHappensInTheCallersTransaction) {
  {
    pqxx::work t(f.conn);
    for (const char* text : {"MOVIE", "STOP", "START", "MOVIE STOP"}) {
      const auto m = mo(sender, text);
      const auto r = store::find_route(t, m.destination);
      ASSERT_TRUE(r.has_value());
      store::apply_decision(t, m, &*r, kw::decide(m.text, r->rules), "daemon-1", redelivery_window);
    }
    store::apply_decision(t, mo(sender, "MOVIE", "9999"), nullptr, kw::decision{}, "daemon-1",
                          redelivery_window);
    // Visible inside the transaction...
    EXPECT_EQ(t.exec1("SELECT count(*) FROM inbound_log")[0].as<int>(), 5);
    EXPECT_GT(t.exec1("SELECT count(*) FROM outbox")[0].as<int>(), 0);
  }  // ...and gone with its abort.
  for (const char* table :
       {"inbound_log", "contacts", "group_contacts", "consent_audit", "suppressions", "outbox"}) {
    EXPECT_EQ(count(db, table), 0) << table;
  }
}

// ---------------------------------------------------------------------------------------------
// outbox claim and marks

TEST_F(OutboxTest, ClaimsQueuedRowsUpToTheLimitInIdOrder) {
  const auto queued = queue_rows(5);
  const auto claimed = claim({"smsc-a"}, 3, "daemon-1");
  ASSERT_EQ(claimed.size(), 3U);
  EXPECT_EQ(sorted(ids_of(claimed)), (std::vector<store::id>{queued[0], queued[1], queued[2]}));
  for (const auto& r : claimed) {
    EXPECT_EQ(r.company, company);
    EXPECT_EQ(r.source, "4040");
    EXPECT_EQ(r.text, "hello");
    EXPECT_EQ(r.bind, std::nullopt);
    EXPECT_EQ(r.attempts, 1);
  }
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db,
                  "SELECT id, status, attempts, claimed_by, claimed_at > now() - interval '1 "
                  "minute' FROM outbox ORDER BY id"),
            (rows{{id(queued[0]), "submitting", "1", "daemon-1", "t"},
                  {id(queued[1]), "submitting", "1", "daemon-1", "t"},
                  {id(queued[2]), "submitting", "1", "daemon-1", "t"},
                  {id(queued[3]), "queued", "0", "<null>", "<null>"},
                  {id(queued[4]), "queued", "0", "<null>", "<null>"}}));

  const auto rest = claim({"smsc-a"}, 10, "daemon-1");
  EXPECT_EQ(sorted(ids_of(rest)), (std::vector<store::id>{queued[3], queued[4]}));
  EXPECT_TRUE(claim({"smsc-a"}, 10, "daemon-1").empty());
}

TEST_F(OutboxTest, ClaimsOnlyRowsOfItsBindsOrOfNone) {
  store::id on_b = 0;
  store::id on_none = 0;
  {
    pqxx::work t(conn);
    on_b = queue_row(t, company, "+61410000001", std::string("b"));
    on_none = queue_row(t, company, "+61410000002");
    t.commit();
  }
  {
    pqxx::work t(conn);
    const auto only_a = store::claim(t, {"a"}, 10, "daemon-1", 60s, {});
    EXPECT_EQ(ids_of(only_a), (std::vector<store::id>{on_none}));
    // Not committed: both rows are still queued for the next transaction.
  }
  {
    pqxx::work t(conn);
    const auto none = store::claim(t, {}, 10, "daemon-1", 60s, {});
    EXPECT_EQ(ids_of(none), (std::vector<store::id>{on_none}));
  }
  const auto a_and_b = claim({"a", "b"}, 10, "daemon-1");
  EXPECT_EQ(sorted(ids_of(a_and_b)), (std::vector<store::id>{on_b, on_none}));
  for (const auto& r : a_and_b) {
    if (r.row_id == on_b) {
      EXPECT_EQ(r.bind, std::optional<std::string>("b"));
    }
  }
  EXPECT_EQ(count(db, "outbox", "status = 'submitting'"), 2);
}

TEST_F(OutboxTest, BindNamesAreQuotedInTheArrayParameter) {
  const std::string odd = R"(smsc "b",\{x})";
  store::id row = 0;
  {
    pqxx::work t(conn);
    row = queue_row(t, company, "+61410000001", odd);
    t.commit();
  }
  EXPECT_TRUE(claim({"smsc", "b"}, 10).empty());
  const auto claimed = claim({"a", odd}, 10);
  ASSERT_EQ(ids_of(claimed), (std::vector<store::id>{row}));
  EXPECT_EQ(claimed[0].bind, std::optional<std::string>(odd));
}

TEST_F(OutboxTest, SuppressedDestinationsAreMarkedNotReturned) {
  store::id blocked = 0;
  store::id bypass = 0;
  store::id other_company_row = 0;
  store::id free = 0;
  {
    pqxx::work t(conn);
    const store::id other = store::create_company(t, "Other");
    t.exec_params0("INSERT INTO suppressions (company_id, number, source) VALUES ($1, $2, 'api')",
                   company, std::string("+61410000009"));
    blocked = queue_row(t, company, "+61410000009");
    bypass = queue_row(t, company, "+61410000009", std::nullopt, true);
    // Another company's suppression list does not apply.
    other_company_row = queue_row(t, other, "+61410000009");
    free = queue_row(t, company, "+61410000008");
    t.commit();
  }
  const auto claimed = claim({"smsc-a"}, 10, "daemon-1");
  EXPECT_EQ(sorted(ids_of(claimed)), (std::vector<store::id>{bypass, other_company_row, free}));
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT id, status, attempts FROM outbox ORDER BY id"),
            (rows{{id(blocked), "suppressed", "0"},
                  {id(bypass), "submitting", "1"},
                  {id(other_company_row), "submitting", "1"},
                  {id(free), "submitting", "1"}}));
  EXPECT_TRUE(claim({"smsc-a"}, 10, "daemon-1").empty());  // a suppressed row stays so
}

TEST_F(OutboxTest, ConcurrentClaimsTakeDisjointRows) {
  const auto queued = queue_rows(5);
  pqxx::connection other(db.dsn());
  pqxx::work first(conn);
  const auto a = store::claim(first, {}, 2, "daemon-a", 60s, {});
  pqxx::work second(other);  // while the first is not committed
  const auto b = store::claim(second, {}, 10, "daemon-b", 60s, {});
  second.commit();
  first.commit();

  EXPECT_EQ(sorted(ids_of(a)), (std::vector<store::id>{queued[0], queued[1]}));
  EXPECT_EQ(sorted(ids_of(b)), (std::vector<store::id>{queued[2], queued[3], queued[4]}));
  EXPECT_EQ(
      query(db, "SELECT claimed_by, count(*), sum(attempts) FROM outbox GROUP BY 1 ORDER BY 1"),
      (rows{{"daemon-a", "2", "2"}, {"daemon-b", "3", "3"}}));
}

TEST_F(OutboxTest, OnlyClaimsWhoseLeaseRanOutAreTakenOver) {
  store::id dead = 0;
  store::id alive = 0;
  store::id unknown = 0;
  store::id mine = 0;
  {
    pqxx::work t(conn);
    dead = queue_row(t, company, "+61410000001");
    alive = queue_row(t, company, "+61410000002");
    unknown = queue_row(t, company, "+61410000003");
    mine = queue_row(t, company, "+61410000004");
    store::renew_lease(t, "dead", {"sim"}, 60s);
    store::renew_lease(t, "alive", {"sim"}, 60s);
    const auto claimed_by = [&](store::id row, const char* claimer) {
      // Claimed long ago: only the claimer's lease says whether it is alive.
      t.exec_params0(
          "UPDATE outbox SET status = 'submitting', attempts = 1, claimed_by = $2, "
          "claimed_at = now() - interval '1 hour' WHERE id = $1",
          row, std::string(claimer));
    };
    claimed_by(dead, "dead");
    claimed_by(alive, "alive");
    claimed_by(unknown, "never-leased");
    claimed_by(mine, "daemon-1");  // sent by this daemon right now (a reply)
    t.commit();
  }
  lease_ran_out("dead");
  const auto claimed = claim({}, 10, "daemon-1");
  ASSERT_EQ(sorted(ids_of(claimed)), (std::vector<store::id>{dead, unknown}));
  EXPECT_EQ(claimed[0].attempts, 2);
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db, "SELECT id, status, attempts, claimed_by FROM outbox ORDER BY id"),
            (rows{{id(dead), "submitting", "2", "daemon-1"},
                  {id(alive), "submitting", "1", "alive"},
                  {id(unknown), "submitting", "2", "daemon-1"},
                  {id(mine), "submitting", "1", "daemon-1"}}));
  // The claim renewed daemon-1's lease: its rows are its own now.
  EXPECT_TRUE(claim({}, 10, "daemon-2").empty());
  EXPECT_EQ(db.scalar("SELECT lease_until > now() + interval '50 seconds' FROM outbox_claimers "
                      "WHERE claimer = 'daemon-1'"),
            "t");
}

TEST_F(OutboxTest, ALeaseRecordsTheBindsItsClaimerServes) {
  {
    pqxx::work t(conn);
    store::renew_lease(t, "daemon-1", {"a", "b"}, 90s);
    store::renew_lease(t, "daemon-1", {"a", "c"}, 90s);  // a reload changed the binds
    store::renew_lease(t, "gone", {"d"}, 90s);
    t.commit();
  }
  exec(db,
       "UPDATE outbox_claimers SET lease_until = now() - interval '2 days' WHERE claimer = 'gone'");
  {
    pqxx::work t(conn);
    store::renew_lease(t, "daemon-2", {}, 90s);
    t.commit();
  }
  EXPECT_EQ(query(db,
                  "SELECT claimer, binds, lease_until > now() + interval '80 seconds' "
                  "FROM outbox_claimers ORDER BY claimer"),
            (rows{{"daemon-1", "{a,c}", "t"}, {"daemon-2", "{}", "t"}}));
}

TEST_F(OutboxTest, RowsDueLaterAreNotClaimed) {
  store::id later = 0;
  store::id due = 0;
  {
    pqxx::work t(conn);
    later = queue_row(t, company, "+61410000001");
    due = queue_row(t, company, "+61410000002");
    t.exec_params0("UPDATE outbox SET next_attempt_at = now() + interval '1 minute' WHERE id = $1",
                   later);
    t.commit();
  }
  EXPECT_EQ(ids_of(claim({}, 10)), (std::vector<store::id>{due}));
  EXPECT_EQ(
      db.scalar("SELECT status || ' ' || attempts FROM outbox WHERE id = " + std::to_string(later)),
      "queued 0");
}

TEST_F(OutboxTest, AStaleClaimersLateOutcomeIsNotRecorded) {
  const auto queued = queue_rows(1);
  const auto first = claim({}, 10, "daemon-1");
  ASSERT_EQ(first.size(), 1U);
  lease_ran_out("daemon-1");
  const auto second = claim({}, 10, "daemon-2");  // daemon-2 took the row over
  ASSERT_EQ(second.size(), 1U);
  {
    pqxx::work t(conn);
    const auto daemon_1 = std::optional<store::claim_ref>({"daemon-1", first[0].claimed_at});
    EXPECT_EQ(store::mark_retry(t, queued[0], {0s, true, std::nullopt, "late"}, {}, daemon_1),
              std::nullopt);
    EXPECT_FALSE(store::mark_failed(t, queued[0], 8U, "late", daemon_1));
    EXPECT_FALSE(store::mark_in_doubt(t, queued[0], "late", daemon_1));
    EXPECT_FALSE(store::record_accepted(t, queued[0], "sim", 1, 1, "77", daemon_1));
    EXPECT_TRUE(store::record_accepted(t, queued[0], "sim", 1, 1, "78",
                                       store::claim_ref{"daemon-2", second[0].claimed_at}));
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status, smsc_message_id, claimed_by FROM outbox"),
            (rows{{"submitted", "78", "daemon-2"}}));
  EXPECT_EQ(query(db, "SELECT part, smsc_message_id FROM outbox_submits"), (rows{{"1", "78"}}));
}

// A commit whose answer was lost, tried again after the row came back to the same daemon.
TEST_F(OutboxTest, ALateOutcomeOfAnEarlierClaimBySameDaemonIsNotRecorded) {
  const auto queued = queue_rows(1);
  const auto first = claim({}, 10, "daemon-1");
  ASSERT_EQ(first.size(), 1U);
  const store::claim_ref earlier{"daemon-1", first[0].claimed_at};
  {
    pqxx::work t(conn);
    EXPECT_EQ(store::mark_retry(t, queued[0], {0s, true, std::nullopt, "link down"}, {}, earlier),
              "queued");
    t.commit();
  }
  std::this_thread::sleep_for(5ms);  // claims are told apart by their time
  const auto again = claim({}, 10, "daemon-1");
  ASSERT_EQ(again.size(), 1U);
  EXPECT_NE(again[0].claimed_at, first[0].claimed_at);
  {
    pqxx::work t(conn);
    EXPECT_EQ(store::mark_retry(t, queued[0], {0s, true, std::nullopt, "late"}, {}, earlier),
              std::nullopt);
    EXPECT_FALSE(store::record_accepted(t, queued[0], "sim", 1, 1, "77", earlier));
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status, claimed_by, attempts FROM outbox"),
            (rows{{"submitting", "daemon-1", "2"}}));
}

TEST_F(OutboxTest, ABatchOfOutcomesInAnyOrderSaysPerEntryWhetherItsClaimHeld) {
  const auto queued = queue_rows(3);
  const auto claimed = claim({}, 10, "daemon-1");
  ASSERT_EQ(claimed.size(), 3U);
  const std::string at = claimed[0].claimed_at;  // one claim took all three
  pqxx::work t(conn);
  // Recorded in row order whatever the order given; the answer keeps the order given.
  const auto kept = store::record_accepted(t,
                                           {{queued[2], "sim", 1, 1, "c", at},
                                            {queued[1], "sim", 1, 1, "b", "2000-01-01 00:00+00"},
                                            {queued[0], "sim", 1, 1, "a", at}},
                                           "daemon-1");
  t.commit();
  EXPECT_EQ(kept, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(query(db, "SELECT status, smsc_message_id FROM outbox ORDER BY id"),
            (rows{{"submitted", "a"}, {"submitting", "<null>"}, {"submitted", "c"}}));
}

TEST_F(OutboxTest, FinishedRowsAreNeverClaimed) {
  const auto queued = queue_rows(4);
  exec(db, "UPDATE outbox SET status = 'submitted' WHERE id = " + std::to_string(queued[0]));
  exec(db, "UPDATE outbox SET status = 'delivered' WHERE id = " + std::to_string(queued[1]));
  exec(db, "UPDATE outbox SET status = 'failed' WHERE id = " + std::to_string(queued[2]));
  EXPECT_EQ(ids_of(claim({}, 10)), (std::vector<store::id>{queued[3]}));
}

TEST_F(OutboxTest, MarkSubmittedRetryAndFailed) {
  const auto queued = queue_rows(3);
  ASSERT_EQ(claim({}, 10).size(), 3U);
  {
    pqxx::work t(conn);
    store::record_accepted(t, queued[0], "sim", 1, 1, "0A1B2C");
    store::mark_retry(t, queued[1], {90s, true, 0x58U, "throttled"}, {});
    store::mark_failed(t, queued[2], 0x0BU, "invalid destination");
    t.commit();
  }
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(query(db,
                  "SELECT id, status, smsc_message_id, smsc_status, error, attempts "
                  "FROM outbox ORDER BY id"),
            (rows{{id(queued[0]), "submitted", "0A1B2C", "0", "<null>", "1"},
                  {id(queued[1]), "queued", "<null>", "88", "throttled", "1"},
                  {id(queued[2]), "failed", "<null>", "11", "invalid destination", "1"}}));
  // The retry is due about 90 s from now and released by this daemon.
  EXPECT_EQ(query(db,
                  "SELECT next_attempt_at BETWEEN now() + interval '80 seconds' AND "
                  "now() + interval '91 seconds', claimed_by, claimed_at FROM outbox WHERE id = " +
                      id(queued[1])),
            (rows{{"t", "<null>", "<null>"}}));
  EXPECT_TRUE(claim({}, 10).empty());  // not due yet, and the others are done

  {
    pqxx::work t(conn);
    store::mark_retry(t, queued[1], {0s, false, std::nullopt, "link down"}, {});
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status, smsc_status, error FROM outbox WHERE id = " + id(queued[1])),
            (rows{{"queued", "<null>", "link down"}}));
  const auto again = claim({}, 10);
  ASSERT_EQ(ids_of(again), (std::vector<store::id>{queued[1]}));
  EXPECT_EQ(again[0].attempts, 1);  // the link-down retry gave its attempt back

  {
    pqxx::work t(conn);
    store::mark_failed(t, queued[1], std::nullopt, "gave up");
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status, smsc_status, error FROM outbox WHERE id = " + id(queued[1])),
            (rows{{"failed", "<null>", "gave up"}}));
}

// Migration 004 replaced the outbox's company foreign key with a trigger on companies.
TEST_F(OutboxTest, DeletingACompanyDeletesItsOutboxRowsOnly) {
  const auto queued = queue_rows(3);
  store::id other = 0;
  {
    pqxx::work t(conn);
    other = store::create_company(t, "Other");
    queue_row(t, other, "+61410000099");
    t.exec_params0(
        "INSERT INTO outbox_submits (outbox_id, part, smsc_message_id, bind) "
        "VALUES ($1, 1, 'abc', 'smsc-a')",
        queued[0]);
    t.commit();
  }
  exec(db, "DELETE FROM companies WHERE id = " + std::to_string(company));
  EXPECT_EQ(query(db, "SELECT company_id, destination FROM outbox"),
            (rows{{std::to_string(other), "+61410000099"}}));
  EXPECT_EQ(count(db, "outbox_submits"), 0);
}

TEST_F(OutboxTest, RowsExpireAtTheAttemptCapAndAtTheValidityPeriod) {
  const auto queued = queue_rows(3);
  const store::delivery_policy two{2, 3600s};
  const store::retry counted{0s, true, 0x08U, "ESME_RSYSERR"};
  const store::retry free{0s, false, std::nullopt, "no bind up for this row"};
  const auto retry = [&](store::id row, const store::retry& r) {
    pqxx::work t(conn);
    auto status = store::mark_retry(t, row, r, two);
    t.commit();
    return status;
  };
  const std::string others =
      " WHERE id IN (" + std::to_string(queued[1]) + ", " + std::to_string(queued[2]) + ")";
  exec(db, "UPDATE outbox SET next_attempt_at = now() + interval '1 hour'" + others);
  // queued[0]: two counted attempts, then it is over.
  ASSERT_EQ(claim({}, 1, "daemon-1", two).size(), 1U);
  EXPECT_EQ(retry(queued[0], counted), "queued");
  // Retries that cost nothing (no bind, throttled) never reach the cap.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ids_of(claim({}, 1, "daemon-1", two)), (std::vector<store::id>{queued[0]}));
    EXPECT_EQ(retry(queued[0], free), "queued");
  }
  ASSERT_EQ(ids_of(claim({}, 1, "daemon-1", two)), (std::vector<store::id>{queued[0]}));
  EXPECT_EQ(retry(queued[0], counted), "expired");
  EXPECT_EQ(db.scalar("SELECT status || ': ' || error FROM outbox WHERE id = " +
                      std::to_string(queued[0])),
            "expired: no attempts left after 2 (last: ESME_RSYSERR)");

  // queued[1]: the next try would come after the validity period.
  exec(db, "UPDATE outbox SET next_attempt_at = now()" + others);
  ASSERT_EQ(ids_of(claim({}, 1, "daemon-1", two)), (std::vector<store::id>{queued[1]}));
  {
    pqxx::work t(conn);
    EXPECT_EQ(store::mark_retry(t, queued[1], {7200s, true, std::nullopt, "link down"}, two),
              "expired");
    t.commit();
  }
  // queued[2]: waited too long before anyone could try it.
  exec(db, "UPDATE outbox SET created_at = now() - interval '2 hours' WHERE id = " +
               std::to_string(queued[2]));
  EXPECT_TRUE(claim({}, 10, "daemon-1", two).empty());
  EXPECT_EQ(
      query(db, "SELECT status, error FROM outbox WHERE id <> " + std::to_string(queued[0]) +
                    " ORDER BY id"),
      (rows{{"expired", "validity period of 3600 s passed after 1 attempts (last: link down)"},
            {"expired", "validity period of 3600 s passed after 0 attempts"}}));
}

TEST_F(OutboxTest, UpkeepExpiresRowsOfAnyBindAndNamesBindsNoDaemonServes) {
  store::id old_unserved = 0;
  store::id unserved = 0;
  store::id served = 0;
  store::id later = 0;
  {
    pqxx::work t(conn);
    old_unserved = queue_row(t, company, "+61410000001", std::string("nobody"));
    unserved = queue_row(t, company, "+61410000002", std::string("nobody"));
    served = queue_row(t, company, "+61410000003", std::string("a"));
    later = queue_row(t, company, "+61410000004");
    t.exec_params0("UPDATE outbox SET created_at = now() - interval '3 days' WHERE id = $1",
                   old_unserved);
    t.exec_params0(
        "UPDATE outbox SET next_attempt_at = now() - interval '90 seconds' WHERE id = $1", served);
    t.exec_params0("UPDATE outbox SET next_attempt_at = now() + interval '1 hour' WHERE id = $1",
                   later);
    store::renew_lease(t, "daemon-a", {"a"}, 60s);
    store::renew_lease(t, "dead", {"nobody"}, 60s);
    t.commit();
  }
  lease_ran_out("dead");
  store::outbox_state state;
  {
    pqxx::work t(conn);
    state = store::outbox_upkeep(t, {});
    t.commit();
  }
  EXPECT_EQ(state.expired_now, 1);
  EXPECT_EQ(state.pending, 3);
  EXPECT_EQ(state.unserved, 1);
  EXPECT_GE(state.oldest_due_seconds, 89.0);
  EXPECT_LT(state.oldest_due_seconds, 200.0);
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(
      query(db, "SELECT id, status, error FROM outbox ORDER BY id"),
      (rows{{id(old_unserved), "expired", "validity period of 172800 s passed after 0 attempts"},
            {id(unserved), "queued", "no running daemon serves bind nobody"},
            {id(served), "queued", "<null>"},
            {id(later), "queued", "<null>"}}));
}

TEST_F(OutboxTest, RowsAClaimerHoldsButIsNotSendingAreQueuedAgainByTheNextUpkeep) {
  // An MO batch whose commit was in doubt committed after all: its replies are `submitting`
  // under this daemon's live lease, and no send holds them.
  const auto queued = queue_rows(5);
  {
    pqxx::work t(conn);
    store::renew_lease(t, "me", {}, 600s);
    store::renew_lease(t, "other", {}, 600s);
    const auto claim = [&t](store::id row, const char* by, const char* ago) {
      t.exec_params0(
          "UPDATE outbox SET status = 'submitting', claimed_by = $2, attempts = 1, "
          "claimed_at = now() - $3::interval WHERE id = $1",
          row, by, ago);
    };
    claim(queued[0], "me", "5 minutes");     // stranded
    claim(queued[1], "me", "5 minutes");     // a long send still working on it
    claim(queued[2], "me", "1 second");      // just claimed: its send is about to start
    claim(queued[3], "other", "5 minutes");  // another daemon's
    claim(queued[4], "me", "5 minutes");     // its commit came late: its send starts below
    t.commit();
  }
  std::vector<store::unsent_row> seen;
  {
    pqxx::work t(conn);
    seen = store::find_unsent(t, "me", {queued[1]}, 60s);
    t.commit();
  }
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].row + seen[1].row, queued[0] + queued[4]);
  {
    pqxx::work t(conn);
    // The next upkeep: row 4's send has begun; nothing is taken that was not seen before.
    EXPECT_EQ(store::requeue_unsent(t, "me", seen, {queued[1], queued[4]}), 1);
    t.commit();
  }
  const auto id = [](store::id v) { return std::to_string(v); };
  EXPECT_EQ(
      query(db,
            "SELECT id, status, claimed_by, attempts, error, "
            "next_attempt_at <= now() FROM outbox ORDER BY id"),
      (rows{{id(queued[0]), "queued", "<null>", "0", "claimed but never sent: queued again", "t"},
            {id(queued[1]), "submitting", "me", "1", "<null>", "t"},
            {id(queued[2]), "submitting", "me", "1", "<null>", "t"},
            {id(queued[3]), "submitting", "other", "1", "<null>", "t"},
            {id(queued[4]), "submitting", "me", "1", "<null>", "t"}}));
  // A row claimed anew since it was seen holds another claim: it is not taken either.
  {
    pqxx::work t(conn);
    EXPECT_EQ(store::requeue_unsent(t, "me", {{queued[2], "2020-01-01 00:00:00+00"}}, {}), 0);
    t.commit();
  }
}

TEST_F(OutboxTest, UpkeepExpiresADeadClaimersRowsThatNoClaimCouldTake) {
  const auto queued = queue_rows(2, std::string("nobody"));
  {
    pqxx::work t(conn);
    store::renew_lease(t, "dead", {"nobody"}, 60s);
    store::renew_lease(t, "alive", {"nobody"}, 60s);
    t.exec_params0(
        "UPDATE outbox SET status = 'submitting', claimed_by = 'dead', "
        "claimed_at = now(), created_at = now() - interval '3 days' WHERE id = $1",
        queued[0]);
    t.exec_params0(
        "UPDATE outbox SET status = 'submitting', claimed_by = 'alive', "
        "claimed_at = now(), created_at = now() - interval '3 days' WHERE id = $1",
        queued[1]);
    t.commit();
  }
  lease_ran_out("dead");
  {
    pqxx::work t(conn);
    EXPECT_EQ(store::outbox_upkeep(t, {}).expired_now, 1);
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status FROM outbox ORDER BY id"),
            (rows{{"expired"}, {"submitting"}}));  // the living claimer's send is its own
}

TEST_F(OutboxTest, AStopInOneSpellingBlocksRowsAddressedInAnother) {
  std::vector<store::id> blocked;
  store::id other = 0;
  {
    pqxx::work t(conn);
    // As the SMSC wrote the sender (no +), and as the API stores it (E.164).
    t.exec_params0("INSERT INTO suppressions (company_id, number, source) VALUES ($1, $2, 'sms')",
                   company, std::string("61410000009"));
    t.exec_params0("INSERT INTO suppressions (company_id, number, source) VALUES ($1, $2, 'api')",
                   company, std::string("+61410000008"));
    for (const char* to : {"+61410000009", "61410000009", "+61 410 000 009", "61410000008",
                           "+61410000008", "+61 (410) 000-008"}) {
      blocked.push_back(queue_row(t, company, to));
    }
    other = queue_row(t, company, "+61410000007");
    t.commit();
  }
  EXPECT_EQ(ids_of(claim({}, 10)), (std::vector<store::id>{other}));
  EXPECT_EQ(count(db, "outbox", "status = 'suppressed'"), 6);
  // One suppression per number, whatever the spelling.
  EXPECT_THROW(exec(db, "INSERT INTO suppressions (company_id, number, source) VALUES (" +
                            std::to_string(company) + ", '+61410000009', 'api')"),
               pqxx::unique_violation);
}

TEST_F(OutboxTest, PartsAreRecordedOneByOneAndAResumedClaimStartsAfterThem) {
  const auto queued = queue_rows(1);
  const auto receipt = [&](const std::string& smsc_id, const std::string& state) {
    pqxx::work t(conn);
    auto row = store::record_receipt(t, "sim", {smsc_id}, state, "000");
    t.commit();
    return row;
  };
  const auto claimed = claim({}, 10, "daemon-1");
  ASSERT_EQ(claimed.size(), 1U);
  {
    pqxx::work t(conn);
    EXPECT_TRUE(store::record_accepted(t, queued[0], "sim", 1, 3, "p1",
                                       store::claim_ref{"daemon-1", claimed[0].claimed_at}));
    t.commit();
  }
  // A long message stays on the bind of its first part from now on.
  EXPECT_EQ(db.scalar("SELECT bind FROM outbox"), "sim");
  // Part 1's receipt before the rest is sent: kept, the row is not done yet.
  EXPECT_EQ(receipt("p1", "delivered"), queued[0]);
  EXPECT_EQ(db.scalar("SELECT status FROM outbox"), "submitting");
  // daemon-1 dies; daemon-2, bound to the same bind, resumes after part 1.
  lease_ran_out("daemon-1");
  EXPECT_TRUE(claim({"other"}, 10, "daemon-3").empty());
  const auto resumed = claim({"sim"}, 10, "daemon-2");
  ASSERT_EQ(resumed.size(), 1U);
  EXPECT_EQ(resumed[0].parts_accepted, 1);
  {
    pqxx::work t(conn);
    const store::claim_ref daemon_2{"daemon-2", resumed[0].claimed_at};
    EXPECT_TRUE(store::record_accepted(t, queued[0], "sim", 2, 3, "p2", daemon_2));
    EXPECT_TRUE(store::record_accepted(t, queued[0], "sim", 3, 3, "p3", daemon_2));
    t.commit();
  }
  EXPECT_EQ(query(db, "SELECT status, smsc_message_id FROM outbox"), (rows{{"submitted", "p1"}}));
  EXPECT_EQ(receipt("p3", "delivered"), queued[0]);
  EXPECT_EQ(db.scalar("SELECT status FROM outbox"), "submitted");
  EXPECT_EQ(receipt("p2", "delivered"), queued[0]);
  EXPECT_EQ(db.scalar("SELECT status FROM outbox"), "delivered");
  EXPECT_EQ(
      query(db, "SELECT part, smsc_message_id, receipt_state FROM outbox_submits ORDER BY part"),
      (rows{{"1", "p1", "delivered"}, {"2", "p2", "delivered"}, {"3", "p3", "delivered"}}));
}

TEST_F(OutboxTest, EveryReceiptBeforeTheLastPartStillSettlesTheRow) {
  const auto queued = queue_rows(2);
  ASSERT_EQ(claim({}, 10).size(), 2U);
  const auto receipt = [&](const std::string& smsc_id, const std::string& state) {
    pqxx::work t(conn);
    store::record_receipt(t, "sim", {smsc_id}, state, "001");
    t.commit();
  };
  const auto accept = [&](store::id row, int part, const std::string& smsc_id) {
    pqxx::work t(conn);
    store::record_accepted(t, row, "sim", part, 2, smsc_id);
    t.commit();
  };
  accept(queued[0], 1, "a1");
  receipt("a1", "delivered");
  accept(queued[0], 2, "a2");
  receipt("a2", "delivered");
  accept(queued[1], 1, "b1");
  receipt("b1", "undeliverable");  // a final failure of one part fails the row
  accept(queued[1], 2, "b2");
  EXPECT_EQ(query(db, "SELECT status, error FROM outbox ORDER BY id"),
            (rows{{"delivered", "<null>"}, {"failed", "receipt: undeliverable err:001"}}));
}

TEST_F(OutboxTest, ReceiptsOfTwoPartsArrivingTogetherDeliverTheRow) {
  const auto queued = queue_rows(1);
  ASSERT_EQ(claim({}, 10).size(), 1U);
  {
    pqxx::work t(conn);
    store::record_accepted(t, queued[0], "sim", 1, 2, "x1");
    store::record_accepted(t, queued[0], "sim", 2, 2, "x2");
    t.commit();
  }
  pqxx::work first(conn);
  ASSERT_EQ(store::record_receipt(first, "sim", {"x1"}, "delivered", ""), queued[0]);
  // The second receipt, in its own transaction while the first is not committed: it waits
  // for the row, then sees the first part delivered.
  auto second = std::async(std::launch::async, [&] {
    pqxx::connection other(db.dsn());
    pqxx::work t(other);
    store::record_receipt(t, "sim", {"x2"}, "delivered", "");
    t.commit();
  });
  EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout);
  first.commit();
  second.get();
  EXPECT_EQ(db.scalar("SELECT status FROM outbox"), "delivered");
}

TEST_F(OutboxTest, BatchesWithReceiptsOfTwoRowsInOppositeOrdersSettleThemOneAfterTheOther) {
  const auto queued = queue_rows(2);
  ASSERT_EQ(claim({}, 10).size(), 2U);
  const auto smsc_id = [&](int part, std::size_t row) {
    return "p" + std::to_string(part) + "-" + std::to_string(queued[row]);
  };
  {
    pqxx::work t(conn);
    for (std::size_t row = 0; row < queued.size(); ++row) {
      store::record_accepted(t, queued[row], "sim", 1, 2, smsc_id(1, row));
      store::record_accepted(t, queued[row], "sim", 2, 2, smsc_id(2, row));
    }
    t.commit();
  }
  // One batch holds the first parts' receipts, the other the second parts', in the opposite
  // row order: each records its parts, then settles its rows (the pipeline's apply_batch).
  pqxx::work first(conn);
  ASSERT_EQ(store::record_receipt_part(first, "sim", {smsc_id(1, 0)}, "delivered", ""), queued[0]);
  ASSERT_EQ(store::record_receipt_part(first, "sim", {smsc_id(1, 1)}, "delivered", ""), queued[1]);
  pqxx::connection other(db.dsn());
  pqxx::work second(other);
  ASSERT_EQ(store::record_receipt_part(second, "sim", {smsc_id(2, 1)}, "delivered", ""), queued[1]);
  ASSERT_EQ(store::record_receipt_part(second, "sim", {smsc_id(2, 0)}, "delivered", ""), queued[0]);
  store::settle_receipts(first, {queued[0], queued[1]});
  EXPECT_EQ(query(db, "SELECT status FROM outbox ORDER BY id"),
            (rows{{"submitted"}, {"submitted"}}));
  auto settled = std::async(std::launch::async, [&] {
    store::settle_receipts(second, {queued[1], queued[0]});
    second.commit();
  });
  // The second waits for the first's rows, then sees its parts: every part delivered.
  EXPECT_EQ(settled.wait_for(300ms), std::future_status::timeout);
  first.commit();
  settled.get();
  EXPECT_EQ(query(db, "SELECT status FROM outbox ORDER BY id"),
            (rows{{"delivered"}, {"delivered"}}));
}

TEST_F(OutboxTest, InDoubtRowsAreNeverClaimedAgain) {
  const auto queued = queue_rows(1);
  const auto claimed = claim({}, 10, "daemon-1");
  ASSERT_EQ(claimed.size(), 1U);
  {
    pqxx::work t(conn);
    EXPECT_TRUE(store::mark_in_doubt(t, queued[0], "response to part 1 of 1 unreadable",
                                     store::claim_ref{"daemon-1", claimed[0].claimed_at}));
    t.commit();
  }
  lease_ran_out("daemon-1");
  EXPECT_TRUE(claim({}, 10, "daemon-2").empty());
  EXPECT_EQ(query(db, "SELECT status, error FROM outbox"),
            (rows{{"in_doubt", "response to part 1 of 1 unreadable"}}));
}

// ---------------------------------------------------------------------------------------------
// listener

TEST(ListenerTest, NotificationsReachTheHandlerAndABrokenConnectionIsReplaced) {
  test_database db;
  net::io_context io;
  auto work = net::make_work_guard(io);
  std::atomic<int> calls{0};
  auto l = std::make_shared<store::listener>(io.get_executor(), db.dsn(),
                                             std::vector<std::string>{"smsgw_test"},
                                             [&calls](const std::string& channel) {
                                               EXPECT_EQ(channel, "smsgw_test");
                                               ++calls;
                                             });
  net::post(io, [l] { l->start(); });
  std::thread runner([&io] { io.run(); });
  struct join_at_exit {
    net::io_context& io;
    std::shared_ptr<store::listener> l;
    std::thread& t;
    ~join_at_exit() {
      auto stopped = net::co_spawn(io, l->stop(), net::use_future);
      stopped.wait();
      io.stop();
      t.join();
    }
  } stop_and_join{io, l, runner};
  const auto eventually = [](const std::function<bool()>& done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  };
  // Once connected: one call for whatever changed while nobody listened.
  ASSERT_TRUE(eventually([&] { return calls == 1; })) << calls;
  exec(db, "NOTIFY smsgw_test");
  ASSERT_TRUE(eventually([&] { return calls == 2; })) << calls;
  exec(db, "NOTIFY other_channel");

  EXPECT_EQ(db.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"),
            "1");
  ASSERT_TRUE(eventually([&] { return calls == 3; }));  // reconnected, and said so
  exec(db, "NOTIFY smsgw_test");
  ASSERT_TRUE(eventually([&] { return calls == 4; }));
}

// ---------------------------------------------------------------------------------------------
// pool

TEST(PoolTest, WithReturnsTheFunctionsValue) {
  const test_database db;
  store::pool p(db.dsn(), 2);
  EXPECT_EQ(p.size(), 2U);
  EXPECT_EQ(p.dsn(), db.dsn());
  const int v = p.with([](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec1("SELECT 6 * 7")[0].as<int>();
  });
  EXPECT_EQ(v, 42);
  const std::string name = p.with([](pqxx::connection& c) { return std::string(c.dbname()); });
  EXPECT_EQ(name, db.name());
}

TEST(PoolTest, ABrokenConnectionIsReplaced) {
  const test_database db;
  store::pool p(db.dsn(), 1);
  const auto backend = [](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec1("SELECT pg_backend_pid()")[0].as<int>();
  };
  const int before = p.with(backend);
  EXPECT_EQ(p.with(backend), before);  // the connection is reused while it works

  EXPECT_THROW(p.with([](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    t.exec("SELECT pg_terminate_backend(pg_backend_pid())");
  }),
               pqxx::broken_connection);

  int after = 0;
  ASSERT_NO_THROW(after = p.with(backend));
  EXPECT_NE(after, before);
  EXPECT_EQ(p.with(backend), after);
}

TEST(PoolTest, TheConnectHookGreetsEachNewConnectionAndOpenAllGreetsEveryOne) {
  const test_database db;
  std::mutex mutex;
  std::vector<int> greeted;  // backend pids, in order
  const auto pid = [](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec1("SELECT pg_backend_pid()")[0].as<int>();
  };
  store::pool p(db.dsn(), 2, {}, [&](pqxx::connection& c) {
    const std::lock_guard lock(mutex);
    greeted.push_back(pid(c));
    return true;
  });
  EXPECT_TRUE(greeted.empty());  // opened lazily
  const int first = p.with(pid);
  EXPECT_EQ(p.with(pid), first);
  EXPECT_EQ(greeted, std::vector<int>{first});  // once, before its first job

  EXPECT_EQ(p.open_all(), 2U);  // the second opened, and both greeted
  ASSERT_EQ(greeted.size(), 3U);
  EXPECT_EQ(std::set<int>(greeted.begin(), greeted.end()).size(), 2U);
  EXPECT_EQ(std::count(greeted.begin(), greeted.end(), first), 2);

  // A replaced connection is greeted like a new one.
  const auto before = greeted.size();
  EXPECT_THROW(p.with([](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    t.exec("SELECT pg_terminate_backend(pg_backend_pid())");
  }),
               pqxx::broken_connection);
  const int replaced = p.with(pid);
  ASSERT_EQ(greeted.size(), before + 1);
  EXPECT_EQ(greeted.back(), replaced);
}

TEST(PoolTest, AConnectHookThatFailsLeavesTheConnectionInUseUnlessItBrokeIt) {
  const test_database db;
  int calls = 0;
  store::pool failing(db.dsn(), 1, {}, [&](pqxx::connection& c) {
    ++calls;
    pqxx::work t(c);
    t.exec("SELECT no_such_function()");
    return true;
  });
  const auto answer = [](pqxx::connection& c) {
    pqxx::work t(c);
    return t.exec1("SELECT 6 * 7")[0].as<int>();
  };
  EXPECT_EQ(failing.with(answer), 42);  // logged; the connection works
  EXPECT_EQ(failing.with(answer), 42);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(failing.open_all(), 0U);  // greeted again, and failed again: not warmed
  EXPECT_EQ(calls, 2);

  bool broke = false;
  store::pool breaking(db.dsn(), 1, {}, [&](pqxx::connection& c) {
    if (std::exchange(broke, true)) return true;
    pqxx::nontransaction t(c);
    t.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return true;
  });
  EXPECT_THROW(breaking.with(answer), pqxx::broken_connection);  // as its job would have
  EXPECT_EQ(breaking.with(answer), 42);                          // a new one, greeted
}

TEST(PoolTest, TwoConnectionsServeEightThreads) {
  const test_database db;
  store::pool p(db.dsn(), 2);
  constexpr int threads = 8;
  constexpr int calls = 50;
  std::atomic<int> completed{0};
  std::atomic<int> in_use{0};
  std::atomic<int> most_in_use{0};
  std::atomic<long long> sum{0};
  std::mutex pids_mutex;
  std::set<int> pids;
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      try {
        for (int j = 0; j < calls; ++j) {
          const int value = p.with([&](pqxx::connection& c) {
            const int now = ++in_use;
            int seen = most_in_use.load();
            while (now > seen && !most_in_use.compare_exchange_weak(seen, now)) {
            }
            pqxx::work t(c);
            const auto r = t.exec_params1("SELECT $1::int, pg_backend_pid()", i * 1000 + j);
            t.commit();
            {
              const std::lock_guard lock(pids_mutex);
              pids.insert(r[1].as<int>());
            }
            --in_use;
            return r[0].as<int>();
          });
          sum += value;
          ++completed;
        }
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    });
  }
  for (auto& w : workers) w.join();

  for (const auto& e : errors) EXPECT_FALSE(e);
  EXPECT_EQ(completed.load(), threads * calls);
  long long expected = 0;
  for (int i = 0; i < threads; ++i) {
    for (int j = 0; j < calls; ++j) expected += i * 1000 + j;
  }
  EXPECT_EQ(sum.load(), expected);
  EXPECT_LE(most_in_use.load(), 2);
  EXPECT_LE(pids.size(), 2U);
}

// ---------------------------------------------------------------------------------------------
// password

TEST(PasswordTest, HashesWithArgon2idAndVerifies) {
  const std::string hash = store::hash_password("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0U) << hash;
  EXPECT_TRUE(store::verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(store::verify_password(hash, "correct horse battery stapler"));
  EXPECT_FALSE(store::verify_password(hash, ""));
  EXPECT_NE(store::hash_password("correct horse battery staple"), hash);  // fresh salt
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  EXPECT_FALSE(store::verify_password("", ""));
  EXPECT_FALSE(store::verify_password("", "secret"));
  EXPECT_FALSE(store::verify_password("garbage", "secret"));
  EXPECT_FALSE(store::verify_password("$argon2id$v=19$m=65536,t=2,p=1$AAAA$BBBB", "secret"));
  EXPECT_FALSE(store::verify_password(std::string(300, 'x'), "secret"));
  const std::string hash = store::hash_password("secret");
  EXPECT_FALSE(store::verify_password(hash.substr(0, hash.size() - 4), "secret"));
  EXPECT_TRUE(store::verify_password(store::hash_password(""), ""));
}

}  // namespace
