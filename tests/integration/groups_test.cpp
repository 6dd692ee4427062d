// Groups and security domains against a real PostgreSQL: group types on every membership
// change, nesting without cycles (also under concurrent changes), lookups, member pages,
// warnings for mixed domains, domain life cycle and merge, and the audit trail.
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/contacts.hpp"
#include "store/domains.hpp"
#include "store/errors.hpp"
#include "store/groups.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using smsgw::testing::user_grantee;
using store::access_level;
using store::group_type;
using store::id;
using store::member_type;
using namespace std::chrono_literals;
using tx = pqxx::transaction_base;

namespace {

using members_t = std::vector<std::pair<member_type, id>>;

struct groups_fixture : ::testing::Test {
  groups_fixture() : acme(db) {}

  store::membership_change add(id actor, id group, store::member_ids m) {
    return acme.run([&](tx& t) { return store::add_members(t, actor, group, m); });
  }

  std::string sys(id group) { return "G#" + std::to_string(group); }

  /// Runs `change(t)` on its own connection and commits, in another thread: "committed",
  /// or "refused: " and the validation_error's message.
  template <class F>
  std::future<std::string> concurrently(F change) {
    return std::async(std::launch::async, [this, change] {
      pqxx::connection c(db.dsn());
      pqxx::work t(c);
      try {
        change(t);
        t.commit();
        return std::string("committed");
      } catch (const store::validation_error& e) {
        return std::string("refused: ") + e.what();
      }
    });
  }

  test_database db;
  store_company acme;
};

TEST_F(groups_fixture, CreateAssignsSystemIdAndLookupsFindVisibleGroupsOnly) {
  const auto g = acme.run([&](tx& t) {
    return store::create_group(
        t, acme.admin,
        {acme.shared, " Movie News ", group_type::contacts_only, "movie-news", "G0001"});
  });
  EXPECT_EQ(g.system_id, sys(g.group_id));
  EXPECT_EQ(g.name, "Movie News");
  EXPECT_EQ(g.alias, "movie-news");
  EXPECT_EQ(g.public_id, "G0001");
  EXPECT_EQ(g.counts, (store::member_counts{0, 0, 0}));
  const auto find = [&](id reader, store::group_key k, const std::string& v) {
    return acme.run([&](tx& t) {
      const auto found = store::find_group(t, reader, k, v);
      return found ? found->group_id : id{0};
    });
  };
  EXPECT_EQ(find(acme.admin, store::group_key::system_id, g.system_id), g.group_id);
  EXPECT_EQ(find(acme.admin, store::group_key::alias, "movie-news"), g.group_id);
  EXPECT_EQ(find(acme.admin, store::group_key::public_id, "G0001"), g.group_id);
  EXPECT_EQ(find(acme.admin, store::group_key::name, "Movie News"), g.group_id);
  EXPECT_EQ(find(acme.admin, store::group_key::system_id, "G#0x1"), 0);
  EXPECT_EQ(find(acme.admin, store::group_key::alias, "nope"), 0);
  // Aliases and public ids are unique in the company.
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::create_group(t, acme.admin,
                               {acme.shared, "Other", group_type::contacts_only, "movie-news", ""});
  }),
               store::conflict);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::create_group(t, acme.admin,
                               {acme.shared, "Other", group_type::contacts_only, "", "G0001"});
  }),
               store::conflict);
  // A second group with the same name makes the name ambiguous.
  acme.add_group(acme.admin, acme.shared, "Movie News");
  EXPECT_THROW(find(acme.admin, store::group_key::name, "Movie News"), store::conflict);
  // Groups in a domain the reader cannot view are not found by any key.
  const id bob = acme.add_user("bob");
  const id secret = acme.add_domain(acme.admin, "Secret");
  const auto hidden = acme.run([&](tx& t) {
    return store::create_group(t, acme.admin,
                               {secret, "Hidden", group_type::contacts_only, "hidden", "H1"});
  });
  EXPECT_EQ(find(bob, store::group_key::system_id, hidden.system_id), 0);
  EXPECT_EQ(find(bob, store::group_key::alias, "hidden"), 0);
  EXPECT_EQ(find(bob, store::group_key::public_id, "H1"), 0);
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_group(t, bob, hidden.group_id); }),
               store::not_found);
  EXPECT_EQ(acme.run([&](tx& t) {
    std::vector<std::string> names;
    for (const auto& x : store::search_groups(t, bob, "mov", 10)) names.push_back(x.name);
    for (const auto& x : store::search_groups(t, bob, "hid", 10)) names.push_back(x.name);
    return names;
  }),
            (std::vector<std::string>{"Movie News", "Movie News"}));
}

TEST_F(groups_fixture, GroupTypesAreEnforcedOnEveryMembershipChange) {
  const id contacts_only = acme.add_group(acme.admin, acme.shared, "Contacts");
  const id users_only = acme.add_group(acme.admin, acme.shared, "Staff", group_type::users_only);
  const id mixed = acme.add_group(acme.admin, acme.shared, "Mixed", group_type::users_and_contacts);
  const id holder = acme.add_group(acme.admin, acme.shared, "Holder");
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {holder});
  const id bob = acme.add_user("bob");

  EXPECT_THROW(add(acme.admin, users_only, {{ann}, {}, {}}), store::validation_error);
  EXPECT_THROW(add(acme.admin, contacts_only, {{}, {bob}, {}}), store::validation_error);
  EXPECT_EQ(add(acme.admin, mixed, {{ann}, {bob}, {}}).changed, 2);
  // A nested group must not bring in members the parent's type refuses.
  EXPECT_THROW(add(acme.admin, contacts_only, {{}, {}, {users_only}}), store::validation_error);
  EXPECT_THROW(add(acme.admin, contacts_only, {{}, {}, {mixed}}), store::validation_error);
  EXPECT_THROW(add(acme.admin, users_only, {{}, {}, {mixed}}), store::validation_error);
  EXPECT_EQ(add(acme.admin, mixed, {{}, {}, {contacts_only, users_only}}).changed, 2);
  EXPECT_EQ(add(acme.admin, contacts_only, {{}, {}, {holder}}).changed, 1);
  // A type change must fit the members and the parents.
  store::group_patch to_users;
  to_users.type = group_type::users_only;
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::update_group(t, acme.admin, holder, to_users); }),
      store::validation_error);
  store::group_patch to_mixed;
  to_mixed.type = group_type::users_and_contacts;
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::update_group(t, acme.admin, holder, to_mixed); }),
      store::validation_error);  // its parent holds contacts only
  // The database refuses what the API would, whoever writes (import, opt-in, SQL).
  EXPECT_THROW(acme.run([&](tx& t) {
    return t.exec_params("INSERT INTO group_contacts VALUES ($1, $2)", users_only, ann);
  }),
               pqxx::sql_error);
  EXPECT_THROW(acme.run([&](tx& t) {
    return t.exec_params("INSERT INTO group_users VALUES ($1, $2)", contacts_only, bob);
  }),
               pqxx::sql_error);
}

TEST_F(groups_fixture, NestingCyclesAreRefused) {
  const id a = acme.add_group(acme.admin, acme.shared, "A");
  const id b = acme.add_group(acme.admin, acme.shared, "B");
  const id c = acme.add_group(acme.admin, acme.shared, "C");
  add(acme.admin, a, {{}, {}, {b}});
  add(acme.admin, b, {{}, {}, {c}});
  EXPECT_THROW(add(acme.admin, a, {{}, {}, {a}}), store::conflict);
  EXPECT_THROW(add(acme.admin, b, {{}, {}, {a}}), store::conflict);
  try {
    add(acme.admin, c, {{}, {}, {a}});
    ADD_FAILURE() << "a cycle through three groups was accepted";
  } catch (const store::conflict& e) {
    EXPECT_EQ(std::string(e.what()),
              "group " + sys(a) + " contains " + sys(c) + ": nesting it would make a cycle");
  }
  // Also when written behind the API's back.
  EXPECT_THROW(acme.run([&](tx& t) {
    return t.exec_params("INSERT INTO group_groups VALUES ($1, $2)", c, a);
  }),
               pqxx::sql_error);
  EXPECT_EQ(acme.members(acme.admin, a), (members_t{{member_type::group, b}}));
}

TEST_F(groups_fixture, TwoConcurrentNestingsThatCloseACycleCannotBothCommit) {
  const id a = acme.add_group(acme.admin, acme.shared, "A");
  const id b = acme.add_group(acme.admin, acme.shared, "B");
  // The first transaction nests B in A and holds its lock, uncommitted; the second tries A in
  // B meanwhile. It must wait, then see the first one's edge and refuse.
  pqxx::connection first_conn(db.dsn());
  pqxx::work first(first_conn);
  store::add_members(first, acme.admin, a, {{}, {}, {b}});
  auto second = std::async(std::launch::async, [&] {
    pqxx::connection c(db.dsn());
    pqxx::work t(c);
    try {
      store::add_members(t, acme.admin, b, {{}, {}, {a}});
      t.commit();
      return std::string("committed");
    } catch (const store::conflict&) {
      return std::string("conflict");
    }
  });
  ASSERT_TRUE(smsgw::testing::lock_wait_seen(db));  // the second waits for the first
  first.commit();
  EXPECT_EQ(second.get(), "conflict");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM group_groups"), "1");
}

TEST_F(groups_fixture, ConcurrentRawInsertsThatCloseACycleCannotBothCommit) {
  // The trigger takes the same lock, so writers other than the store are covered too.
  const id a = acme.add_group(acme.admin, acme.shared, "A");
  const id b = acme.add_group(acme.admin, acme.shared, "B");
  pqxx::connection first_conn(db.dsn());
  pqxx::work first(first_conn);
  first.exec_params0("INSERT INTO group_groups VALUES ($1, $2)", a, b);
  auto second = std::async(std::launch::async, [&] {
    pqxx::connection c(db.dsn());
    pqxx::work t(c);
    try {
      t.exec_params0("INSERT INTO group_groups VALUES ($1, $2)", b, a);
      t.commit();
      return std::string("committed");
    } catch (const pqxx::sql_error& e) {
      return e.sqlstate();
    }
  });
  ASSERT_TRUE(smsgw::testing::lock_wait_seen(db));
  first.commit();
  EXPECT_EQ(second.get(), "SG003");
}

TEST_F(groups_fixture, MembershipChangesWarnAboutOtherDomainsAndAreAudited) {
  const id lists = acme.add_domain(acme.admin, "Lists");
  const id news = acme.add_group(acme.admin, acme.shared, "News");
  const id vip = acme.add_group(acme.admin, lists, "VIP");
  const id holder = acme.add_group(acme.admin, lists, "Holder");
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann", "+61412000001", {news});
  const id zed = acme.add_contact(acme.admin, lists, "Zed", "+61412000002", {holder});
  const auto r = add(acme.admin, news, {{ann, zed}, {}, {vip}});
  EXPECT_EQ(r.changed, 2);  // Ann was a member already
  EXPECT_EQ(
      r.warnings,
      (std::vector<std::string>{
          "contact C#" + std::to_string(zed) + " is in another security domain than the group",
          "group " + sys(vip) + " is in another security domain than the group"}));
  const auto removed = acme.run([&](tx& t) {
    return store::remove_members(t, acme.admin, news, {{zed, ann}, {}, {}});
  });
  EXPECT_EQ(removed.changed, 2);
  const auto trail = acme.run([&](tx& t) {
    std::vector<std::string> out;
    for (const auto& r2 :
         t.exec("SELECT action || ' ' || object || ' ' || details::text FROM audit_log "
                "WHERE action LIKE 'group.members.%' ORDER BY id")) {
      out.push_back(r2[0].as<std::string>());
    }
    return out;
  });
  const std::string g = "group:" + std::to_string(news);
  EXPECT_EQ(trail,
            (std::vector<std::string>{
                "group.members.add " + g + R"( {"users": [], "groups": [)" + std::to_string(vip) +
                    R"(], "contacts": [)" + std::to_string(zed) + "]}",
                "group.members.remove " + g + R"( {"users": [], "groups": [], "contacts": [)" +
                    std::to_string(ann) + ", " + std::to_string(zed) + "]}"}));
}

TEST_F(groups_fixture, MemberPagesListGroupsThenUsersThenContacts) {
  const id team = acme.add_group(acme.admin, acme.shared, "Team", group_type::users_and_contacts);
  const id sub1 = acme.add_group(acme.admin, acme.shared, "Sub 1");
  const id sub2 = acme.add_group(acme.admin, acme.shared, "Sub 2");
  const id u1 = acme.add_user("u1");
  const id u2 = acme.add_user("u2");
  std::vector<id> cs;
  for (int i = 0; i < 3; ++i) {
    cs.push_back(acme.add_contact(acme.admin, acme.shared, "C" + std::to_string(i),
                                  "+6141200000" + std::to_string(i), {team}));
  }
  add(acme.admin, team, {{}, {u1, u2}, {sub1, sub2}});
  const members_t all{{member_type::group, sub1},    {member_type::group, sub2},
                      {member_type::user, u1},       {member_type::user, u2},
                      {member_type::contact, cs[0]}, {member_type::contact, cs[1]},
                      {member_type::contact, cs[2]}};
  for (const int page : {1, 2, 3, 7, 100}) EXPECT_EQ(acme.members(acme.admin, team, page), all);
  const auto first =
      acme.run([&](tx& t) { return store::list_members(t, acme.admin, team, std::nullopt, 3); });
  EXPECT_EQ(first.next, (store::member_cursor{member_type::user, u1}));
  EXPECT_EQ(first.items[2],
            (store::member{member_type::user, u1, "u1", std::nullopt, std::nullopt}));
  const auto last = acme.run([&](tx& t) {
    return store::list_members(t, acme.admin, team,
                               store::member_cursor{member_type::contact, cs[1]}, 3);
  });
  EXPECT_EQ(last.items, (std::vector<store::member>{
                            {member_type::contact, cs[2], "C2", "+61412000002", acme.shared}}));
  EXPECT_EQ(last.next, std::nullopt);
  EXPECT_EQ(acme.run([&](tx& t) { return store::get_group(t, acme.admin, team); }).counts,
            (store::member_counts{3, 2, 2}));
}

TEST_F(groups_fixture, DeletingAGroupNeedsEditorAndNoKeyword) {
  const id bob = acme.add_user("bob");
  const id lists = acme.add_domain(acme.admin, "Lists");
  const id vip = acme.add_group(acme.admin, lists, "VIP");
  acme.grant(acme.admin, lists, user_grantee(bob), access_level::viewer);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_group(t, bob, vip);
    return 0;
  }),
               store::access_denied);
  acme.run([&](tx& t) {
    const id number = store::add_number(t, acme.company, "4040", "short_code");
    store::new_keyword k;
    k.number = number;
    k.keyword = "VIP";
    k.group = vip;
    return store::add_keyword(t, k);
  });
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_group(t, acme.admin, vip);
    return 0;
  }),
               store::conflict);
  acme.run([&](tx& t) { return t.exec("DELETE FROM keywords"); });
  acme.run([&](tx& t) {
    store::delete_group(t, acme.admin, vip);
    return 0;
  });
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_group(t, acme.admin, vip); }),
               store::not_found);
}

TEST_F(groups_fixture, DomainsAreCreatedRenamedConfiguredAndDeletedWhenEmpty) {
  const id bob = acme.add_user("bob");
  const id crm = acme.add_domain(bob, "CRM", {"City", "position"});
  auto d = acme.run([&](tx& t) { return store::get_domain(t, bob, crm); });
  EXPECT_EQ(d.name, "CRM");
  EXPECT_EQ(d.kind, store::domain_kind::custom);
  EXPECT_EQ(d.properties, (std::vector<std::string>{"city", "position"}));
  EXPECT_EQ(d.my_access, (store::access{access_level::editor, false, "explicit"}));
  EXPECT_THROW(acme.add_domain(bob, "CRM"), store::conflict);
  try {
    acme.run([&](tx& t) {
      return store::create_domain(t, bob, {"X", {"city", "name", "city"}, {"name", "pet"}});
    });
    ADD_FAILURE() << "bad columns were accepted";
  } catch (const store::validation_error& e) {
    EXPECT_EQ(e.issues(),
              (std::vector<store::field_issue>{
                  {"properties[1]", "is a standard column"},
                  {"properties[2]", "is listed twice"},
                  {"visible_columns[1]", "is neither a standard column nor an enabled property"}}));
  }
  acme.run([&](tx& t) {
    store::rename_domain(t, bob, crm, "Clients");
    store::set_domain_columns(t, bob, crm, {"city", "email"}, {"name", "number", "city"});
    return 0;
  });
  d = acme.run([&](tx& t) { return store::get_domain(t, bob, crm); });
  EXPECT_EQ(d.name, "Clients");
  EXPECT_EQ(d.properties, (std::vector<std::string>{"city", "email"}));
  EXPECT_EQ(d.visible_columns, (std::vector<std::string>{"name", "number", "city"}));
  // Built-in domains keep their names and stay.
  EXPECT_THROW(acme.run([&](tx& t) {
    store::rename_domain(t, acme.admin, acme.shared, "Everyone");
    return 0;
  }),
               store::validation_error);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_domain(t, acme.admin, acme.user_domain);
    return 0;
  }),
               store::validation_error);
  // Only empty domains go.
  const id g = acme.add_group(bob, crm, "Clients");
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_domain(t, bob, crm);
    return 0;
  }),
               store::conflict);
  acme.run([&](tx& t) {
    store::delete_group(t, bob, g);
    store::delete_domain(t, bob, crm);
    return 0;
  });
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_domain(t, bob, crm); }), store::not_found);
  // Bob lists Shared, his personal domain; admins see every non-personal domain too.
  const auto names = [&](id reader) {
    return acme.run([&](tx& t) {
      std::vector<std::string> out;
      for (const auto& x : store::list_domains(t, reader)) out.push_back(x.name);
      return out;
    });
  };
  EXPECT_EQ(names(bob), (std::vector<std::string>{"Shared", "Personal: bob"}));
  acme.add_domain(bob, "Bob's");
  EXPECT_EQ(names(acme.admin),
            (std::vector<std::string>{"Shared", "User", "Personal: admin", "Bob's"}));
}

TEST_F(groups_fixture, MergeMovesContactsAndGroupsFoldsDuplicatesAndDeletesTheDomain) {
  const id bob = acme.add_user("bob");
  const id old_crm = acme.add_domain(acme.admin, "Old CRM", {"city", "team"});
  const id crm = acme.add_domain(acme.admin, "CRM", {"city", "email"});
  acme.grant(acme.admin, old_crm, user_grantee(bob), access_level::viewer);
  const id old_group = acme.add_group(acme.admin, old_crm, "Old customers");
  const id group = acme.add_group(acme.admin, crm, "Customers");
  const id outer = acme.add_group(acme.admin, acme.shared, "Everyone");
  acme.run([&](tx& t) {
    return store::add_members(t, acme.admin, outer, {{}, {}, {old_group, group}});
  });
  const auto contact = [&](id domain, const std::string& name, const std::string& number, id g,
                           std::map<std::string, std::string> tags, const std::string& public_id) {
    return acme.run([&](tx& t) {
      store::new_contact c;
      c.domain = domain;
      c.name = name;
      c.number = number;
      c.public_id = public_id;
      c.tags = std::move(tags);
      c.groups = {g};
      return store::create_contact(t, acme.admin, c, region).value.contact_id;
    });
  };
  const id ann = contact(old_crm, "Ann", "+61412000001", old_group, {{"team", "Red"}}, "P-ann");
  const id dup_old = contact(old_crm, "Dup Old", "+61412000002", old_group,
                             {{"city", "Perth"}, {"team", "Blue"}}, "P-dup");
  const id dup_new = contact(crm, "", "+61412000002", group, {{"city", "Hobart"}}, "");
  const id zed = contact(crm, "Zed", "+61412000003", group, {}, "");

  // Merging needs Editor on both; Bob only views the old one.
  EXPECT_THROW(acme.run([&](tx& t) { return store::merge_domains(t, bob, old_crm, crm); }),
               store::access_denied);
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::merge_domains(t, acme.admin, acme.shared, crm); }),
      store::validation_error);
  const auto r = acme.run([&](tx& t) { return store::merge_domains(t, acme.admin, old_crm, crm); });
  EXPECT_EQ(r, (store::merge_result{1, 1, 1}));

  // The old domain is gone, with its grants.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM domains WHERE id = " + std::to_string(old_crm)), "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM grants WHERE domain_id = " + std::to_string(old_crm)),
            "0");
  // Ann moved; the duplicate folded into the target's contact, filling what it lacked.
  const auto read = [&](id c) {
    return acme.run([&](tx& t) { return store::get_contact(t, acme.admin, c); });
  };
  EXPECT_EQ(read(ann).domain_id, crm);
  EXPECT_EQ(read(ann).groups, std::vector<id>{old_group});
  const auto folded = read(dup_new);
  EXPECT_EQ(folded.name, "Dup Old");
  EXPECT_EQ(folded.public_id, "P-dup");
  EXPECT_EQ(folded.tags,
            (std::map<std::string, std::string>{{"city", "Hobart"}, {"team", "Blue"}}));
  EXPECT_EQ(folded.groups, (std::vector<id>{old_group, group}));
  EXPECT_THROW(read(dup_old), store::not_found);
  EXPECT_EQ(read(zed).domain_id, crm);
  // The groups moved and keep their members and parents.
  EXPECT_EQ(acme.run([&](tx& t) { return store::get_group(t, acme.admin, old_group); }).domain_id,
            crm);
  EXPECT_EQ(acme.members(acme.admin, old_group),
            (members_t{{member_type::contact, ann}, {member_type::contact, dup_new}}));
  EXPECT_EQ(acme.members(acme.admin, outer),
            (members_t{{member_type::group, old_group}, {member_type::group, group}}));
  // The target knows the old domain's properties now.
  EXPECT_EQ(acme.run([&](tx& t) { return store::get_domain(t, acme.admin, crm); }).properties,
            (std::vector<std::string>{"city", "email", "team"}));
  // Search follows the move (its index carries the domain).
  EXPECT_EQ(acme.search(acme.admin, "ann"), std::vector<id>{ann});
  EXPECT_EQ(acme.search(acme.admin, "dup"), std::vector<id>{dup_new});
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM contact_terms WHERE domain_id = " + std::to_string(old_crm)),
      "0");
  // The grants on the old domain go with it, recorded (who had what).
  using json = nlohmann::json;
  EXPECT_EQ(
      json::parse(db.scalar("SELECT details::text FROM audit_log WHERE action = 'domain.merge'")),
      (json{{"into", crm},
            {"name", "Old CRM"},
            {"moved_groups", 1},
            {"moved_contacts", 1},
            {"folded_contacts", 1},
            {"grants_removed",
             json::array({{{"grantee", "user:" + std::to_string(acme.admin)}, {"level", "editor"}},
                          {{"grantee", "user:" + std::to_string(bob)}, {"level", "viewer"}}})}}));
}

}  // namespace

TEST_F(groups_fixture, ATypeChangeWaitsForAConcurrentMembershipThenRefuses) {
  // The membership's foreign key alone (FOR KEY SHARE) would let both commit, leaving a
  // users-only group with a contact; a type change takes FOR UPDATE first.
  const id mixed = acme.add_group(acme.admin, acme.shared, "Mixed", group_type::users_and_contacts);
  const id other = acme.add_group(acme.admin, acme.shared, "Other");
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann", "0412000001", {other});
  pqxx::connection first_conn(db.dsn());
  pqxx::work first(first_conn);
  store::add_members(first, acme.admin, mixed, {{ann}, {}, {}});
  auto second = concurrently([&](pqxx::transaction_base& t) {
    store::group_patch p;
    p.type = group_type::users_only;
    store::update_group(t, acme.admin, mixed, p);
  });
  ASSERT_TRUE(smsgw::testing::lock_wait_seen(db));
  first.commit();
  EXPECT_EQ(second.get(),
            "refused: members: the group has members or parents its new type does not allow");
  EXPECT_EQ(db.scalar("SELECT type FROM groups WHERE id = " + std::to_string(mixed)),
            "users_and_contacts");
}

TEST_F(groups_fixture, AMembershipWaitsForAConcurrentTypeChangeThenRefuses) {
  const id mixed = acme.add_group(acme.admin, acme.shared, "Mixed", group_type::users_and_contacts);
  const id other = acme.add_group(acme.admin, acme.shared, "Other");
  const id ann = acme.add_contact(acme.admin, acme.shared, "Ann", "0412000001", {other});
  pqxx::connection first_conn(db.dsn());
  pqxx::work first(first_conn);
  store::group_patch p;
  p.type = group_type::users_only;
  store::update_group(first, acme.admin, mixed, p);
  auto second = concurrently([&](pqxx::transaction_base& t) {
    store::add_members(t, acme.admin, mixed, {{ann}, {}, {}});
  });
  ASSERT_TRUE(smsgw::testing::lock_wait_seen(db));
  first.commit();
  EXPECT_EQ(second.get(), "refused: members: a users-only group cannot hold contacts");
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM group_contacts WHERE group_id = " + std::to_string(mixed)),
      "0");
}

TEST_F(groups_fixture, AKeywordsGroupKeepsAcceptingContacts) {
  // Else every opt-in to it would fail and the SMSC would redeliver the MO for ever.
  const id news = acme.add_group(acme.admin, acme.shared, "News", group_type::users_and_contacts);
  acme.run([&](tx& t) {
    store::new_keyword k;
    k.number = store::add_number(t, acme.company, "4040", "short_code");
    k.keyword = "NEWS";
    k.group = news;
    return store::add_keyword(t, k);
  });
  store::group_patch p;
  p.type = group_type::users_only;
  EXPECT_THROW(acme.run([&](tx& t) { return store::update_group(t, acme.admin, news, p); }),
               store::validation_error);
  p.type = group_type::contacts_only;
  EXPECT_EQ(acme.run([&](tx& t) { return store::update_group(t, acme.admin, news, p); }).first.type,
            group_type::contacts_only);
}

TEST_F(groups_fixture, AKeywordBeingAddedHoldsOffAChangeToUsersOnly) {
  const id news = acme.add_group(acme.admin, acme.shared, "News", group_type::users_and_contacts);
  pqxx::connection first_conn(db.dsn());
  pqxx::work first(first_conn);
  store::new_keyword k;
  k.number = store::add_number(first, acme.company, "4040", "short_code");
  k.keyword = "NEWS";
  k.group = news;
  store::add_keyword(first, k);
  auto second = concurrently([&](pqxx::transaction_base& t) {
    store::group_patch p;
    p.type = group_type::users_only;
    store::update_group(t, acme.admin, news, p);
  });
  ASSERT_TRUE(smsgw::testing::lock_wait_seen(db));
  first.commit();
  EXPECT_EQ(second.get(), "refused: members: a keyword adds contacts to this group");
}

TEST_F(groups_fixture, GroupAndDomainChangesAreAudited) {
  const id lists = acme.add_domain(acme.admin, "Lists", {"city"});
  const id staff = acme.add_group(acme.admin, acme.user_domain, "Staff", group_type::users_only);
  acme.grant(acme.admin, lists, smsgw::testing::group_grantee(staff), access_level::viewer);
  store::group_patch p;
  p.name = "All staff";
  p.type = group_type::users_and_contacts;
  acme.run([&](tx& t) { return store::update_group(t, acme.admin, staff, p); });
  acme.run([&](tx& t) {
    store::rename_domain(t, acme.admin, lists, "Mailing lists");
    store::set_domain_columns(t, acme.admin, lists, {"city", "position"}, {"name"});
    store::delete_group(t, acme.admin, staff);
    return 0;
  });
  const auto trail = acme.run([&](tx& t) { return store::audit_trail(t, acme.company, 5); });
  ASSERT_EQ(trail.size(), 5U);
  using json = nlohmann::json;
  EXPECT_EQ(trail[0].action, "group.delete");
  EXPECT_EQ(json::parse(trail[0].details),
            (json{{"name", "All staff"},
                  {"domain", acme.user_domain},
                  {"grants_removed", json::array({{{"domain", lists}, {"level", "viewer"}}})}}));
  EXPECT_EQ(trail[1].action, "domain.columns");
  EXPECT_EQ(trail[2].action, "domain.rename");
  EXPECT_EQ(json::parse(trail[2].details), (json{{"from", "Lists"}, {"to", "Mailing lists"}}));
  EXPECT_EQ(trail[3].action, "group.update");
  EXPECT_EQ(json::parse(trail[3].details),
            (json{{"name", {{"from", "Staff"}, {"to", "All staff"}}},
                  {"type", {{"from", "users_only"}, {"to", "users_and_contacts"}}}}));
  EXPECT_EQ(trail[4].action, "grant.set");
}

TEST_F(groups_fixture, PersonalDomainNamesAreReserved) {
  EXPECT_THROW(acme.add_domain(acme.admin, "personal: carol"), store::validation_error);
  acme.add_user("carol");  // would clash with a custom "Personal: carol"
}
