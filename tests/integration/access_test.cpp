// Security domains and access against a real PostgreSQL: the manual's Bob/Mary/Donald and
// Movie Magazine examples step by step, the defaults of PRODUCT.md §2, grants and their
// audit trail.
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/audit.hpp"
#include "store/contacts.hpp"
#include "store/errors.hpp"
#include "store/expansion.hpp"
#include "store/groups.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::group_grantee;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using smsgw::testing::user_grantee;
using store::access_level;
using store::id;
using store::member_type;
using tx = pqxx::transaction_base;

namespace {

store::access explicit_level(access_level l) {
  return {l, false, "explicit"};
}
store::access by_role(access_level l) {
  return {l, true, "role"};
}
store::access by_group(access_level l, id group) {
  return {l, true, "group:" + std::to_string(group)};
}
const store::access owner_editor{access_level::editor, true, "owner"};
const store::access owner_only{access_level::none, true, "owner"};
const store::access shared_editor{access_level::editor, true, "shared"};

using members_t = std::vector<std::pair<member_type, id>>;

std::vector<std::string> outbox_numbers(store_company& acme, id message) {
  return acme.run([&](tx& t) {
    std::vector<std::string> out;
    for (const auto& r :
         t.exec_params("SELECT destination FROM outbox WHERE message_id = $1 AND kind = 'send' "
                       "AND status = 'queued' ORDER BY destination",
                       message)) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  });
}

TEST(ManualExampleTest, BobMaryDonald) {
  test_database db;
  store_company acme(db);
  const id bob = acme.add_user("bob");
  const id mary = acme.add_user("mary");
  // "an existing Group called 'Tsunami Alerts' which is in the normal 'Shared' Security Domain"
  const id tsunami = acme.add_group(acme.admin, acme.shared, "Tsunami Alerts");
  const id alice =
      acme.add_contact(acme.admin, acme.shared, "Alice Waters", "+61412000001", {tsunami});
  const id bradman = acme.add_contact(mary, acme.shared, "Don Bradman", "+61412000002", {tsunami});

  // "User Bob has created a 'VIPs' Security Domain that only he can access."
  const id vips = acme.add_domain(bob, "VIPs");
  EXPECT_EQ(acme.access(bob, vips), explicit_level(access_level::editor));
  EXPECT_EQ(acme.access(mary, vips), by_role(access_level::none));

  // "User Bob creates a VIP Contact called Donald and puts him into the 'VIPs' Security Domain"
  // and "adds VIP Contact Donald to an existing Group called 'Tsunami Alerts'".
  const auto created = acme.run([&](tx& t) {
    store::new_contact c;
    c.domain = vips;
    c.name = "Donald Trump";
    c.number = "0412 000 003";
    c.groups = {tsunami};
    return store::create_contact(t, bob, c, region);
  });
  const id donald = created.value.contact_id;
  EXPECT_EQ(created.value.number, "+61412000003");
  EXPECT_EQ(created.value.system_id, "C#" + std::to_string(donald));
  EXPECT_EQ(created.value.groups, std::vector<id>{tsunami});
  EXPECT_EQ(created.warnings, std::vector<std::string>{"group G#" + std::to_string(tsunami) +
                                                       " is in another security domain than "
                                                       "the contact"});

  // "When User Mary ... views the membership of the 'Tsunami Alerts' group she will not see
  // Donald."
  EXPECT_EQ(acme.members(mary, tsunami),
            (members_t{{member_type::contact, alice}, {member_type::contact, bradman}}));
  EXPECT_EQ(acme.members(bob, tsunami), (members_t{{member_type::contact, alice},
                                                   {member_type::contact, bradman},
                                                   {member_type::contact, donald}}));
  EXPECT_EQ(acme.run([&](tx& t) { return store::get_group(t, mary, tsunami); }).counts,
            (store::member_counts{2, 0, 0}));
  EXPECT_EQ(acme.run([&](tx& t) { return store::get_group(t, bob, tsunami); }).counts,
            (store::member_counts{3, 0, 0}));

  // "When User Mary tries to compose a message to 'Don' the autocompleter will not include
  // Donald in the search results."
  EXPECT_EQ(acme.search(mary, "Don"), std::vector<id>{bradman});
  EXPECT_EQ(acme.search(bob, "Don"), (std::vector<id>{bradman, donald}));
  EXPECT_EQ(acme.search(mary, "Trump"), std::vector<id>{});
  EXPECT_EQ(acme.search(mary, "+61412000003"), std::vector<id>{});
  EXPECT_EQ(acme.search(bob, "+61412000003"), std::vector<id>{donald});

  // "When User Mary sends a message to the 'Tsunami Alerts' group it will not be sent to
  // Donald."
  const store::send_request to_tsunami{{tsunami}, {}, {}};
  const auto mary_send = acme.run([&](tx& t) {
    return store::queue_send(t, mary, {"4040", "Tsunami warning: move inland", std::nullopt},
                             to_tsunami, region);
  });
  EXPECT_EQ(mary_send.recipients, 2);
  EXPECT_EQ(mary_send.left, (store::left_out{0, 1, 0, 0}));
  EXPECT_EQ(outbox_numbers(acme, mary_send.message_id),
            (std::vector<std::string>{"+61412000001", "+61412000002"}));
  EXPECT_EQ(acme.recipients(mary, to_tsunami),
            (std::vector<std::string>{"+61412000001", "+61412000002"}));

  // "Only when User Bob sends a message to the 'Tsunami Alerts' group will it be sent to
  // everybody, including Donald."
  const auto bob_send = acme.run([&](tx& t) {
    return store::queue_send(t, bob, {"4040", "Tsunami warning: move inland", std::nullopt},
                             to_tsunami, region);
  });
  EXPECT_EQ(bob_send.recipients, 3);
  EXPECT_EQ(bob_send.left, (store::left_out{0, 0, 0, 0}));
  EXPECT_EQ(outbox_numbers(acme, bob_send.message_id),
            (std::vector<std::string>{"+61412000001", "+61412000002", "+61412000003"}));

  // Every other path agrees: Mary cannot list, read or change Donald.
  EXPECT_EQ(acme.listed(mary), (std::vector<id>{alice, bradman}));
  EXPECT_EQ(acme.listed(bob), (std::vector<id>{alice, bradman, donald}));
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_contact(t, mary, donald); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::contact_patch p;
    p.name = "Donald";
    return store::update_contact(t, mary, donald, p, region);
  }),
               store::not_found);
  // The company admin has Editor on custom domains by default (PRODUCT.md §2).
  EXPECT_EQ(acme.access(acme.admin, vips), by_role(access_level::editor));
  EXPECT_EQ(acme.search(acme.admin, "don"), (std::vector<id>{bradman, donald}));
}

// The manual's "complicated example" for a Movie Magazine business.
TEST(ManualExampleTest, MovieMagazineUserGroups) {
  test_database db;
  store_company acme(db);
  const id admin = acme.admin;
  // "Create a Group for each of those User categories in the 'User' Security Domain".
  const id sales = acme.add_group(admin, acme.user_domain, "Sales", store::group_type::users_only);
  const id marketing =
      acme.add_group(admin, acme.user_domain, "Marketing", store::group_type::users_only);
  const id editorial =
      acme.add_group(admin, acme.user_domain, "Editorial", store::group_type::users_only);
  // "Create a Security Domain and Group for each of those Contact categories".
  const id artists = acme.add_domain(admin, "Artists");
  const id writers = acme.add_domain(admin, "Freelance Writers");
  const id agencies = acme.add_domain(admin, "Advertising Agencies");
  const id artists_group = acme.add_group(admin, artists, "Artists");
  const id writers_group = acme.add_group(admin, writers, "Freelance Writers");
  const id agencies_group = acme.add_group(admin, agencies, "Advertising Agencies");
  const id spielberg =
      acme.add_contact(admin, artists, "Steven Spielberg", "+61412000011", {artists_group});
  const id ebert = acme.add_contact(admin, writers, "Roger Ebert", "+61412000012", {writers_group});
  const id saatchi =
      acme.add_contact(admin, agencies, "Saatchi Agency", "+61412000013", {agencies_group});
  // "Grant the User Groups access to the appropriate Security Domains".
  acme.grant(admin, agencies, group_grantee(sales), access_level::viewer);
  acme.grant(admin, agencies, group_grantee(marketing), access_level::editor);
  acme.grant(admin, artists, group_grantee(marketing), access_level::viewer);
  acme.grant(admin, writers, group_grantee(editorial), access_level::editor);
  acme.grant(admin, artists, group_grantee(editorial), access_level::editor);

  // "Now when you create a User, simply put them into their appropriate Group(s) and they
  // will automatically get access to all appropriate Contacts."
  const id pat = acme.add_user("pat");
  EXPECT_EQ(acme.access(pat, agencies), by_role(access_level::none));
  acme.run([&](tx& t) { return store::add_members(t, admin, marketing, {{}, {pat}, {}}); });
  EXPECT_EQ(acme.access(pat, agencies), by_group(access_level::editor, marketing));
  EXPECT_EQ(acme.access(pat, artists), by_group(access_level::viewer, marketing));
  EXPECT_EQ(acme.access(pat, writers), by_role(access_level::none));
  EXPECT_EQ(acme.listed(pat), (std::vector<id>{spielberg, saatchi}));
  EXPECT_EQ(acme.search(pat, "s"), (std::vector<id>{saatchi, spielberg}));

  // Viewer may look but not change; Editor may change.
  store::contact_patch rename;
  rename.name = "Steven A. Spielberg";
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::update_contact(t, pat, spielberg, rename, region); }),
      store::access_denied);
  rename.name = "Saatchi & Saatchi";
  EXPECT_EQ(acme.run([&](tx& t) { return store::update_contact(t, pat, saatchi, rename, region); })
                .value.name,
            "Saatchi & Saatchi");

  // A member of two groups gets the higher level; nested user groups count too.
  const id sam = acme.add_user("sam");
  acme.run([&](tx& t) { return store::add_members(t, admin, sales, {{}, {sam}, {}}); });
  EXPECT_EQ(acme.access(sam, agencies), by_group(access_level::viewer, sales));
  acme.run([&](tx& t) { return store::add_members(t, admin, marketing, {{}, {sam}, {}}); });
  EXPECT_EQ(acme.access(sam, agencies), by_group(access_level::editor, marketing));
  const id interns =
      acme.add_group(admin, acme.user_domain, "Marketing Interns", store::group_type::users_only);
  const id ivy = acme.add_user("ivy");
  acme.run([&](tx& t) { return store::add_members(t, admin, interns, {{}, {ivy}, {}}); });
  acme.run([&](tx& t) { return store::add_members(t, admin, marketing, {{}, {}, {interns}}); });
  EXPECT_EQ(acme.access(ivy, agencies), by_group(access_level::editor, marketing));

  // "None: User has no access to the Contacts, even if they may be a member of a Group that
  // does have access."
  acme.grant(admin, agencies, user_grantee(pat), access_level::none);
  EXPECT_EQ(acme.access(pat, agencies), explicit_level(access_level::none));
  EXPECT_EQ(acme.access(pat, artists), by_group(access_level::viewer, marketing));
  EXPECT_EQ(acme.listed(pat), std::vector<id>{spielberg});
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_contact(t, pat, saatchi); }),
               store::not_found);

  // "you can also easily change access for entire Groups of Users": every member follows.
  acme.grant(admin, artists, group_grantee(marketing), access_level::editor);
  EXPECT_EQ(acme.access(pat, artists), by_group(access_level::editor, marketing));
  EXPECT_EQ(acme.access(sam, artists), by_group(access_level::editor, marketing));
  EXPECT_EQ(acme.access(ivy, artists), by_group(access_level::editor, marketing));
  rename.name = "Steven A. Spielberg";
  EXPECT_EQ(
      acme.run([&](tx& t) { return store::update_contact(t, pat, spielberg, rename, region); })
          .value.name,
      "Steven A. Spielberg");
  // Leaving the group takes the access away.
  acme.run([&](tx& t) { return store::remove_members(t, admin, marketing, {{}, {sam}, {}}); });
  EXPECT_EQ(acme.access(sam, artists), by_role(access_level::none));
  EXPECT_EQ(acme.access(sam, agencies), by_group(access_level::viewer, sales));
  // Nobody in these groups sees the writers, whom only Editorial may edit.
  EXPECT_EQ(acme.listed(ivy), (std::vector<id>{spielberg, saatchi}));
  const id eve = acme.add_user("eve");
  acme.run([&](tx& t) { return store::add_members(t, admin, editorial, {{}, {eve}, {}}); });
  EXPECT_EQ(acme.listed(eve), (std::vector<id>{spielberg, ebert}));

  // "notice that you can now also send a message to all 'Marketing' staff".
  acme.run([&](tx& t) {
    store::set_user_number(t, pat, "+61412000021");
    store::set_user_number(t, ivy, "+61412000022");
    return 0;
  });
  EXPECT_EQ(acme.recipients(admin, {{marketing}, {}, {}}),
            (std::vector<std::string>{"+61412000021", "+61412000022"}));
}

TEST(AccessTest, DefaultsByDomainKindAndRole) {
  test_database db;
  store_company acme(db);
  const id boss = acme.add_user("boss", store::role::group_admin);
  const id bob = acme.add_user("bob");
  const id custom = acme.add_domain(bob, "Bob's clients");
  const id bob_personal = acme.personal_domain(bob);

  // Shared: everybody Editor by default.
  for (const id u : {acme.admin, boss, bob}) EXPECT_EQ(acme.access(u, acme.shared), shared_editor);
  // User and custom domains: admins Editor by default, users none; the creator explicitly.
  EXPECT_EQ(acme.access(acme.admin, acme.user_domain), by_role(access_level::editor));
  EXPECT_EQ(acme.access(boss, acme.user_domain), by_role(access_level::editor));
  EXPECT_EQ(acme.access(bob, acme.user_domain), by_role(access_level::none));
  EXPECT_EQ(acme.access(acme.admin, custom), by_role(access_level::editor));
  EXPECT_EQ(acme.access(boss, custom), by_role(access_level::editor));
  EXPECT_EQ(acme.access(bob, custom), explicit_level(access_level::editor));
  // Personal: its owner Editor, everybody else none, admins included.
  EXPECT_EQ(acme.access(bob, bob_personal), owner_editor);
  EXPECT_EQ(acme.access(acme.admin, bob_personal), owner_only);
  EXPECT_EQ(acme.access(boss, bob_personal), owner_only);

  // The Accesses tab: every user with the level, "(Default)" and where it comes from.
  const auto tab = acme.run([&](tx& t) { return store::domain_accesses(t, acme.admin, custom); });
  EXPECT_EQ(tab, (std::vector<std::pair<id, store::access>>{
                     {acme.admin, by_role(access_level::editor)},
                     {boss, by_role(access_level::editor)},
                     {bob, explicit_level(access_level::editor)}}));
  // Another company's domain does not exist for this company's users.
  const id other_shared = acme.run(
      [&](tx& t) { return store::builtin_domain(t, store::create_company(t, "Other"), "shared"); });
  EXPECT_THROW(acme.access(bob, other_shared), store::not_found);
}

TEST(AccessTest, PersonalDomainsStayPrivateWhateverTheGrants) {
  test_database db;
  store_company acme(db);
  const id bob = acme.add_user("bob");
  const id bob_personal = acme.personal_domain(bob);
  const id friends = acme.add_group(bob, acme.shared, "Friends");
  const id mum = acme.add_contact(bob, bob_personal, "Mum", "+61412000031", {friends});

  // The store refuses grants on a personal domain...
  EXPECT_THROW(acme.grant(bob, bob_personal, user_grantee(acme.admin), access_level::viewer),
               store::validation_error);
  EXPECT_THROW(acme.grant(acme.admin, bob_personal, user_grantee(acme.admin), access_level::editor),
               store::not_found);
  // ...and one written behind its back changes nothing.
  acme.run([&](tx& t) {
    t.exec_params0(
        "INSERT INTO grants (company_id, domain_id, grantee_user_id, level) "
        "VALUES ($1, $2, $3, 'editor')",
        acme.company, bob_personal, acme.admin);
    return 0;
  });
  EXPECT_EQ(acme.access(acme.admin, bob_personal), owner_only);
  EXPECT_EQ(acme.listed(acme.admin), std::vector<id>{});
  EXPECT_EQ(acme.search(acme.admin, "mum"), std::vector<id>{});
  EXPECT_EQ(acme.members(acme.admin, friends), (members_t{}));
  EXPECT_EQ(acme.recipients(acme.admin, {{friends}, {}, {}}), std::vector<std::string>{});
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_contact(t, acme.admin, mum); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_domain(t, acme.admin, bob_personal); }),
               store::not_found);
  EXPECT_EQ(acme.listed(bob), std::vector<id>{mum});
  EXPECT_EQ(acme.recipients(bob, {{friends}, {}, {}}), std::vector<std::string>{"+61412000031"});
}

TEST(AccessTest, ExplicitGrantsComeBeforeGroupsAndGroupsBeforeDefaults) {
  test_database db;
  store_company acme(db);
  const id mary = acme.add_user("mary");
  const id staff =
      acme.add_group(acme.admin, acme.user_domain, "Staff", store::group_type::users_only);
  acme.run([&](tx& t) { return store::add_members(t, acme.admin, staff, {{}, {mary}, {}}); });
  const id vips = acme.add_domain(acme.admin, "VIPs");

  // Rule 3 before rule 4, also where the default is higher (Shared).
  acme.grant(acme.admin, acme.shared, group_grantee(staff), access_level::viewer);
  EXPECT_EQ(acme.access(mary, acme.shared), by_group(access_level::viewer, staff));
  // Rule 2 before rule 3: an explicit none wins over any group grant...
  acme.grant(acme.admin, vips, group_grantee(staff), access_level::editor);
  EXPECT_EQ(acme.access(mary, vips), by_group(access_level::editor, staff));
  acme.grant(acme.admin, vips, user_grantee(mary), access_level::none);
  EXPECT_EQ(acme.access(mary, vips), explicit_level(access_level::none));
  // ...and an explicit viewer also wins over a higher group grant.
  acme.grant(acme.admin, vips, user_grantee(mary), access_level::viewer);
  EXPECT_EQ(acme.access(mary, vips), explicit_level(access_level::viewer));
  // An explicit none on an admin beats the admin default.
  acme.grant(acme.admin, vips, user_grantee(acme.admin), access_level::none);
  EXPECT_EQ(acme.access(acme.admin, vips), explicit_level(access_level::none));
  // Removing the grant brings the default back.
  EXPECT_TRUE(acme.run(
      [&](tx& t) { return store::remove_grant(t, acme.admin, vips, user_grantee(acme.admin)); }));
  EXPECT_EQ(acme.access(acme.admin, vips), by_role(access_level::editor));
  EXPECT_FALSE(acme.run(
      [&](tx& t) { return store::remove_grant(t, acme.admin, vips, user_grantee(acme.admin)); }));
  EXPECT_EQ(acme.run([&](tx& t) { return store::list_grants(t, acme.admin, vips); }),
            (std::vector<store::grant>{{user_grantee(mary), access_level::viewer, acme.admin},
                                       {group_grantee(staff), access_level::editor, acme.admin}}));
}

TEST(AccessTest, WhoMayGrantAndToWhom) {
  test_database db;
  store_company acme(db);
  const id bob = acme.add_user("bob");
  const id mary = acme.add_user("mary");
  const id vips = acme.add_domain(bob, "VIPs");
  const id team = acme.add_group(acme.admin, acme.shared, "Team", store::group_type::users_only);
  const id staff =
      acme.add_group(acme.admin, acme.user_domain, "Staff", store::group_type::users_only);
  const id readers =
      acme.add_group(acme.admin, acme.user_domain, "Readers", store::group_type::contacts_only);

  // Mary cannot see VIPs: for her it does not exist.
  EXPECT_THROW(acme.grant(mary, vips, user_grantee(mary), access_level::editor), store::not_found);
  // Bob (its editor) may share it; a viewer may not pass it on.
  acme.grant(bob, vips, user_grantee(mary), access_level::viewer);
  EXPECT_THROW(acme.grant(mary, vips, user_grantee(mary), access_level::editor),
               store::access_denied);
  // Group grants go to groups of users in the User domain only.
  EXPECT_THROW(acme.grant(bob, vips, group_grantee(team), access_level::viewer),
               store::validation_error);
  EXPECT_THROW(acme.grant(bob, vips, group_grantee(readers), access_level::viewer),
               store::validation_error);
  acme.grant(bob, vips, group_grantee(staff), access_level::viewer);
  // Grantees of another company do not exist.
  const id stranger = acme.run([&](tx& t) {
    return store::create_user(t, store::create_company(t, "Other"),
                              {"stranger", "", store::role::user, ""});
  });
  EXPECT_THROW(acme.grant(bob, vips, user_grantee(stranger), access_level::viewer),
               store::not_found);

  // Every grant change is in the audit trail with who, what and the level before.
  const auto trail = acme.run([&](tx& t) {
    std::vector<std::vector<std::string>> out;
    for (const auto& r :
         t.exec_params("SELECT actor_user_id::text, action, object, details::text FROM audit_log "
                       "WHERE company_id = $1 AND action LIKE 'grant.%' ORDER BY id",
                       acme.company)) {
      out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str()});
    }
    return out;
  });
  const std::string domain = "domain:" + std::to_string(vips);
  EXPECT_EQ(trail,
            (std::vector<std::vector<std::string>>{
                {std::to_string(bob), "grant.set", domain,
                 R"({"level": "editor", "before": null, "reason": "creator", "grantee": "user:)" +
                     std::to_string(bob) + "\"}"},
                {std::to_string(bob), "grant.set", domain,
                 R"({"level": "viewer", "before": null, "grantee": "user:)" + std::to_string(mary) +
                     "\"}"},
                {std::to_string(bob), "grant.set", domain,
                 R"({"level": "viewer", "before": null, "grantee": "group:)" +
                     std::to_string(staff) + "\"}"}}));
}

}  // namespace

TEST(AccessTest, GroupGrantsReachUsersOnlyThroughUserDomainGroups) {
  test_database db;
  store_company acme(db);
  const id mary = acme.add_user("mary");
  const id vips = acme.add_domain(acme.admin, "VIPs");
  const id marketing =
      acme.add_group(acme.admin, acme.user_domain, "Marketing", store::group_type::users_only);
  acme.grant(acme.admin, vips, group_grantee(marketing), access_level::editor);
  // A Shared group (every user may edit Shared) nested in Marketing: Mary joining it herself
  // must not give her Marketing's grant.
  const id team = acme.add_group(acme.admin, acme.shared, "Team", store::group_type::users_only);
  acme.run([&](tx& t) { return store::add_members(t, acme.admin, marketing, {{}, {}, {team}}); });
  acme.run([&](tx& t) { return store::add_members(t, mary, team, {{}, {mary}, {}}); });
  EXPECT_EQ(acme.access(mary, vips), by_role(access_level::none));
  // A User-domain group nested in Marketing does pass it on.
  const id interns =
      acme.add_group(acme.admin, acme.user_domain, "Interns", store::group_type::users_only);
  acme.run([&](tx& t) {
    return store::add_members(t, acme.admin, marketing, {{}, {}, {interns}});
  });
  acme.run([&](tx& t) { return store::add_members(t, acme.admin, interns, {{}, {mary}, {}}); });
  EXPECT_EQ(acme.access(mary, vips), by_group(access_level::editor, marketing));
  // Moved out of the User domain, Marketing's grants no longer count.
  store::group_patch p;
  p.domain = acme.shared;
  acme.run([&](tx& t) { return store::update_group(t, acme.admin, marketing, p); });
  EXPECT_EQ(acme.access(mary, vips), by_role(access_level::none));
}

TEST(AccessTest, AGroupsNoneIsTheLevelItGives) {
  // Rule 3 comes before the defaults (PRODUCT.md §2, "first rule that applies"): a group
  // granted none takes Shared away from its members, admins included.
  test_database db;
  store_company acme(db);
  const id mary = acme.add_user("mary");
  const id guests =
      acme.add_group(acme.admin, acme.user_domain, "Guests", store::group_type::users_only);
  acme.run([&](tx& t) { return store::add_members(t, acme.admin, guests, {{}, {mary}, {}}); });
  const id news = acme.add_group(acme.admin, acme.shared, "News");
  acme.add_contact(acme.admin, acme.shared, "Ann", "0412000001", {news});
  EXPECT_EQ(acme.listed(mary).size(), 1U);
  acme.grant(acme.admin, acme.shared, group_grantee(guests), access_level::none);
  EXPECT_EQ(acme.access(mary, acme.shared), by_group(access_level::none, guests));
  EXPECT_TRUE(acme.listed(mary).empty());
  EXPECT_TRUE(acme.search(mary, "Ann").empty());
}

TEST(AccessTest, DeletingAUserKeepsTheirContactsFromEveryoneButAdmins) {
  test_database db;
  store_company acme(db);
  const id carol = acme.add_user("carol");
  const id dave = acme.add_user("dave");
  const id mine = acme.personal_domain(carol);
  const id own = acme.add_group(carol, mine, "Mine");
  const id ann = acme.add_contact(carol, mine, "Ann", "0412000001", {own});
  const id empty_user = acme.add_user("erin");
  const id empty_domain = acme.personal_domain(empty_user);
  EXPECT_EQ(acme.listed(acme.admin), std::vector<id>{});  // private while carol exists
  EXPECT_TRUE(
      acme.run([&](tx& t) { return store::delete_user(t, acme.company, carol, acme.admin); }));
  EXPECT_FALSE(
      acme.run([&](tx& t) { return store::delete_user(t, acme.company, carol, acme.admin); }));
  EXPECT_TRUE(acme.run([&](tx& t) { return store::delete_user(t, acme.company, empty_user, {}); }));
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::delete_user(t, acme.company, acme.admin, acme.admin); }),
      std::invalid_argument);
  // The domain lives on as a custom one: admins see it by default, users do not.
  const auto kept = acme.run([&](tx& t) { return store::get_domain(t, acme.admin, mine); });
  EXPECT_EQ(kept.kind, store::domain_kind::custom);
  EXPECT_EQ(kept.name, "Former user carol #" + std::to_string(carol));
  EXPECT_EQ(acme.listed(acme.admin), std::vector<id>{ann});
  EXPECT_TRUE(acme.listed(dave).empty());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM domains WHERE id = " + std::to_string(empty_domain)),
            "0");
  const auto trail = acme.run([&](tx& t) { return store::audit_trail(t, acme.company, 2); });
  ASSERT_EQ(trail.size(), 2U);
  EXPECT_EQ(trail[1].action, "user.delete");
  EXPECT_EQ(trail[1].actor, acme.admin);
}
