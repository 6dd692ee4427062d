// The store functions behind the admin API (users, company settings, numbers, keywords,
// tokens, logs, message status) against a real PostgreSQL: who may do what, what another
// company's objects look like (not found), the clashes the keyword engine cannot live with,
// and the audit rows every change leaves.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/audit.hpp"
#include "store/company.hpp"
#include "store/errors.hpp"
#include "store/expansion.hpp"
#include "store/logs.hpp"
#include "store/numbers.hpp"
#include "store/password.hpp"
#include "store/routing.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using smsgw::testing::user_grantee;
using store::access_level;
using store::id;
using store::role;
using tx = pqxx::transaction_base;
using json = nlohmann::json;

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

/// The message of the store_error of type E that `f` throws ("" when none).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

struct admin_store_fixture : ::testing::Test {
  admin_store_fixture() : acme(db) {
    group_admin = acme.add_user("gina", role::group_admin);
    bob = acme.add_user("bob");
    news = acme.add_group(acme.admin, acme.shared, "News");
    acme.run([&](tx& t) {
      other_company = store::create_company(t, "Globex");
      other_admin = store::create_user(t, other_company, {"hank", "Hank", role::company_admin, ""});
      return 0;
    });
  }

  /// The newest audit row of Acme.
  store::audit_entry last_audit() {
    return acme.run([&](tx& t) { return store::audit_trail(t, acme.company, 1).at(0); });
  }

  /// A number of Acme, added by its admin.
  store::number_info add_number(const std::string& number, const std::string& kind) {
    return acme.run([&](tx& t) {
      return store::create_number(t, acme.admin, {number, kind, std::nullopt, "", ""}, region);
    });
  }

  /// A keyword on `number` for `group`, added by `actor`.
  store::keyword_info add_keyword(id actor, id number, const std::string& word, id group) {
    return acme.run([&](tx& t) {
      store::new_keyword_request k;
      k.number_id = number;
      k.keyword = word;
      k.group_id = group;
      k.optin_message = "Welcome";
      return store::create_keyword(t, actor, k);
    });
  }

  test_database db;
  store_company acme;
  id group_admin = 0;
  id bob = 0;
  id news = 0;
  id other_company = 0;
  id other_admin = 0;
};

// --- users -----------------------------------------------------------------------------

TEST_F(admin_store_fixture, OnlyAdminsCreateUsersAndGroupAdminsNoCompanyAdmins) {
  const auto create = [&](id actor, const std::string& username, role r) {
    return acme.run([&](tx& t) {
      return store::create_user_as(t, actor, {username, "New", r, "long enough", std::nullopt},
                                   region);
    });
  };
  EXPECT_THROW(create(bob, "carol", role::user), store::access_denied);
  EXPECT_THROW(create(group_admin, "carol", role::company_admin), store::access_denied);
  const auto carol = create(group_admin, "carol", role::group_admin);
  EXPECT_EQ(carol.username, "carol");
  EXPECT_EQ(carol.user_role, role::group_admin);
  EXPECT_EQ(carol.personal_domain_id, acme.personal_domain(carol.user_id));
  const auto dave = create(acme.admin, "dave@example.com", role::company_admin);
  EXPECT_EQ(dave.user_role, role::company_admin);
  EXPECT_EQ(last_audit().action, "user.create");
  EXPECT_EQ(
      json::parse(last_audit().details),
      (json{{"username", "dave@example.com"}, {"role", "company_admin"}, {"number", nullptr}}));
  // Usernames are global: the login does not say which company.
  EXPECT_THROW(create(acme.admin, "hank", role::user), store::conflict);
  EXPECT_THROW(create(acme.admin, "carol", role::user), store::conflict);
}

TEST_F(admin_store_fixture, CreateUserValidatesEveryField) {
  const auto issues = issues_of([&] {
    acme.run([&](tx& t) {
      return store::create_user_as(t, acme.admin, {"no spaces", "Name", role::user, "short", "12"},
                                   region);
    });
  });
  EXPECT_EQ(issues, (issues_t{{"username", "may only hold A-Z a-z 0-9 . _ @ -"},
                              {"password", "must be at least 8 characters long"},
                              {"number", "is not a valid phone number"}}));
  EXPECT_EQ(issues_of([&] {
              acme.run([&](tx& t) {
                return store::create_user_as(
                    t, acme.admin, {std::string(91, 'a'), "", role::user, "12345678", ""}, region);
              });
            }),
            (issues_t{{"username", "must be 1 to 90 characters long"}}));
  const auto erin = acme.run([&](tx& t) {
    return store::create_user_as(
        t, acme.admin, {"erin", "  Erin  ", role::user, "12345678", "0412 000 101"}, region);
  });
  EXPECT_EQ(erin.name, "Erin");
  EXPECT_EQ(erin.number, "+61412000101");
  const auto creds = acme.run([&](tx& t) { return store::find_credentials(t, "erin"); });
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->user_id, erin.user_id);
  EXPECT_EQ(creds->company, acme.company);
  EXPECT_TRUE(store::verify_password(creds->password_hash, "12345678"));
  EXPECT_FALSE(acme.run([&](tx& t) { return store::find_credentials(t, "Erin"); }));
}

TEST_F(admin_store_fixture, UsersOfAnotherCompanyAreNotFound) {
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_user(t, acme.admin, other_admin); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_user(t, acme.admin, other_admin, {"x", {}, {}, {}}, region);
  }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_user_as(t, acme.admin, other_admin);
    return 0;
  }),
               store::not_found);
  // Any user lists their own company's users, and only those.
  const auto listed = acme.run([&](tx& t) { return store::list_users(t, bob, 0, 10); });
  std::vector<std::string> names;
  for (const auto& u : listed) names.push_back(u.username);
  EXPECT_EQ(names, (std::vector<std::string>{"admin", "gina", "bob"}));
  const auto page = acme.run([&](tx& t) { return store::list_users(t, bob, acme.admin, 1); });
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].user_id, group_admin);
}

TEST_F(admin_store_fixture, UsersChangeThemselvesAdminsChangeOthers) {
  store::user_patch own;
  own.name = "Bob Builder";
  own.number = std::optional<std::string>("0412 000 102");
  own.password = "a new password";
  const auto changed =
      acme.run([&](tx& t) { return store::update_user(t, bob, bob, own, region); });
  EXPECT_EQ(changed.name, "Bob Builder");
  EXPECT_EQ(changed.number, "+61412000102");
  const auto audit = last_audit();
  EXPECT_EQ(audit.action, "user.update");
  EXPECT_EQ(json::parse(audit.details),
            (json{{"name", true},
                  {"number", {{"from", nullptr}, {"to", "+61412000102"}}},
                  {"password", true}}));
  EXPECT_EQ(audit.details.find("a new password"), std::string::npos);
  const auto creds = acme.run([&](tx& t) { return store::find_credentials(t, "bob"); });
  EXPECT_TRUE(store::verify_password(creds->password_hash, "a new password"));

  store::user_patch promote;
  promote.user_role = role::group_admin;
  EXPECT_THROW(acme.run([&](tx& t) { return store::update_user(t, bob, bob, promote, region); }),
               store::access_denied);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_user(t, bob, group_admin, {"x", {}, {}, {}}, region);
  }),
               store::access_denied);
  // Echoing one's own role is no change.
  store::user_patch same;
  same.user_role = role::user;
  EXPECT_NO_THROW(acme.run([&](tx& t) { return store::update_user(t, bob, bob, same, region); }));

  // A group admin changes users, but neither touches a company admin nor makes one.
  EXPECT_EQ(
      acme.run([&](tx& t) { return store::update_user(t, group_admin, bob, promote, region); })
          .user_role,
      role::group_admin);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_user(t, group_admin, acme.admin, {"x", {}, {}, {}}, region);
  }),
               store::access_denied);
  store::user_patch to_company_admin;
  to_company_admin.user_role = role::company_admin;
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_user(t, group_admin, group_admin, to_company_admin, region);
  }),
               store::access_denied);
  store::user_patch clear;
  clear.number = std::optional<std::string>();
  clear.password = "short";
  EXPECT_EQ(issues_of([&] {
              acme.run([&](tx& t) { return store::update_user(t, bob, bob, clear, region); });
            }),
            (issues_t{{"password", "must be at least 8 characters long"}}));
  clear.password.reset();
  EXPECT_EQ(acme.run([&](tx& t) { return store::update_user(t, bob, bob, clear, region); }).number,
            std::nullopt);
}

TEST_F(admin_store_fixture, TheLastCompanyAdminStays) {
  store::user_patch demote;
  demote.user_role = role::user;
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_user(t, acme.admin, acme.admin, demote, region);
  }),
               store::conflict);
  store::user_patch promote;
  promote.user_role = role::company_admin;
  acme.run([&](tx& t) { return store::update_user(t, acme.admin, bob, promote, region); });
  EXPECT_EQ(json::parse(last_audit().details),
            (json{{"role", {{"from", "user"}, {"to", "company_admin"}}}}));
  // Two company admins: one may step down, then the other is the last.
  EXPECT_EQ(
      acme.run([&](tx& t) { return store::update_user(t, acme.admin, acme.admin, demote, region); })
          .user_role,
      role::user);
  EXPECT_THROW(acme.run([&](tx& t) { return store::update_user(t, bob, bob, demote, region); }),
               store::conflict);
}

TEST_F(admin_store_fixture, DeletingUsers) {
  const auto del = [&](id actor, id user) {
    return acme.run([&](tx& t) {
      store::delete_user_as(t, actor, user);
      return 0;
    });
  };
  const id carol = acme.add_user("carol");
  EXPECT_THROW(del(bob, carol), store::access_denied);
  EXPECT_THROW(del(group_admin, acme.admin), store::access_denied);
  EXPECT_EQ(issues_of([&] { del(acme.admin, acme.admin); }),
            (issues_t{{"id", "you cannot delete yourself"}}));
  del(group_admin, carol);
  EXPECT_EQ(last_audit().action, "user.delete");
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_user(t, bob, carol); }), store::not_found);
}

// --- company settings ---------------------------------------------------------------------

TEST_F(admin_store_fixture, CompaniesStartWithAHelpTextAndAnyUserReadsThem) {
  const auto s = acme.run([&](tx& t) { return store::get_company(t, bob); });
  EXPECT_EQ(s.company_id, acme.company);
  EXPECT_EQ(s.name, "Acme");
  EXPECT_EQ(s.help_reply, "Acme: Reply STOP to opt out, HELP for help. Msg&data rates may apply.");
  EXPECT_EQ(s.stop_words,
            (std::vector<std::string>{"STOP", "CANCEL", "QUIT", "UNSUBSCRIBE", "END"}));
  EXPECT_EQ(s.start_words, (std::vector<std::string>{"START", "UNSTOP"}));
  EXPECT_EQ(s.stop_matching, "first_word");
  EXPECT_EQ(s.contact_key, "number");
  EXPECT_EQ(s.default_reply, "");
  EXPECT_TRUE(s.sender_ids.empty());
  // Not even SQL empties it.
  EXPECT_THROW(acme.run([&](tx& t) {
    t.exec0("UPDATE companies SET help_reply = ' '");
    return 0;
  }),
               pqxx::check_violation);
}

TEST_F(admin_store_fixture, CompanySettingsAreValidated) {
  const auto update = [&](id actor, const store::company_patch& p) {
    return acme.run([&](tx& t) { return store::update_company(t, actor, p); });
  };
  store::company_patch p;
  p.stop_words = std::vector<std::string>{"arret!", "stop"};
  EXPECT_THROW(update(bob, p), store::access_denied);

  store::company_patch bad;
  bad.stop_words = std::vector<std::string>{"STOP", "two words", "stop.", "info"};
  bad.start_words = std::vector<std::string>{};
  bad.stop_matching = "sometimes";
  bad.contact_key = "phone";
  bad.help_reply = "  ";
  bad.stop_reply = "";
  bad.sender_ids = std::vector<std::string>{"ACME", "TWELVECHARSX", "12345"};
  EXPECT_EQ(
      issues_of([&] { update(acme.admin, bad); }),
      (issues_t{{"stop_words[1]", "\"TWO WORDS\" is more than one word"},
                {"stop_words[2]", "\"STOP\" is listed twice"},
                {"stop_words[3]", "\"INFO\" is a help word"},
                {"start_words", "needs at least one word"},
                {"stop_matching", "must be first_word or whole_message"},
                {"contact_key", "must be number, name, email, alias, publicid or systemid"},
                {"stop_reply", "may not be empty"},
                {"help_reply", "may not be empty"},
                {"sender_ids[1]", "must be 1 to 11 characters long"},
                {"sender_ids[2]", "needs a letter (a number is a number, not a sender id)"}}));
  store::company_patch both;
  both.start_words = std::vector<std::string>{"START", "stop"};
  EXPECT_EQ(issues_of([&] { update(acme.admin, both); }),
            (issues_t{{"start_words", "\"STOP\" cannot be both a stop and a start word"}}));

  p.stop_matching = "whole_message";
  p.help_reply = "Acme help: call 1300 000 000";
  p.default_reply = "Text MOVIE to join.";
  p.sender_ids = std::vector<std::string>{"ACME", "Acme News"};
  const auto s = update(group_admin, p);
  EXPECT_EQ(s.stop_words, (std::vector<std::string>{"ARRET", "STOP"}));
  EXPECT_EQ(s.stop_matching, "whole_message");
  EXPECT_EQ(s, acme.run([&](tx& t) { return store::get_company(t, bob); }));
  const auto audit = last_audit();
  EXPECT_EQ(audit.action, "company.update");
  EXPECT_EQ(json::parse(audit.details),
            (json{{"stop_words",
                   {{"from", {"STOP", "CANCEL", "QUIT", "UNSUBSCRIBE", "END"}},
                    {"to", {"ARRET", "STOP"}}}},
                  {"stop_matching", {{"from", "first_word"}, {"to", "whole_message"}}},
                  {"help_reply", true},
                  {"default_reply", true},
                  {"sender_ids", {{"from", json::array()}, {"to", {"ACME", "Acme News"}}}}}));

  // The company's default reply answers unmatched MOs on numbers without their own.
  const auto number = add_number("4040", "short_code");
  const auto route = acme.run([&](tx& t) { return store::find_route(t, "4040"); });
  ASSERT_TRUE(route);
  EXPECT_EQ(route->rules.default_reply, "Text MOVIE to join.");
  EXPECT_EQ(route->rules.help_reply, "Acme help: call 1300 000 000");
  store::number_patch own;
  own.default_reply = "Sorry?";
  acme.run([&](tx& t) { return store::update_number(t, acme.admin, number.number_id, own); });
  EXPECT_EQ(acme.run([&](tx& t) { return store::find_route(t, "4040"); })->rules.default_reply,
            "Sorry?");
}

TEST_F(admin_store_fixture, ANewStopWordMayNotSilenceAKeyword) {
  const auto number = add_number("4040", "short_code");
  add_keyword(acme.admin, number.number_id, "movie", news);
  store::company_patch p;
  p.start_words = std::vector<std::string>{"START", "Movie"};
  EXPECT_EQ(message_of<store::conflict>(
                [&] { acme.run([&](tx& t) { return store::update_company(t, acme.admin, p); }); }),
            "\"MOVIE\" is a keyword on 4040: change or delete the keyword first");
}

// --- numbers and keywords -------------------------------------------------------------------

TEST_F(admin_store_fixture, NumbersAreAddedByAdminsInOneSpelling) {
  const auto create = [&](id actor, const std::string& number, const std::string& kind) {
    return acme.run([&](tx& t) {
      return store::create_number(t, actor, {number, kind, " ", "", ""}, region);
    });
  };
  EXPECT_THROW(create(bob, "4040", "short_code"), store::access_denied);
  EXPECT_EQ(issues_of([&] { create(acme.admin, "40", "short_code"); }),
            (issues_t{{"number", "a short code is 3 to 8 digits"}}));
  EXPECT_EQ(issues_of([&] { create(acme.admin, "4040", "long_code"); }),
            (issues_t{{"kind", "must be short_code or virtual"}}));
  EXPECT_EQ(issues_of([&] { create(acme.admin, "0412", "virtual"); }),
            (issues_t{{"number", "is not a valid phone number"}}));
  const auto short_code = create(acme.admin, " 4040 ", "short_code");
  EXPECT_EQ(short_code.number, "4040");
  EXPECT_EQ(short_code.bind, std::nullopt);
  const auto virtual_number = create(group_admin, "0412 000 200", "virtual");
  EXPECT_EQ(virtual_number.number, "+61412000200");
  EXPECT_EQ(last_audit().action, "number.create");
  // Taken, in any spelling and by any company; the owner stays unnamed.
  EXPECT_THROW(create(acme.admin, "61412000200", "virtual"), store::conflict);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::create_number(t, other_admin, {"4040", "short_code", std::nullopt, "", ""},
                                region);
  }),
               store::conflict);

  EXPECT_EQ(acme.run([&](tx& t) { return store::list_numbers(t, bob, 0, 10); }),
            (std::vector<store::number_info>{short_code, virtual_number}));
  EXPECT_EQ(acme.run([&](tx& t) { return store::find_number(t, bob, "+61 412 000 200", region); }),
            virtual_number);
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::get_number(t, other_admin, short_code.number_id); }),
      store::not_found);
  store::number_patch p;
  p.bind = std::optional<std::string>("smsc-a");
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::update_number(t, other_admin, short_code.number_id, p);
  }),
               store::not_found);
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::update_number(t, bob, short_code.number_id, p); }),
      store::access_denied);
  EXPECT_EQ(
      acme.run([&](tx& t) { return store::update_number(t, acme.admin, short_code.number_id, p); })
          .bind,
      "smsc-a");
  EXPECT_EQ(json::parse(last_audit().details),
            (json{{"bind", {{"from", nullptr}, {"to", "smsc-a"}}}}));
}

TEST_F(admin_store_fixture, DeletingANumberTakesItsKeywords) {
  const auto number = add_number("4040", "short_code");
  const auto movie = add_keyword(acme.admin, number.number_id, "MOVIE", news);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_number(t, other_admin, number.number_id);
    return 0;
  }),
               store::not_found);
  acme.run([&](tx& t) {
    store::delete_number(t, acme.admin, number.number_id);
    return 0;
  });
  EXPECT_EQ(db.scalar("SELECT count(*) FROM keywords"), "0");
  EXPECT_EQ(json::parse(last_audit().details),
            (json{{"number", "4040"}, {"kind", "short_code"}, {"keywords", {movie.keyword_id}}}));
}

TEST_F(admin_store_fixture, KeywordsRefuseWhatTheEngineCannotTellApart) {
  const auto number = add_number("4040", "short_code");
  const auto movie = add_keyword(acme.admin, number.number_id, "movie!", news);
  EXPECT_EQ(movie.keyword, "MOVIE");
  EXPECT_EQ(movie.number, "4040");
  EXPECT_EQ(movie.optin_message, "Welcome");
  EXPECT_EQ(last_audit().action, "keyword.create");

  EXPECT_EQ(issues_of([&] { add_keyword(acme.admin, number.number_id, "Stop", news); }),
            (issues_t{{"keyword", "\"STOP\" is a stop word"}}));
  EXPECT_EQ(issues_of([&] { add_keyword(acme.admin, number.number_id, "unstop", news); }),
            (issues_t{{"keyword", "\"UNSTOP\" is a start word"}}));
  EXPECT_EQ(issues_of([&] { add_keyword(acme.admin, number.number_id, "info", news); }),
            (issues_t{{"keyword", "\"INFO\" is a help word"}}));
  EXPECT_EQ(issues_of([&] { add_keyword(acme.admin, number.number_id, "two words", news); }),
            (issues_t{{"keyword", "\"TWO WORDS\" is more than one word"}}));
  EXPECT_EQ(message_of<store::conflict>(
                [&] { add_keyword(acme.admin, number.number_id, "Movie", news); }),
            "\"MOVIE\" is a keyword on this number already");
  const id staff = acme.add_group(acme.admin, acme.shared, "Staff", store::group_type::users_only);
  EXPECT_EQ(issues_of([&] { add_keyword(acme.admin, number.number_id, "STAFF", staff); }),
            (issues_t{{"group_id", "a users-only group cannot take contacts who opt in"}}));
  // The old add_keyword asks the same place.
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::add_keyword(t, {number.number_id, "quit", news, "", "", "", {}});
  }),
               std::invalid_argument);

  // Updates run the same checks; the keyword itself does not clash with itself.
  store::keyword_patch p;
  p.keyword = "end";
  EXPECT_EQ(
      issues_of([&] {
        acme.run([&](tx& t) { return store::update_keyword(t, acme.admin, movie.keyword_id, p); });
      }),
      (issues_t{{"keyword", "\"END\" is a stop word"}}));
  p.keyword = "movie";
  p.group_id = staff;
  EXPECT_EQ(
      issues_of([&] {
        acme.run([&](tx& t) { return store::update_keyword(t, acme.admin, movie.keyword_id, p); });
      }),
      (issues_t{{"group_id", "a users-only group cannot take contacts who opt in"}}));
  const id films = acme.add_group(acme.admin, acme.shared, "Films");
  p.keyword = "films";
  p.group_id = films;
  p.tail = smsgw::keywords::tail_policy::ignore;
  const auto films_kw =
      acme.run([&](tx& t) { return store::update_keyword(t, acme.admin, movie.keyword_id, p); });
  EXPECT_EQ(films_kw.keyword, "FILMS");
  EXPECT_EQ(films_kw.group_id, films);
  EXPECT_EQ(films_kw,
            acme.run([&](tx& t) { return store::get_keyword(t, bob, movie.keyword_id); }));
  EXPECT_EQ(json::parse(last_audit().details),
            (json{{"keyword", {{"from", "MOVIE"}, {"to", "FILMS"}}},
                  {"group", {{"from", news}, {"to", films}}},
                  {"tail", "ignore"}}));
}

TEST_F(admin_store_fixture, KeywordsNeedEditorOnTheirGroupsDomain) {
  const auto number = add_number("4040", "short_code");
  const id vip_domain = acme.add_domain(acme.admin, "VIP");
  const id vips = acme.add_group(acme.admin, vip_domain, "VIPs");
  // Bob cannot see the custom domain (None by default): its group is not found.
  EXPECT_THROW(add_keyword(bob, number.number_id, "VIP", vips), store::not_found);
  acme.grant(acme.admin, vip_domain, user_grantee(bob), access_level::viewer);
  EXPECT_THROW(add_keyword(bob, number.number_id, "VIP", vips), store::access_denied);
  const auto vip = add_keyword(acme.admin, number.number_id, "VIP", vips);
  // Bob sees it now, but may not change or delete it.
  EXPECT_EQ(acme.run([&](tx& t) { return store::list_keywords(t, bob, {}, {}, 0, 10); }).size(),
            1U);
  store::keyword_patch p;
  p.optin_message = "Hi";
  EXPECT_THROW(acme.run([&](tx& t) { return store::update_keyword(t, bob, vip.keyword_id, p); }),
               store::access_denied);
  // Shared is every user's to edit: Bob may use its groups.
  const auto news_kw = add_keyword(bob, number.number_id, "NEWS", news);
  EXPECT_EQ(
      acme.run([&](tx& t) { return store::list_keywords(t, bob, number.number_id, news, 0, 10); }),
      std::vector<store::keyword_info>{news_kw});
  // Nor may he move a keyword onto a group he only views.
  p.group_id = vips;
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::update_keyword(t, bob, news_kw.keyword_id, p); }),
      store::access_denied);
  acme.grant(acme.admin, vip_domain, user_grantee(bob), access_level::none);
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_keyword(t, bob, vip.keyword_id); }),
               store::not_found);
  EXPECT_EQ(acme.run([&](tx& t) { return store::list_keywords(t, bob, {}, {}, 0, 10); }),
            std::vector<store::keyword_info>{news_kw});

  // Another company sees none of it, and cannot use Acme's numbers or groups.
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_keyword(t, other_admin, vip.keyword_id); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::delete_keyword(t, other_admin, vip.keyword_id);
    return 0;
  }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    store::new_keyword_request k;
    k.number_id = number.number_id;
    k.keyword = "GLOBEX";
    k.group_id = news;
    return store::create_keyword(t, other_admin, k);
  }),
               store::not_found);
  acme.run([&](tx& t) {
    store::delete_keyword(t, bob, news_kw.keyword_id);
    return 0;
  });
  EXPECT_EQ(last_audit().action, "keyword.delete");
}

TEST_F(admin_store_fixture, SendersAreTheCompanysNumbersAndSenderIds) {
  add_number("4040", "short_code");
  add_number("+61412000300", "virtual");
  store::company_patch p;
  p.sender_ids = std::vector<std::string>{"ACME"};
  acme.run([&](tx& t) { return store::update_company(t, acme.admin, p); });
  const auto allowed = [&](id company, const std::string& source) {
    return acme.run([&](tx& t) { return store::sender_allowed(t, company, source, region); });
  };
  EXPECT_TRUE(allowed(acme.company, "4040"));
  EXPECT_TRUE(allowed(acme.company, "+61412000300"));
  EXPECT_TRUE(allowed(acme.company, "61412000300"));
  EXPECT_TRUE(allowed(acme.company, "+61 412 000 300"));
  EXPECT_TRUE(allowed(acme.company, "0412 000 300"));
  EXPECT_TRUE(allowed(acme.company, "ACME"));
  EXPECT_FALSE(allowed(acme.company, "acme"));
  EXPECT_FALSE(allowed(acme.company, "5050"));
  EXPECT_FALSE(allowed(acme.company, "+61412000301"));
  EXPECT_FALSE(allowed(acme.company, ""));
  EXPECT_FALSE(allowed(other_company, "4040"));
  EXPECT_FALSE(allowed(other_company, "ACME"));
  // Without a region, international spellings still match.
  EXPECT_TRUE(
      acme.run([&](tx& t) { return store::sender_allowed(t, acme.company, "61412000300"); }));
}

// --- tokens -----------------------------------------------------------------------------------

TEST_F(admin_store_fixture, TokensActAsTheirUserUntilRevoked) {
  const auto made = acme.run([&](tx& t) { return store::create_token(t, bob, " deploy script "); });
  ASSERT_EQ(made.token.size(), 49U);
  EXPECT_EQ(made.token.substr(0, 6), "smsgw_");
  EXPECT_EQ(made.token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6),
            std::string::npos);
  EXPECT_EQ(last_audit().action, "token.create");
  EXPECT_EQ(last_audit().details.find(made.token), std::string::npos);
  // Only the hash is stored.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_tokens WHERE position(convert_to('" + made.token +
                      "', 'UTF8') IN token_hash) > 0"),
            "0");

  const auto found = acme.run([&](tx& t) { return store::find_token(t, made.token); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, bob);
  EXPECT_EQ(found->company, acme.company);
  EXPECT_EQ(found->user_role, role::user);
  EXPECT_EQ(found->password_hash, "");
  EXPECT_FALSE(acme.run([&](tx& t) { return store::find_token(t, made.token + "x"); }));
  std::string wrong = made.token;
  wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(acme.run([&](tx& t) { return store::find_token(t, wrong); }));

  const auto listed = acme.run([&](tx& t) { return store::list_tokens(t, bob); });
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].name, "deploy script");
  EXPECT_TRUE(listed[0].last_used_at);
  EXPECT_FALSE(listed[0].revoked_at);
  EXPECT_TRUE(acme.run([&](tx& t) { return store::list_tokens(t, acme.admin); }).empty());

  EXPECT_EQ(issues_of([&] { acme.run([&](tx& t) { return store::create_token(t, bob, " "); }); }),
            (issues_t{{"name", "must not be empty"}}));
  EXPECT_THROW(
      acme.run([&](tx& t) { return store::revoke_token(t, group_admin + 1000, made.token_id); }),
      store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) { return store::revoke_token(t, other_admin, made.token_id); }),
               store::not_found);
  const id carol = acme.add_user("carol");
  EXPECT_THROW(acme.run([&](tx& t) { return store::revoke_token(t, carol, made.token_id); }),
               store::not_found);
  EXPECT_TRUE(acme.run([&](tx& t) { return store::revoke_token(t, group_admin, made.token_id); }));
  EXPECT_EQ(json::parse(last_audit().details), (json{{"name", "deploy script"}, {"user", bob}}));
  EXPECT_FALSE(acme.run([&](tx& t) { return store::revoke_token(t, bob, made.token_id); }));
  EXPECT_FALSE(acme.run([&](tx& t) { return store::find_token(t, made.token); }));
  EXPECT_TRUE(acme.run([&](tx& t) { return store::list_tokens(t, bob); }).at(0).revoked_at);

  // A user's own revocation, and tokens die with their user.
  const auto second = acme.run([&](tx& t) { return store::create_token(t, carol, "cron"); });
  EXPECT_TRUE(acme.run([&](tx& t) { return store::find_token(t, second.token); }));
  acme.run([&](tx& t) {
    store::delete_user_as(t, acme.admin, carol);
    return 0;
  });
  EXPECT_FALSE(acme.run([&](tx& t) { return store::find_token(t, second.token); }));
}

// --- logs and message status -----------------------------------------------------------------

TEST_F(admin_store_fixture, InboundLogAndConsentsForAdmins) {
  add_number("4040", "short_code");
  acme.run([&](tx& t) {
    t.exec_params0(
        "INSERT INTO inbound_log (company_id, bind, source, destination, text, data_coding, "
        "decision, received_at) VALUES "
        "($1, 'smsc-a', '+61412000401', '4040', 'MOVIE', 0, 'opt_in', '2024-05-01T09:00:00Z'), "
        "($1, 'smsc-a', '+61412000402', '4040', 'STOP', 0, 'company_stop', "
        " '2024-05-02T09:00:00Z'), "
        "($1, 'smsc-a', '+61412000401', '4040', 'hello', 0, 'unmatched', "
        " '2024-05-03T09:00:00Z'), "
        "($2, 'smsc-b', '+61412000401', '5050', 'other', 0, 'unmatched', "
        " '2024-05-03T09:00:00Z')",
        acme.company, other_company);
    t.exec_params0(
        "INSERT INTO consent_audit (company_id, number, action, text) VALUES "
        "($1, '+61412000401', 'opt_in', 'MOVIE'), ($1, '+61412000402', 'stop', 'STOP'), "
        "($2, '+61412000401', 'stop', 'STOP')",
        acme.company, other_company);
    return 0;
  });
  const auto inbound = [&](id actor, std::optional<std::string> since,
                           std::optional<std::string> number, id after = 0) {
    return acme.run(
        [&](tx& t) { return store::list_inbound(t, actor, since, number, after, 10, region); });
  };
  EXPECT_THROW(inbound(bob, {}, {}), store::access_denied);
  const auto all = inbound(group_admin, {}, {});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].source, "+61412000401");
  EXPECT_EQ(all[0].decision, "opt_in");
  EXPECT_EQ(all[0].received_at, "2024-05-01T09:00:00.000000Z");
  EXPECT_EQ(all[1].text, "STOP");
  EXPECT_EQ(inbound(acme.admin, {}, {}, all[0].entry_id).size(), 2U);
  EXPECT_EQ(inbound(acme.admin, "2024-05-02", {}).size(), 2U);
  EXPECT_EQ(inbound(acme.admin, "2024-05-02T10:00:00+01:00", {}).size(), 2U);
  EXPECT_EQ(inbound(acme.admin, "2024-05-02T09:00:01Z", {}).size(), 1U);
  // Any spelling of the number; one of the company's numbers is the destination.
  EXPECT_EQ(inbound(acme.admin, {}, "0412 000 401").size(), 2U);
  EXPECT_EQ(inbound(acme.admin, {}, "61412000402").size(), 1U);
  EXPECT_EQ(inbound(acme.admin, {}, "4040").size(), 3U);
  EXPECT_EQ(inbound(acme.admin, "2024-05-02", "+61412000401").size(), 1U);
  for (const char* bad : {"yesterday", "now", "2024-13-01", "2024-02-30", "2024-05-01Z", ""}) {
    EXPECT_EQ(issues_of([&] { inbound(acme.admin, std::string(bad), {}); }).size(), 1U) << bad;
  }

  EXPECT_THROW(acme.run([&](tx& t) { return store::list_consents(t, bob, {}, 0, 10, region); }),
               store::access_denied);
  const auto consents =
      acme.run([&](tx& t) { return store::list_consents(t, acme.admin, {}, 0, 10, region); });
  ASSERT_EQ(consents.size(), 2U);
  EXPECT_EQ(consents[0].action, "opt_in");
  EXPECT_EQ(consents[0].actor_user_id, std::nullopt);
  EXPECT_EQ(consents[1].number, "+61412000402");
  const auto for_number = acme.run(
      [&](tx& t) { return store::list_consents(t, acme.admin, "0412000402", 0, 10, region); });
  ASSERT_EQ(for_number.size(), 1U);
  EXPECT_EQ(for_number[0].action, "stop");
}

TEST_F(admin_store_fixture, AMessageAndItsRecipientsForItsSenderAndAdmins) {
  add_number("4040", "short_code");
  const id carol = acme.add_user("carol");
  const auto sent = acme.run([&](tx& t) {
    return store::queue_send(t, bob, {"4040", "Hello", std::nullopt},
                             {{}, {}, {"0412 000 501", "0412 000 502", "0412 000 503", "12"}},
                             region);
  });
  const auto m = acme.run([&](tx& t) { return store::get_message(t, bob, sent.message_id); });
  EXPECT_EQ(m.message_id, sent.message_id);
  EXPECT_EQ(m.source, "4040");
  EXPECT_EQ(m.text, "Hello");
  EXPECT_EQ(m.recipients, 3);
  EXPECT_EQ(m.left, (store::left_out{0, 0, 1, 0}));
  EXPECT_EQ(m,
            acme.run([&](tx& t) { return store::get_message(t, group_admin, sent.message_id); }));
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_message(t, carol, sent.message_id); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) { return store::get_message(t, other_admin, sent.message_id); }),
               store::not_found);
  EXPECT_THROW(acme.run([&](tx& t) {
    return store::list_message_recipients(t, carol, sent.message_id, 0, 10);
  }),
               store::not_found);

  acme.run([&](tx& t) {
    t.exec_params0(
        "UPDATE outbox SET status = 'submitted', smsc_message_id = 'abc' "
        "WHERE message_id = $1 AND destination = '+61412000502'",
        sent.message_id);
    return 0;
  });
  const auto first = acme.run(
      [&](tx& t) { return store::list_message_recipients(t, bob, sent.message_id, 0, 2); });
  ASSERT_EQ(first.size(), 2U);
  const auto rest = acme.run([&](tx& t) {
    return store::list_message_recipients(t, acme.admin, sent.message_id, first[1].outbox_id, 2);
  });
  ASSERT_EQ(rest.size(), 1U);
  std::vector<std::string> seen;
  for (const auto& r : {first[0], first[1], rest[0]}) {
    seen.push_back(r.destination + " " + r.status + " " + r.smsc_message_id.value_or("-"));
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"+61412000501 queued -", "+61412000502 submitted abc",
                                            "+61412000503 queued -"}));
  EXPECT_LT(first[0].outbox_id, first[1].outbox_id);
}

}  // namespace
