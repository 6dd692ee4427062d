// Send expansion against a real PostgreSQL: recursive through nested groups, filtered by the
// sender's access, deduplicated by number, minus the stop list, with the counts of what was
// left out; the outbox rows it writes and the streaming cursor.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "store/errors.hpp"
#include "store/expansion.hpp"
#include "store/groups.hpp"
#include "store/suppressions.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using store::group_type;
using store::id;
using tx = pqxx::transaction_base;

namespace {

using rows_t = std::vector<std::vector<std::string>>;

struct expansion_fixture : ::testing::Test {
  expansion_fixture() : acme(db) {
    mary = acme.add_user("mary");
    secret = acme.add_domain(acme.admin, "Secret");
  }

  store::queued_send send(id sender, const store::send_request& to,
                          const std::string& text = "Hello") {
    return acme.run([&](tx& t) {
      return store::queue_send(t, sender, {"4040", text, std::nullopt}, to, region);
    });
  }

  rows_t outbox(id message) {
    return acme.run([&](tx& t) {
      rows_t out;
      for (const auto& r :
           t.exec_params("SELECT kind, source, destination, text, coalesce(bind, '<any>'), status "
                         "FROM outbox WHERE message_id = $1 ORDER BY destination",
                         message)) {
        out.push_back(
            {r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str()});
      }
      return out;
    });
  }

  std::vector<std::string> destinations(id message) {
    std::vector<std::string> out;
    for (const auto& r : outbox(message)) out.push_back(r[2]);
    return out;
  }

  test_database db;
  store_company acme;
  id mary = 0;
  id secret = 0;
};

TEST_F(expansion_fixture, NestedGroupsAreExpandedThroughTheSendersAccess) {
  const id all = acme.add_group(acme.admin, acme.shared, "All");
  const id east = acme.add_group(acme.admin, acme.shared, "East");
  const id hidden = acme.add_group(acme.admin, secret, "Hidden");
  const id deep = acme.add_group(acme.admin, acme.shared, "Deep");
  acme.add_contact(acme.admin, acme.shared, "A", "+61412000001", {all});
  acme.add_contact(acme.admin, acme.shared, "B", "+61412000002", {east});
  acme.add_contact(acme.admin, acme.shared, "C", "+61412000003", {deep});
  acme.add_contact(acme.admin, secret, "S", "+61412000004", {east});
  acme.add_contact(acme.admin, acme.shared, "H", "+61412000005", {hidden});
  acme.run([&](tx& t) {
    store::add_members(t, acme.admin, all, {{}, {}, {east, hidden}});
    store::add_members(t, acme.admin, east, {{}, {}, {deep}});
    return 0;
  });
  // The admin sees everything, through every level.
  EXPECT_EQ(acme.recipients(acme.admin, {{all}, {}, {}}),
            (std::vector<std::string>{"+61412000001", "+61412000002", "+61412000003",
                                      "+61412000004", "+61412000005"}));
  // Mary: S is in a domain she cannot view; Hidden is a group she cannot view, so it is not
  // expanded at all (H is left out although H itself is in Shared). Both count as not
  // visible: S as a contact, Hidden as one group (its members stay uncounted).
  const auto r = send(mary, {{all}, {}, {}});
  EXPECT_EQ(r.recipients, 3);
  EXPECT_EQ(r.left, (store::left_out{0, 2, 0, 0}));
  EXPECT_EQ(destinations(r.message_id),
            (std::vector<std::string>{"+61412000001", "+61412000002", "+61412000003"}));
  EXPECT_EQ(acme.recipients(mary, {{all}, {}, {}}), destinations(r.message_id));
  // Naming a group or contact she cannot see counts as not visible, like an unknown one.
  const auto named = send(mary, {{hidden, 999999}, {999998}, {}});
  EXPECT_EQ(named.recipients, 0);
  EXPECT_EQ(named.left, (store::left_out{0, 3, 0, 0}));
}

TEST_F(expansion_fixture, DuplicatesInvalidNumbersAndTheStopListAreCounted) {
  const id news = acme.add_group(acme.admin, acme.shared, "News");
  const id vips = acme.add_group(acme.admin, acme.shared, "VIPs", group_type::users_and_contacts);
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {news, vips});
  acme.add_contact(acme.admin, secret, "Ann again", "+61412000001", {news});
  acme.add_contact(acme.admin, acme.shared, "Stopped", "+61412000002", {news});
  // Two contacts that opted in by SMS: numbers as the SMSC gave them, one without a +.
  acme.run([&](tx& t) {
    t.exec_params0(
        "WITH c AS (INSERT INTO contacts (company_id, domain_id, number) VALUES "
        "($1, $2, '61412000003'), ($1, $2, '0412000004') RETURNING id) "
        "INSERT INTO group_contacts (group_id, contact_id) SELECT $3, id FROM c",
        acme.company, acme.shared, news);
    // The stop list as the SMS path writes it: without the +.
    t.exec_params0(
        "INSERT INTO suppressions (company_id, number, source) VALUES ($1, '61412000002', 'sms')",
        acme.company);
    return 0;
  });
  const id with_number = acme.add_user("with-number");
  const id without_number = acme.add_user("without-number");
  acme.run([&](tx& t) {
    store::set_user_number(t, with_number, "+61412000006");
    store::add_members(t, acme.admin, vips, {{}, {with_number, without_number}, {}});
    return 0;
  });

  const auto r = send(
      acme.admin, {{news, vips}, {ann}, {"0412 000 001", "+61412000007", "12345", "0412000003"}});
  // Entries: Ann, Ann again, Stopped, 61412000003, 0412000004 (News; Ann once more through
  // VIPs is the same contact), the two users, four raw numbers.
  //  - invalid: 0412000004 (not E.164), the user without a number, "12345";
  //  - duplicate: Ann again, raw 0412 000 001 (Ann's), raw 0412000003 (the opt-in's);
  //  - suppressed: +61412000002 (its number, once);
  //  - queued: +61412000001, +61412000003, +61412000006, +61412000007.
  EXPECT_EQ(r.recipients, 4);
  EXPECT_EQ(r.left, (store::left_out{1, 0, 3, 3}));
  EXPECT_EQ(outbox(r.message_id),
            (rows_t{{"send", "4040", "+61412000001", "Hello", "<any>", "queued"},
                    {"send", "4040", "+61412000003", "Hello", "<any>", "queued"},
                    {"send", "4040", "+61412000006", "Hello", "<any>", "queued"},
                    {"send", "4040", "+61412000007", "Hello", "<any>", "queued"}}));
  EXPECT_EQ(acme.run([&](tx& t) {
    const auto m = t.exec_params1(
        "SELECT user_id, source, text, recipients, suppressed, not_visible, invalid, "
        "duplicate FROM messages WHERE id = $1",
        r.message_id);
    std::vector<std::string> out;
    for (const auto& f : m) out.push_back(f.c_str());
    return out;
  }),
            (std::vector<std::string>{std::to_string(acme.admin), "4040", "Hello", "4", "1", "0",
                                      "3", "3"}));
  EXPECT_EQ(acme.recipients(
                acme.admin,
                {{news, vips}, {ann}, {"0412 000 001", "+61412000007", "12345", "0412000003"}}),
            destinations(r.message_id));
}

TEST_F(expansion_fixture, SuppressionChangesAreAuditedAndApplyToTheNextSend) {
  const id news = acme.add_group(acme.admin, acme.shared, "News");
  acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {news});
  EXPECT_TRUE(
      acme.run([&](tx& t) { return store::add_suppression(t, mary, "0412 000 001", region); }));
  EXPECT_FALSE(
      acme.run([&](tx& t) { return store::add_suppression(t, mary, "+61412000001", region); }));
  EXPECT_EQ(send(mary, {{news}, {}, {}}).left, (store::left_out{1, 0, 0, 0}));
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::remove_suppression(t, mary, "+61412000001", region); }),
      store::access_denied);
  EXPECT_THROW(acme.run([&](tx& t) { return store::add_suppression(t, mary, "123", region); }),
               store::validation_error);
  EXPECT_TRUE(acme.run(
      [&](tx& t) { return store::remove_suppression(t, acme.admin, "+61412000001", region); }));
  EXPECT_EQ(send(mary, {{news}, {}, {}}).recipients, 1);
  EXPECT_EQ(acme.run([&](tx& t) {
    std::vector<std::string> out;
    for (const auto& r :
         t.exec("SELECT actor_user_id::text || ' ' || action || ' ' || object FROM audit_log "
                "WHERE action LIKE 'suppression.%' ORDER BY id")) {
      out.push_back(r[0].c_str());
    }
    return out;
  }),
            (std::vector<std::string>{
                std::to_string(mary) + " suppression.add number:+61412000001",
                std::to_string(acme.admin) + " suppression.remove number:+61412000001"}));
}

TEST_F(expansion_fixture, TheSourceNumbersBindIsUsedAndBadInputRefused) {
  const id news = acme.add_group(acme.admin, acme.shared, "News");
  acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {news});
  acme.run(
      [&](tx& t) { return store::add_number(t, acme.company, "4040", "short_code", "smsc-a"); });
  const auto r = send(mary, {{news}, {}, {}});
  EXPECT_EQ(outbox(r.message_id),
            (rows_t{{"send", "4040", "+61412000001", "Hello", "smsc-a", "queued"}}));
  EXPECT_THROW(send(mary, {{news}, {}, {}}, ""), store::validation_error);
}

TEST_F(expansion_fixture, ACycleWrittenBehindTheRulesStillEnds) {
  const id a = acme.add_group(acme.admin, acme.shared, "A");
  const id b = acme.add_group(acme.admin, acme.shared, "B");
  acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {a});
  acme.add_contact(acme.admin, acme.shared, "Ben", "+61412000002", {b});
  acme.run([&](tx& t) {
    t.exec("ALTER TABLE group_groups DISABLE TRIGGER group_groups_rules");
    t.exec_params0("INSERT INTO group_groups VALUES ($1, $2), ($2, $1)", a, b);
    t.exec("ALTER TABLE group_groups ENABLE TRIGGER group_groups_rules");
    return 0;
  });
  EXPECT_EQ(acme.recipients(mary, {{a}, {}, {}}),
            (std::vector<std::string>{"+61412000001", "+61412000002"}));
  EXPECT_EQ(send(mary, {{a, b}, {}, {}}).recipients, 2);
}

TEST_F(expansion_fixture, TheCursorStreamsLargeGroupsInBatches) {
  const id big = acme.add_group(acme.admin, acme.shared, "Big");
  acme.run([&](tx& t) {
    t.exec_params0(
        "WITH c AS (INSERT INTO contacts (company_id, domain_id, number) "
        "  SELECT $1, $2, '+614' || (10000000 + g)::text FROM generate_series(1, 25000) g "
        "  RETURNING id) "
        "INSERT INTO group_contacts (group_id, contact_id) SELECT $3, id FROM c",
        acme.company, acme.shared, big);
    return 0;
  });
  std::vector<std::size_t> sizes;
  std::size_t total = 0;
  acme.run([&](tx& t) {
    store::recipient_cursor cursor(t, mary, {{big}, {}, {}}, region, 10000);
    for (auto batch = cursor.next(); !batch.empty(); batch = cursor.next()) {
      sizes.push_back(batch.size());
      total += batch.size();
    }
    EXPECT_EQ(cursor.next(), std::vector<std::string>{});
    return 0;
  });
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10000, 10000, 5000}));
  EXPECT_EQ(total, 25000U);
  EXPECT_EQ(send(mary, {{big}, {}, {}}).recipients, 25000);
}

}  // namespace
