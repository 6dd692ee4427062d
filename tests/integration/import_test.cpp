// Contact import (manual: "Importing Contacts"; PRODUCT.md §7) against a real PostgreSQL: the
// manual's files as printed, one test per rule and error text, merge on and off, every key,
// the all-or-nothing guarantee, and export → import changing nothing.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/csv.hpp"
#include "store/export.hpp"
#include "store/import.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::store_company;
using smsgw::testing::test_database;

namespace {

class Import : public ::testing::Test {
 protected:
  Import() : acme_(db_) {}

  void SetUp() override {
    friends_ = acme_.add_group(acme_.admin, acme_.shared, "Friends");
    work_ = acme_.add_group(acme_.admin, acme_.shared, "Work");
    play_ = acme_.add_group(acme_.admin, acme_.shared, "Play");
  }

  store::import_result import(store::id actor, store::id group, const std::string& csv,
                              bool merge = false, std::optional<store::import_key> key = {},
                              const std::string& country = "") {
    return acme_.run([&](pqxx::transaction_base& t) {
      store::csv_reader file(store::csv_text_source(csv));
      store::import_options o;
      o.group_id = group;
      o.merge = merge;
      o.key = key;
      o.country = country;
      return store::import_contacts(t, actor, o, file);
    });
  }

  // The refusal of a file as "line N column: reason" lines; "" when it was accepted.
  std::vector<std::string> refusal(store::id group, const std::string& csv, bool merge = true,
                                   std::optional<store::import_key> key = {}, store::id actor = 0) {
    try {
      import(actor != 0 ? actor : acme_.admin, group, csv, merge, key);
    } catch (const store::import_refused& e) {
      std::vector<std::string> out;
      for (const auto& i : e.issues()) {
        out.push_back("line " + std::to_string(i.line) + " " + i.column + ": " + i.reason);
      }
      return out;
    }
    return {};
  }

  std::int64_t count(const std::string& sql) {
    return acme_.run([&](pqxx::transaction_base& t) { return t.exec1(sql)[0].as<std::int64_t>(); });
  }

  // name|number|alias|email|public id|tags of the contact with `number`.
  std::string contact(const std::string& number) {
    return acme_.run([&](pqxx::transaction_base& t) {
      const auto r = t.exec_params(
          "SELECT name || '|' || number || '|' || coalesce(alias, '') || '|' || "
          "coalesce(email, '') || '|' || coalesce(public_id, '') || '|' || tags::text "
          "FROM contacts WHERE company_id = $1 AND number = $2",
          acme_.company, number);
      return r.empty() ? std::string("<none>") : r[0][0].as<std::string>();
    });
  }

  // The names of the contacts in `group`, sorted.
  std::vector<std::string> member_names(store::id group) {
    return acme_.run([&](pqxx::transaction_base& t) {
      std::vector<std::string> out;
      for (const auto& r : t.exec_params("SELECT c.name FROM group_contacts gc JOIN contacts c "
                                         "ON c.id = gc.contact_id WHERE gc.group_id = $1 "
                                         "ORDER BY c.name",
                                         group)) {
        out.push_back(r[0].as<std::string>());
      }
      return out;
    });
  }

  // The whole export of `group` as `reader` sees it.
  std::string export_file(store::id reader, store::id group, bool public_ids) {
    return acme_.run([&](pqxx::transaction_base& t) {
      const auto layout = store::plan_export(t, reader, group, public_ids);
      std::string out = store::csv_record(layout.header());
      std::optional<store::member_cursor> from;
      do {
        const auto page = store::export_members(t, reader, layout, from, 7);
        for (const auto& row : page.rows) out += store::csv_record(row);
        from = page.next;
      } while (from);
      return out;
    });
  }

  test_database db_;
  store_company acme_;
  store::id friends_ = 0;
  store::id work_ = 0;
  store::id play_ = 0;
};

TEST_F(Import, TheManualsNumberOnlyFile) {
  const auto r = import(acme_.admin, friends_, "number\r\n61497565432\r\n61492776143\r\n");
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.created, 2);
  EXPECT_EQ(r.added_to_groups, 2);
  EXPECT_EQ(contact("+61497565432"), "|+61497565432||||{}");
  EXPECT_EQ(contact("+61492776143"), "|+61492776143||||{}");
  EXPECT_EQ(member_names(friends_).size(), 2U);
}

// The manual's name/number/group file as printed: Christine's number has a digit too many
// for an Australian mobile, so the file is refused at her line and nothing changes; with the
// digit removed it imports, Christine in Work and Play.
TEST_F(Import, TheManualsNameNumberGroupFile) {
  const std::string printed =
      "name,number,group\r\n"
      "John Stamos,61497565432,\r\n"
      "Nicky Tomb,61492776143,\r\n"
      "Christine in Accounting,614918828762,Work|Play\r\n"
      "Support Phone,61498828762,Work\r\n";
  const auto refused = refusal(friends_, printed, false);
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_EQ(refused[0],
            "line 4 number: is not a valid phone number in international format (write the "
            "country code, or import with a country for national numbers)");
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);

  std::string fixed = printed;
  fixed.replace(fixed.find("614918828762"), 12, "61491882876");
  const auto r = import(acme_.admin, friends_, fixed);
  EXPECT_EQ(r.created, 4);
  EXPECT_EQ(r.added_to_groups, 4 + 3);
  EXPECT_EQ(member_names(friends_),
            (std::vector<std::string>{"Christine in Accounting", "John Stamos", "Nicky Tomb",
                                      "Support Phone"}));
  EXPECT_EQ(member_names(work_),
            (std::vector<std::string>{"Christine in Accounting", "Support Phone"}));
  EXPECT_EQ(member_names(play_), (std::vector<std::string>{"Christine in Accounting"}));
}

// The export example exactly as printed (its numbers national, its `, "G0001"` spacing)
// imports with country AU, and exports back as the manual shows it.
TEST_F(Import, TheManualsExportExampleImportsAsPrinted) {
  const auto authors = acme_.run([&](pqxx::transaction_base& t) {
    return store::create_group(t, acme_.admin, {acme_.shared, "Authors", {}, "", "G0001"}).group_id;
  });
  acme_.run([&](pqxx::transaction_base& t) {
    return store::create_group(t, acme_.admin, {acme_.shared, "Directors", {}, "", "G007"});
  });
  const std::string printed =
      "\"Type\",\"Name\",\"Number\",\"Alias\",\"Public Id\",\"Group\",\"Group Public Ids\"\n"
      "\"contact\",\"Anglea McFiction\",\"770000001\",\"ang\",\"C342334\",\"Authors\", "
      "\"G0001\"\n"
      "\"contact\",\"Joe Famous\",\"770000002\",\"bigjoe\",\"C724421\",\"Authors|Directors\", "
      "\"G0001|G007\"\n";
  const auto r = import(acme_.admin, authors, printed, true, {}, "AU");
  EXPECT_EQ(r.created, 2);
  EXPECT_EQ(r.added_to_groups, 3);
  EXPECT_EQ(export_file(acme_.admin, authors, true),
            "\"Type\",\"Name\",\"Number\",\"Alias\",\"Public Id\",\"Group\",\"Group Public "
            "Ids\"\r\n"
            "\"contact\",\"Anglea McFiction\",\"+61770000001\",\"ang\",\"C342334\",\"Authors\","
            "\"G0001\"\r\n"
            "\"contact\",\"Joe Famous\",\"+61770000002\",\"bigjoe\",\"C724421\","
            "\"Authors|Directors\",\"G0001|G007\"\r\n");
}

TEST_F(Import, EachRuleHasItsOwnError) {
  const auto one = [&](const std::string& csv) {
    const auto r = refusal(friends_, csv);
    return r.size() == 1 ? r[0] : "got " + std::to_string(r.size()) + " errors";
  };
  EXPECT_EQ(one("number,name\n+61497565432\n"), "line 2 : has 1 fields; the header has 2");
  EXPECT_EQ(one("number\nhello\n"), "line 2 number: is not a phone number");
  EXPECT_EQ(one("number,name\n+61497565432," + std::string(70, 'n') + "\n"),
            "line 2 name: must be less than 70 characters");
  EXPECT_EQ(one("number,alias\n+61497565432,big joe\n"),
            "line 2 alias: may only contain letters a-z, digits, hyphen, underscore and full stop");
  EXPECT_EQ(one("number,email\n+61497565432,not-an-email\n"),
            "line 2 email: is not an email address");
  EXPECT_EQ(one("number,group\n+61497565432,Nowhere\n"),
            "line 2 group: no group called 'Nowhere' that you can see");
  EXPECT_EQ(one("number,pet\n+61497565432,cat\n"),
            "line 1 pet: is not a column of a contact (the columns are number, name, alias, "
            "email, public id, system id, group, type)");
  EXPECT_EQ(one("Number,number\n1,2\n"), "line 1 number: the column appears twice");
  EXPECT_EQ(one("number,type\n+61497565432,robot\n"),
            "line 2 type: must be contact, user or group");
  EXPECT_EQ(one("number\n\"+61497565432\n"), "line 2 : a quoted field is not closed");
  EXPECT_EQ(one(""), "line 1 : the file is empty: the first line must name the columns");
  EXPECT_EQ(one("name\nJoe\n"), "line 2 : a new contact needs a number");
  EXPECT_EQ(one("number,\xFF\xFE\n+61497565432,x\n"),
            "line 1 column 2: its name is not valid UTF-8");
  EXPECT_EQ(one(std::string("number,name\n+61497565432,Jo\0e\n", 30)),
            "line 2 name: contains control characters");
  EXPECT_EQ(one("number,name\n+61497565432,\xC3\x28\n"), "line 2 name: is not valid UTF-8");
  EXPECT_EQ(one(std::string("type,alias\nuser,a\0b\n", 20)),
            "line 2 alias: contains control characters");
  EXPECT_EQ(one("number\n+61497565432\n+61 497 565 432\n"),
            "line 3 number: the same number as line 2");
  EXPECT_EQ(one("number,system id\n+61497565432,G#12\n"),
            "line 2 system id: is not a contact's system id (C# and a number)");
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
}

TEST_F(Import, LongAliasesAndEmailsAreTruncatedAsTheManualSays) {
  const std::string alias(80, 'a');
  const std::string email = "j@" + std::string(300, 'x') + ".example";
  import(acme_.admin, friends_, "number,alias,email\n+61497565432," + alias + "," + email + "\n");
  EXPECT_EQ(contact("+61497565432"),
            "|+61497565432|" + alias.substr(0, 63) + "|" + email.substr(0, 254) + "||{}");
}

TEST_F(Import, NationalNumbersNeedTheImportsCountry) {
  EXPECT_EQ(refusal(friends_, "number\n0497 565 432\n").size(), 1U);
  import(acme_.admin, friends_, "number\n0497 565 432\n", false, {}, "AU");
  EXPECT_EQ(contact("+61497565432"), "|+61497565432||||{}");
}

TEST_F(Import, GroupsMustBeEditableAndHoldContacts) {
  const auto viewer = acme_.add_user("vera");
  const auto sales = acme_.add_domain(acme_.admin, "Sales");
  const auto sales_group = acme_.add_group(acme_.admin, sales, "Leads");
  acme_.grant(acme_.admin, sales, store::grantee{store::grantee::kind::user, viewer},
              store::access_level::viewer);
  acme_.add_group(acme_.admin, acme_.shared, "Staff", store::group_type::users_only);
  EXPECT_EQ(
      refusal(friends_, "number,group\n+61497565432,Leads\n+61492776143,Staff\n", true, {}, viewer),
      (std::vector<std::string>{"line 2 group: needs editor access to group 'Leads'",
                                "line 3 group: group 'Staff' holds users only"}));
  // Into a group whose domain the importer only views: refused as a whole.
  EXPECT_THROW(import(viewer, sales_group, "number\n+61497565432\n"), store::access_denied);
}

TEST_F(Import, PropertiesOfTheDomainAreColumns) {
  const auto clubs = acme_.add_domain(acme_.admin, "Clubs", {"city", "home_town"});
  const auto chess = acme_.add_group(acme_.admin, clubs, "Chess");
  import(acme_.admin, chess, "Number,City,Home Town\n+61497565432,Sydney,Bathurst\n");
  EXPECT_EQ(contact("+61497565432"),
            "|+61497565432||||{\"city\": \"Sydney\", \"home_town\": \"Bathurst\"}");
  // A blank value removes the tag; a tag the file does not name stays.
  import(acme_.admin, chess, "number,city\n+61497565432,\n", true);
  EXPECT_EQ(contact("+61497565432"), "|+61497565432||||{\"home_town\": \"Bathurst\"}");
}

TEST_F(Import, MergeOnUpdatesAndAddsOffDefinesTheMembership) {
  acme_.add_contact(acme_.admin, acme_.shared, "Ann", "+61497565432", {friends_});
  acme_.add_contact(acme_.admin, acme_.shared, "Bob", "+61492776143", {friends_, work_});
  auto r =
      import(acme_.admin, friends_, "number,name\n+61497565432,Ann Smith\n+61498828762,Cy\n", true);
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(r.unchanged, 0);
  EXPECT_EQ(r.added_to_groups, 1);
  EXPECT_EQ(r.removed_from_group, 0);
  EXPECT_EQ(member_names(friends_), (std::vector<std::string>{"Ann Smith", "Bob", "Cy"}));

  // Merge off: the file is the membership; Bob leaves Friends but stays a contact, in Work.
  r = import(acme_.admin, friends_, "number,name\n+61497565432,Ann Smith\n+61498828762,Cy\n");
  EXPECT_EQ(r.unchanged, 2);
  EXPECT_EQ(r.removed_from_group, 1);
  EXPECT_EQ(member_names(friends_), (std::vector<std::string>{"Ann Smith", "Cy"}));
  EXPECT_EQ(member_names(work_), (std::vector<std::string>{"Bob"}));
}

TEST_F(Import, EveryKeyFindsItsContact) {
  const auto id = acme_.run([&](pqxx::transaction_base& t) {
    store::new_contact c;
    c.domain = acme_.shared;
    c.name = "Ann";
    c.number = "+61497565432";
    c.alias = "ann";
    c.email = "ann@example.com";
    c.public_id = "P1";
    c.groups = {friends_};
    return store::create_contact(t, acme_.admin, c, "AU").value.contact_id;
  });
  const std::string sid = "C#" + std::to_string(id);
  using k = store::import_key;
  import(acme_.admin, friends_, "name,number\nANN,+61492776143\n", true, k::name);
  // The key matches case-insensitively; the file's spelling is the new value.
  EXPECT_EQ(contact("+61492776143"), "ANN|+61492776143|ann|ann@example.com|P1|{}");
  import(acme_.admin, friends_, "email,number\nAnn@Example.com,+61497565432\n", true, k::email);
  import(acme_.admin, friends_, "alias,name\nANN,Ann A\n", true, k::alias);
  import(acme_.admin, friends_, "public id,name\nP1,Ann B\n", true, k::public_id);
  import(acme_.admin, friends_, "system id,email\n" + sid + ",b@example.com\n", true, k::system_id);
  EXPECT_EQ(contact("+61497565432"), "Ann B|+61497565432|ANN|b@example.com|P1|{}");
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 1);
  // The key's column must be in the file when the key is asked for.
  EXPECT_EQ(
      refusal(friends_, "number\n+61497565432\n", true, k::email),
      (std::vector<std::string>{"line 1 : the key is email, but the file has no such column"}));
}

TEST_F(Import, AKeyMatchingTwoContactsIsAnErrorForItsRow) {
  const auto a = acme_.add_contact(acme_.admin, acme_.shared, "Sam", "+61497565432", {friends_});
  const auto b = acme_.add_contact(acme_.admin, acme_.shared, "Sam", "+61492776143", {friends_});
  EXPECT_EQ(refusal(friends_, "name,email\nSam,sam@example.com\n", true, store::import_key::name),
            (std::vector<std::string>{"line 2 name: matches 2 contacts: C#" + std::to_string(a) +
                                      ", C#" + std::to_string(b)}));
}

// A bad last row of 100,000 changes nothing.
TEST_F(Import, AllOrNothing) {
  std::string csv = "number,name\n";
  for (int i = 0; i < 100000; ++i) {
    csv += "+614" + std::to_string(10000000 + i) + ",Person " + std::to_string(i) + "\n";
  }
  csv += "+61400000000000,Bad Number\n";
  const auto refused = refusal(friends_, csv, false);
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_EQ(refused[0].substr(0, 19), "line 100002 number:");
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM group_contacts"), 0);
}

TEST_F(Import, ManyBadRowsAreListedUpToTheCapAndCounted) {
  std::string csv = "number\n";
  for (int i = 0; i < 250; ++i) csv += "bad" + std::to_string(i) + "\n";
  try {
    import(acme_.admin, friends_, csv);
    FAIL() << "accepted";
  } catch (const store::import_refused& e) {
    EXPECT_EQ(e.issues().size(), 100U);
    EXPECT_EQ(e.count(), 250);
    EXPECT_EQ(e.issues().front().line, 2U);
  }
}

TEST_F(Import, BadRowsAcrossChecksOnTwoThreadsAreListedInFileOrder) {
  // Rows are checked a chunk of 4,096 at a time, each half on its own thread: the listed
  // issues are still the first 100 bad lines, in order, and every one is counted.
  std::string csv = "number\n";
  std::vector<std::uint64_t> bad_lines;
  for (int i = 0; i < 10000; ++i) {
    if (i % 50 == 49) {
      csv += "bad" + std::to_string(i) + "\n";
      bad_lines.push_back(static_cast<std::uint64_t>(i) + 2);
    } else {
      csv += "+614" + std::to_string(10000000 + i) + "\n";
    }
  }
  try {
    import(acme_.admin, friends_, csv);
    FAIL() << "accepted";
  } catch (const store::import_refused& e) {
    EXPECT_EQ(e.count(), 200);
    std::vector<std::uint64_t> listed;
    for (const auto& i : e.issues()) listed.push_back(i.line);
    EXPECT_EQ(listed, std::vector<std::uint64_t>(bad_lines.begin(), bad_lines.begin() + 100));
  }
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
}

// Export a group with contacts, a user and a nested group, import the file back in merge
// mode: every row unchanged, nothing added or removed.
TEST_F(Import, ExportThenImportChangesNothing) {
  const auto clubs = acme_.add_domain(acme_.admin, "Clubs", {"city"});
  acme_.run([&](pqxx::transaction_base& t) {
    t.exec_params0("UPDATE domains SET visible_columns = '{name,number,email,city}' WHERE id = $1",
                   clubs);
    return 0;
  });
  const auto chess = acme_.run([&](pqxx::transaction_base& t) {
    return store::create_group(
               t, acme_.admin,
               {clubs, "Chess", store::group_type::users_and_contacts, "chess", "G-CH"})
        .group_id;
  });
  acme_.run([&](pqxx::transaction_base& t) {
    for (int i = 0; i < 30; ++i) {
      store::new_contact c;
      c.domain = clubs;
      c.name = "Player \"" + std::to_string(i) + "\", Esq.";
      c.number = "+614975654" + std::to_string(10 + i);
      c.alias = i % 2 ? "p" + std::to_string(i) : "";
      c.email = i % 3 ? "p" + std::to_string(i) + "@example.com" : "";
      c.public_id = "PID-" + std::to_string(i);
      c.tags = {{"city", i % 2 ? "Perth" : "Hobart"}};
      c.groups = {chess, i % 2 ? work_ : play_};
      store::create_contact(t, acme_.admin, c, "AU");
    }
    // An opted-in contact whose number the SMSC gave without its +.
    t.exec_params0(
        "INSERT INTO contacts (company_id, domain_id, name, number) VALUES ($1, $2, "
        "'Texter', '61498828762')",
        acme_.company, clubs);
    t.exec_params0(
        "INSERT INTO group_contacts (group_id, contact_id) SELECT $1, id FROM "
        "contacts WHERE number = '61498828762'",
        chess);
    const auto u = store::create_user(t, acme_.company, {"coach", "Coach", store::role::user, ""});
    store::add_members(t, acme_.admin, chess, {{}, {u}, {friends_}});
    return 0;
  });
  const std::string before = export_file(acme_.admin, chess, true);
  const auto r = import(acme_.admin, chess, before, true, store::import_key::public_id);
  EXPECT_EQ(r.rows, 33);
  EXPECT_EQ(r.unchanged, 33);
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(r.updated, 0);
  EXPECT_EQ(r.added_to_groups, 0);
  EXPECT_EQ(export_file(acme_.admin, chess, true), before);
  // By number (the company's default key), and without public ids, likewise.
  const std::string plain = export_file(acme_.admin, chess, false);
  const auto again = import(acme_.admin, chess, plain, true);
  EXPECT_EQ(again.unchanged, 33);
  EXPECT_EQ(again.updated + again.created + again.added_to_groups + again.removed_from_group, 0);
  EXPECT_EQ(contact("61498828762"), "Texter|61498828762||||{}");
  // Merge off with the same file: the file is the membership already.
  const auto off = import(acme_.admin, chess, plain, false);
  EXPECT_EQ(off.removed_from_group, 0);
  EXPECT_EQ(export_file(acme_.admin, chess, true), before);
}

}  // namespace
