// Contacts against a real PostgreSQL: the manual's field rules, E.164 numbers, system and
// public ids, Editor for changes, lists and the recipient autocompleter.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/audit.hpp"
#include "store/contacts.hpp"
#include "store/errors.hpp"
#include "store/groups.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using smsgw::testing::user_grantee;
using store::access_level;
using store::id;
using tx = pqxx::transaction_base;

namespace {

using issues_t = std::vector<store::field_issue>;

/// The issues of the validation_error `f` throws (empty when it throws none).
template <class F>
issues_t issues_of(F&& f) {
  try {
    f();
  } catch (const store::validation_error& e) {
    return e.issues();
  }
  return {};
}

struct contacts_fixture : ::testing::Test {
  contacts_fixture() : acme(db) {
    bob = acme.add_user("bob");
    crm = acme.add_domain(acme.admin, "CRM", {"city", "position", "email"});
    customers = acme.add_group(acme.admin, crm, "Customers");
    news = acme.add_group(acme.admin, acme.shared, "News");
  }

  store::contact_result create(id actor, store::new_contact c) {
    return acme.run([&](tx& t) { return store::create_contact(t, actor, c, region); });
  }

  store::new_contact joe() {
    store::new_contact c;
    c.domain = crm;
    c.name = "Joe Famous";
    c.number = "0412 000 002";
    c.alias = "bigjoe";
    c.email = "joe@example.com";
    c.public_id = "C724421";
    c.tags = {{"city", "Sydney"}, {"position", "Director of Photography"}};
    c.groups = {customers};
    return c;
  }

  test_database db;
  store_company acme;
  id bob = 0;
  id crm = 0;
  id customers = 0;
  id news = 0;
};

TEST_F(contacts_fixture, CreateStoresNormalisedFieldsAndAssignsASystemId) {
  const auto r = create(acme.admin, joe());
  EXPECT_EQ(r.warnings, std::vector<std::string>{});
  store::contact expected;
  expected.contact_id = r.value.contact_id;
  expected.system_id = "C#" + std::to_string(r.value.contact_id);
  expected.name = "Joe Famous";
  expected.number = "+61412000002";
  expected.alias = "bigjoe";
  expected.email = "joe@example.com";
  expected.public_id = "C724421";
  expected.domain_id = crm;
  expected.groups = {customers};
  expected.tags = {{"city", "Sydney"}, {"position", "Director of Photography"}};
  EXPECT_EQ(r.value, expected);
  EXPECT_EQ(acme.run([&](tx& t) {
    return store::get_contact_by_system_id(t, acme.admin, expected.system_id);
  }),
            expected);
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::get_contact_by_system_id(t, acme.admin, "C#x1"); }),
      store::not_found);
}

TEST_F(contacts_fixture, EveryBadFieldIsReportedAtOnce) {
  store::new_contact c = joe();
  c.name = std::string(70, 'n');
  c.number = "12345";
  c.alias = "big joe";
  c.email = "joe at example";
  c.tags = {{"city", "Sydney"}, {"pet", "Rex"}, {"email", "x@y.z"}};
  c.groups = {};
  EXPECT_EQ(
      issues_of([&] { create(acme.admin, c); }),
      (issues_t{{"name", "must be less than 70 characters"},
                {"number", "is not a valid phone number"},
                {"alias", "may only contain letters a-z, digits, hyphen, underscore and full stop"},
                {"email", "is not an email address"},
                {"tags.email", "is not a property enabled on the contact's domain"},
                {"tags.pet", "is not a property enabled on the contact's domain"},
                {"groups", "a contact must be in at least one group"}}));
  EXPECT_EQ(acme.listed(acme.admin), std::vector<id>{});
}

TEST_F(contacts_fixture, LongAliasesAndEmailsAreTruncated) {
  store::new_contact c = joe();
  c.alias = std::string(70, 'a');
  c.email = "joe@" + std::string(300, 'x');
  const auto r = create(acme.admin, c);
  EXPECT_EQ(r.value.alias, std::string(63, 'a'));
  EXPECT_EQ(r.value.email, ("joe@" + std::string(300, 'x')).substr(0, 254));
}

TEST_F(contacts_fixture, NumbersAndPublicIdsAreUnique) {
  create(acme.admin, joe());
  store::new_contact same_number = joe();
  same_number.public_id = "";
  same_number.number = "+61412000002";
  EXPECT_THROW(create(acme.admin, same_number), store::conflict);
  // The same number is another contact in another domain (opt-ins are per domain).
  same_number.domain = acme.shared;
  same_number.groups = {news};
  same_number.tags = {};
  EXPECT_EQ(create(acme.admin, same_number).value.number, "+61412000002");
  // Public ids are unique in the company, whatever the domain...
  store::new_contact same_public_id = joe();
  same_public_id.number = "+61412000009";
  same_public_id.domain = acme.shared;
  same_public_id.groups = {news};
  same_public_id.tags = {};
  EXPECT_THROW(create(acme.admin, same_public_id), store::conflict);
  // ...and not across companies.
  const auto other = acme.run([&](tx& t) {
    const id company = store::create_company(t, "Other");
    const id admin =
        store::create_user(t, company, {"other-admin", "", store::role::company_admin, ""});
    const id shared = store::builtin_domain(t, company, "shared");
    const id group =
        store::create_group(t, admin, {shared, "Theirs", store::group_type::contacts_only, "", ""})
            .group_id;
    store::new_contact c = joe();
    c.domain = shared;
    c.groups = {group};
    c.tags = {};
    return store::create_contact(t, admin, c, region).value;
  });
  EXPECT_EQ(other.public_id, "C724421");
}

TEST_F(contacts_fixture, ChangesNeedEditorOnTheDomainAndOnEachGroup) {
  // No access to CRM: it does not exist for Bob.
  EXPECT_THROW(create(bob, joe()), store::not_found);
  acme.grant(acme.admin, crm, user_grantee(bob), access_level::viewer);
  EXPECT_THROW(create(bob, joe()), store::access_denied);
  acme.grant(acme.admin, crm, user_grantee(bob), access_level::editor);
  // A group in a domain Bob may only view.
  const id vip_list = acme.add_group(acme.admin, acme.add_domain(acme.admin, "Lists"), "VIP list");
  store::new_contact c = joe();
  c.groups = {customers, vip_list};
  EXPECT_THROW(create(bob, c), store::not_found);
  const id lists =
      acme.run([&](tx& t) { return store::get_group(t, acme.admin, vip_list).domain_id; });
  acme.grant(acme.admin, lists, user_grantee(bob), access_level::viewer);
  EXPECT_THROW(create(bob, c), store::access_denied);
  // A users-only group cannot take a contact.
  const id staff = acme.add_group(acme.admin, crm, "Staff", store::group_type::users_only);
  c.groups = {staff};
  EXPECT_EQ(issues_of([&] { create(bob, c); }),
            (issues_t{{"groups", "group G#" + std::to_string(staff) + " holds users only"}}));
  // With Editor everywhere it works, and groups in another domain give a warning.
  c.groups = {customers, news};
  const auto r = create(bob, c);
  EXPECT_EQ(r.value.groups, (std::vector<id>{customers, news}));
  EXPECT_EQ(r.warnings, std::vector<std::string>{"group G#" + std::to_string(news) +
                                                 " is in another security domain than the "
                                                 "contact"});
}

TEST_F(contacts_fixture, UpdatePatchesFieldsAndMovesBetweenDomains) {
  const id joe_id = create(acme.admin, joe()).value.contact_id;
  store::contact_patch p;
  p.name = "  Joseph Famous ";
  p.alias = "";
  p.tags = std::map<std::string, std::string>{{"city", "Melbourne"}};
  const auto changed =
      acme.run([&](tx& t) { return store::update_contact(t, acme.admin, joe_id, p, region); });
  EXPECT_EQ(changed.value.name, "Joseph Famous");
  EXPECT_EQ(changed.value.alias, std::nullopt);
  EXPECT_EQ(changed.value.email, "joe@example.com");
  EXPECT_EQ(changed.value.tags, (std::map<std::string, std::string>{{"city", "Melbourne"}}));
  EXPECT_EQ(acme.search(acme.admin, "melb"), std::vector<id>{joe_id});
  EXPECT_EQ(acme.search(acme.admin, "sydney"), std::vector<id>{});
  EXPECT_EQ(acme.search(acme.admin, "bigjoe"), std::vector<id>{});

  // Moving needs Editor on both domains; Bob has it on Shared only.
  acme.grant(acme.admin, crm, user_grantee(bob), access_level::editor);
  store::contact_patch move;
  move.domain = acme.personal_domain(acme.admin);
  EXPECT_THROW(acme.run([&](tx& t) { return store::update_contact(t, bob, joe_id, move, region); }),
               store::not_found);
  move.domain = acme.shared;
  // Shared enables no properties: the tags must go with the move, said so explicitly.
  EXPECT_EQ(issues_of([&] {
              acme.run([&](tx& t) { return store::update_contact(t, bob, joe_id, move, region); });
            }),
            (issues_t{{"tags.city", "is not a property enabled on the contact's domain"}}));
  move.tags = std::map<std::string, std::string>{};
  const auto moved =
      acme.run([&](tx& t) { return store::update_contact(t, bob, joe_id, move, region); });
  EXPECT_TRUE(moved.value.tags.empty());
  EXPECT_EQ(moved.value.domain_id, acme.shared);
  EXPECT_EQ(moved.warnings, std::vector<std::string>{"group G#" + std::to_string(customers) +
                                                     " is in another security domain than "
                                                     "the contact"});
  store::contact_patch bad;
  bad.number = "0000";
  EXPECT_EQ(issues_of([&] {
              acme.run([&](tx& t) { return store::update_contact(t, bob, joe_id, bad, region); });
            }),
            (issues_t{{"number", "is not a valid phone number"}}));
}

TEST_F(contacts_fixture, DeleteNeedsEditorAndIsAudited) {
  const id joe_id = create(acme.admin, joe()).value.contact_id;
  acme.grant(acme.admin, crm, user_grantee(bob), access_level::viewer);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_contact(t, bob, joe_id);
    return 0;
  }),
               store::access_denied);
  acme.run([&](tx& t) {
    store::delete_contact(t, acme.admin, joe_id);
    return 0;
  });
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_contact(t, acme.admin, joe_id); }),
               store::not_found);
  EXPECT_EQ(acme.search(acme.admin, "joe"), std::vector<id>{});
  EXPECT_EQ(db.scalar("SELECT count(*) FROM contact_terms"), "0");
  EXPECT_EQ(db.scalar("SELECT details::text FROM audit_log WHERE action = 'contact.delete'"),
            R"({"domain": )" + std::to_string(crm) + R"(, "groups": [)" +
                std::to_string(customers) + R"(], "number": "+61412000002"})");
}

TEST_F(contacts_fixture, ListsPageByIdAndFilterByDomainAndTag) {
  std::vector<id> ids;
  for (int i = 0; i < 5; ++i) {
    store::new_contact c = joe();
    c.name = "Member " + std::to_string(i);
    c.number = "+6141200010" + std::to_string(i);
    c.alias = "";
    c.public_id = "";
    c.tags = {{"city", i % 2 == 0 ? "Perth" : "Hobart"}};
    ids.push_back(create(acme.admin, c).value.contact_id);
  }
  const id in_shared =
      acme.add_contact(acme.admin, acme.shared, "Shared One", "+61412000200", {news});
  EXPECT_EQ(acme.listed(acme.admin, 2),
            (std::vector<id>{ids[0], ids[1], ids[2], ids[3], ids[4], in_shared}));
  const auto page = [&](store::contact_filter f) {
    return acme.run([&](tx& t) {
      std::vector<id> out;
      for (const auto& c : store::list_contacts(t, acme.admin, f, 0, 100)) {
        out.push_back(c.contact_id);
      }
      return out;
    });
  };
  EXPECT_EQ(page({acme.shared, std::nullopt}), std::vector<id>{in_shared});
  EXPECT_EQ(page({std::nullopt, std::pair<std::string, std::string>{"City", "perth"}}),
            (std::vector<id>{ids[0], ids[2], ids[4]}));
  // The autocompleter takes the same filters.
  const auto search = [&](const std::string& q, store::contact_filter f, int limit) {
    return acme.run([&](tx& t) {
      std::vector<id> out;
      for (const auto& c : store::search_contacts(t, acme.admin, q, limit, "AU", f)) {
        out.push_back(c.contact_id);
      }
      return out;
    });
  };
  EXPECT_EQ(
      search("member", {std::nullopt, std::pair<std::string, std::string>{"city", "HOBART"}}, 20),
      (std::vector<id>{ids[1], ids[3]}));
  EXPECT_EQ(
      search("member", {std::nullopt, std::pair<std::string, std::string>{"city", "Perth"}}, 2),
      (std::vector<id>{ids[0], ids[2]}));
  EXPECT_EQ(search("one", {acme.shared, std::nullopt}, 20), std::vector<id>{in_shared});
  EXPECT_TRUE(search("member", {acme.shared, std::nullopt}, 20).empty());
  // Bob sees Shared only.
  EXPECT_EQ(acme.listed(bob), std::vector<id>{in_shared});
}

TEST_F(contacts_fixture, SearchMatchesWordPrefixesAliasesTagsAndNumbers) {
  store::new_contact c = joe();
  c.name = "Donald J. Trump";
  c.alias = "the.don";
  c.public_id = "";
  c.tags = {{"city", "New York"}, {"position", "Developer"}};
  const id donald = create(acme.admin, c).value.contact_id;
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann Anderson", "+61412000003", {news});
  const id ulla = acme.add_contact(acme.admin, acme.shared, "Ülla Öberg", "+61412000004", {news});
  // A contact that opted in by SMS: no name, the number as the SMSC gave it.
  const id texter = acme.run([&](tx& t) {
    return t
        .exec_params1(
            "INSERT INTO contacts (company_id, domain_id, number) VALUES ($1, $2, "
            "'61412000005') RETURNING id",
            acme.company, acme.shared)[0]
        .as<id>();
  });

  EXPECT_EQ(acme.search(acme.admin, "Don"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "tru"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "DONALD J"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "donald j. tr"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "the.d"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "york"), std::vector<id>{donald});
  EXPECT_EQ(acme.search(acme.admin, "dev"), std::vector<id>{donald});
  // "Ann Anderson" matches twice but is listed once.
  EXPECT_EQ(acme.search(acme.admin, "an"), std::vector<id>{ann});
  EXPECT_EQ(acme.search(acme.admin, "üll"), std::vector<id>{ulla});
  EXPECT_EQ(acme.search(acme.admin, "öb"), std::vector<id>{ulla});
  // Numbers: digits, with or without +, spaces ignored.
  EXPECT_EQ(acme.search(acme.admin, "+61 412 000 00"),
            (std::vector<id>{donald, ann, ulla, texter}));
  EXPECT_EQ(acme.search(acme.admin, "61412000005"), std::vector<id>{texter});
  EXPECT_EQ(acme.search(acme.admin, "+61412000005"), std::vector<id>{texter});
  // Limit and order (by the matching text, then id); nothing for an empty query.
  EXPECT_EQ(acme.search(acme.admin, "61412", 2), (std::vector<id>{donald, ann}));
  EXPECT_EQ(acme.search(acme.admin, "  "), std::vector<id>{});
  EXPECT_EQ(acme.search(acme.admin, "zz"), std::vector<id>{});
}

TEST_F(contacts_fixture, SearchLimitIsExactWhenOneContactMatchesManyTimes) {
  // Every contact matches "a" through several words: the per-domain scan must widen.
  std::vector<id> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(acme.add_contact(acme.admin, acme.shared,
                                   "Aa Ab Ac Ad Ae Af " + std::to_string(i),
                                   "+6141200030" + std::to_string(i), {news}));
  }
  EXPECT_EQ(acme.search(acme.admin, "a", 3), (std::vector<id>{ids[0], ids[1], ids[2]}));
  EXPECT_EQ(acme.search(acme.admin, "a", 10), ids);
}

}  // namespace

TEST_F(contacts_fixture, SystemIdsThatAreNotOnesAreNotFound) {
  const id joe_id = create(acme.admin, joe()).value.contact_id;
  EXPECT_EQ(acme.run([&](tx& t) {
                  return store::get_contact_by_system_id(t, acme.admin,
                                                         "C#" + std::to_string(joe_id));
                })
                .contact_id,
            joe_id);
  for (const char* bad : {"C#99999999999999999999", "C#", "C#0", "C#-1", "G#1", "C#1x"}) {
    EXPECT_THROW(
        acme.run([&](tx& t) { return store::get_contact_by_system_id(t, acme.admin, bad); }),
        store::not_found)
        << bad;
  }
}

TEST_F(contacts_fixture, SearchFindsNationalNumbersAndFoldsCaseBeyondAsciiWhateverTheLocale) {
  const id joe_id = create(acme.admin, joe()).value.contact_id;  // +61412000002
  store::new_contact ulla;
  ulla.domain = acme.shared;
  ulla.name = "Ülla Öberg";
  ulla.number = "0412 000 003";
  ulla.groups = {news};
  const id ulla_id = create(acme.admin, ulla).value.contact_id;
  EXPECT_EQ(acme.search(acme.admin, "0412 000 002"), std::vector<id>{joe_id});
  EXPECT_EQ(acme.search(acme.admin, "(04) 1200"), (std::vector<id>{joe_id, ulla_id}));
  EXPECT_EQ(acme.search(acme.admin, "+61 412 000 003"), std::vector<id>{ulla_id});
  EXPECT_EQ(acme.search(acme.admin, "61412000003"), std::vector<id>{ulla_id});
  EXPECT_EQ(acme.search(acme.admin, "üll"), std::vector<id>{ulla_id});
  EXPECT_EQ(acme.search(acme.admin, "ÖBE"), std::vector<id>{ulla_id});
}

TEST_F(contacts_fixture, FieldChangesAreAuditedWithTheNumberBeforeAndAfter) {
  const id joe_id = create(acme.admin, joe()).value.contact_id;
  store::contact_patch p;
  p.number = "0412 000 009";
  p.email = "jf@example.com";
  acme.run([&](tx& t) { return store::update_contact(t, acme.admin, joe_id, p, region); });
  const auto trail = acme.run([&](tx& t) { return store::audit_trail(t, acme.company, 1); });
  ASSERT_EQ(trail.size(), 1U);
  EXPECT_EQ(trail[0].action, "contact.update");
  EXPECT_EQ(nlohmann::json::parse(trail[0].details),
            (nlohmann::json{{"email", true},
                            {"number", {{"from", "+61412000002"}, {"to", "+61412000009"}}}}));
}
