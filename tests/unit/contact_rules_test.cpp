// The contact store's pure rules: phone numbers to E.164 (libphonenumber) and the manual's
// field rules for names, aliases, emails, public ids, tags and properties.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "store/fields.hpp"
#include "store/phone.hpp"

namespace store = smsgw::store;

namespace {

std::string e164(const std::string& text, const std::string& region = "AU") {
  const auto n = store::to_e164(text, region);
  return n ? *n : "error: " + n.error();
}

/// A field rule's answer as text: the value, "<none>", or "error: " and the reason.
std::string shown(const tl::expected<std::string, std::string>& v) {
  return v ? *v : "error: " + v.error();
}
std::string shown(const tl::expected<std::optional<std::string>, std::string>& v) {
  if (!v) return "error: " + v.error();
  return *v ? **v : "<none>";
}

TEST(PhoneTest, InternationalInputIsKeptInE164) {
  EXPECT_EQ(e164("+61497565432"), "+61497565432");
  EXPECT_EQ(e164("+61 412 345 678"), "+61412345678");
  EXPECT_EQ(e164("+1 (415) 555-2671"), "+14155552671");
  EXPECT_EQ(e164("  +44 7911 123456 "), "+447911123456");
}

TEST(PhoneTest, NationalNumbersUseTheDefaultRegion) {
  EXPECT_EQ(e164("0412345678"), "+61412345678");
  EXPECT_EQ(e164("0412 345 678"), "+61412345678");
  EXPECT_EQ(e164("(415) 555-2671", "US"), "+14155552671");
  EXPECT_EQ(e164("07911 123456", "GB"), "+447911123456");
}

TEST(PhoneTest, InternationalNumbersWithoutPlusAsTheManualsImportFilesHaveThem) {
  EXPECT_EQ(e164("61497565432"), "+61497565432");
  EXPECT_EQ(e164("447911123456"), "+447911123456");
  // The region's international prefix works too.
  EXPECT_EQ(e164("0011 44 7911 123456"), "+447911123456");
}

TEST(PhoneTest, NumbersThatReadTwoWaysAreRefused) {
  // In Germany, 33612345678 is a national number and a French mobile without its +.
  EXPECT_EQ(e164("33612345678", "DE"),
            "error: is ambiguous: +4933612345678 or +33612345678; write it with + or the "
            "national prefix");
  EXPECT_EQ(e164("+33612345678", "DE"), "+33612345678");
  EXPECT_EQ(e164("033612345678", "DE"), "+4933612345678");
}

TEST(PhoneTest, InvalidNumbersAreRefusedWithTheReason) {
  EXPECT_EQ(e164(""), "error: is empty");
  EXPECT_EQ(e164("   "), "error: is empty");
  EXPECT_EQ(e164("1-800-FLOWERS", "US"), "error: is not a phone number");
  EXPECT_EQ(e164("+61 412 345"), "error: is not a valid phone number");        // too short
  EXPECT_EQ(e164("+61 412 345 678 9"), "error: is not a valid phone number");  // too long
  EXPECT_EQ(e164("+999 1234 5678"), "error: is not a valid phone number");     // no such country
  EXPECT_EQ(e164("12"), "error: is not a valid phone number");
  EXPECT_EQ(e164(std::string(41, '1')), "error: is not a phone number");
  // Valid for libphonenumber's German metadata, but 16 digits (E.164 allows 15) or 6.
  EXPECT_EQ(e164("(39191999199992", "DE"), "error: is not a valid phone number");
  EXPECT_EQ(e164("+49 39191 999199992"), "error: is not a valid phone number");
  EXPECT_EQ(e164("01681", "DE"), "error: is not a valid phone number");
  EXPECT_EQ(e164("+683 4002"), "+6834002");  // Niue: 7 digits
}

TEST(FieldsTest, NamesMustBeShorterThan70Characters) {
  EXPECT_EQ(shown(store::normalise_contact_name("  Joe Famous ")), "Joe Famous");
  EXPECT_EQ(shown(store::normalise_contact_name("")), "");
  EXPECT_EQ(shown(store::normalise_contact_name(std::string(69, 'a'))), std::string(69, 'a'));
  EXPECT_EQ(store::normalise_contact_name(std::string(70, 'a')).error(),
            "must be less than 70 characters");
  // Characters, not bytes: 69 two-byte letters are fine.
  std::string accents;
  for (int i = 0; i < 69; ++i) accents += "\xC3\xA9";
  EXPECT_EQ(shown(store::normalise_contact_name(accents)), accents);
  EXPECT_EQ(store::normalise_contact_name("Joe\tFamous").error(), "contains control characters");
  EXPECT_EQ(store::normalise_contact_name("\xC3").error(), "is not valid UTF-8");
}

TEST(FieldsTest, AliasesAreTruncatedAt64AndLimitedToSafeCharacters) {
  EXPECT_EQ(shown(store::normalise_alias("bigjoe")), "bigjoe");
  EXPECT_EQ(shown(store::normalise_alias("Big.Joe_2-x")), "Big.Joe_2-x");
  EXPECT_EQ(shown(store::normalise_alias("  ")), "<none>");
  EXPECT_EQ(shown(store::normalise_alias(std::string(80, 'x'))), std::string(63, 'x'));
  // Only what survives truncation is checked.
  EXPECT_EQ(shown(store::normalise_alias(std::string(63, 'x') + " !")), std::string(63, 'x'));
  const std::string reason =
      "may only contain letters a-z, digits, hyphen, underscore and full stop";
  EXPECT_EQ(store::normalise_alias("big joe").error(), reason);
  EXPECT_EQ(store::normalise_alias("joe@home").error(), reason);
  EXPECT_EQ(store::normalise_alias("J\xC3\xB6rg").error(), reason);
}

TEST(FieldsTest, EmailsAreTruncatedAt254) {
  EXPECT_EQ(shown(store::normalise_email(" ann@example.com ")), "ann@example.com");
  EXPECT_EQ(shown(store::normalise_email("")), "<none>");
  const std::string long_email = "a@" + std::string(300, 'b');
  EXPECT_EQ(shown(store::normalise_email(long_email)), long_email.substr(0, 254));
  EXPECT_EQ(store::normalise_email("not an email").error(), "is not an email address");
  EXPECT_EQ(store::normalise_email("@example.com").error(), "is not an email address");
  EXPECT_EQ(store::normalise_email("ann@").error(), "is not an email address");
}

TEST(FieldsTest, PublicIdsTagValuesAndTitles) {
  EXPECT_EQ(shown(store::normalise_public_id(" C342334 ")), "C342334");
  EXPECT_EQ(store::normalise_public_id(std::string(101, '9')).error(),
            "must be at most 100 characters");
  EXPECT_EQ(shown(store::normalise_tag_value(" Paris ")), "Paris");
  EXPECT_EQ(shown(store::normalise_tag_value("")), "<none>");
  EXPECT_EQ(store::normalise_tag_value(std::string(1001, 'x')).error(),
            "must be at most 1000 characters");
  EXPECT_EQ(shown(store::normalise_title("  VIPs ", 100)), "VIPs");
  EXPECT_EQ(store::normalise_title(" ", 100).error(), "must not be empty");
  EXPECT_EQ(store::normalise_title(std::string(101, 'x'), 100).error(),
            "must be at most 100 characters");
}

TEST(FieldsTest, PropertyNames) {
  EXPECT_EQ(shown(store::normalise_property_name(" City ")), "city");
  EXPECT_EQ(shown(store::normalise_property_name("pet_name2")), "pet_name2");
  EXPECT_EQ(shown(store::normalise_property_name("email")), "email");
  EXPECT_EQ(store::normalise_property_name("Name").error(), "is a standard column");
  EXPECT_EQ(store::normalise_property_name("public_id").error(), "is a standard column");
  const std::string shape = "must start with a letter and hold only a-z, 0-9 and _ (at most 40)";
  EXPECT_EQ(store::normalise_property_name("2nd").error(), shape);
  EXPECT_EQ(store::normalise_property_name("team name").error(), shape);
  EXPECT_EQ(store::normalise_property_name(std::string(41, 'a')).error(), shape);
}

TEST(FieldsTest, Utf8) {
  EXPECT_TRUE(store::valid_utf8("plain"));
  EXPECT_TRUE(store::valid_utf8("J\xC3\xB6rg \xF0\x9F\x98\x80"));
  EXPECT_FALSE(store::valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(store::valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(store::valid_utf8("\xF0\x9F\x98"));  // cut short
  EXPECT_EQ(store::utf8_length("J\xC3\xB6rg \xF0\x9F\x98\x80"), 6U);
}

}  // namespace

TEST(PhoneTest, AContactNumberIsWhatTheContactsCheckAccepts) {
  // `^\+?[0-9]{3,20}$` (migration 001): what an MO's sender must be to join a group.
  for (const char* yes : {"+61400000001", "61400000001", "4040", "123", "+12345678901234567890"})
    EXPECT_TRUE(store::is_contact_number(yes)) << yes;
  for (const char* no : {"", "+", "12", "+12", "ACME", "+61 400", "123456789012345678901", "++123",
                         "12a4", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"})
    EXPECT_FALSE(store::is_contact_number(no)) << no;
}

TEST(PhoneTest, NumberSearchesLookForE164Digits) {
  EXPECT_TRUE(store::looks_like_number("+61 4"));
  EXPECT_TRUE(store::looks_like_number("(04) 12-3"));
  EXPECT_FALSE(store::looks_like_number("Don"));
  EXPECT_FALSE(store::looks_like_number("+ -"));
  EXPECT_FALSE(store::looks_like_number("R2D2"));
  // National input: the national prefix becomes the country code.
  EXPECT_EQ(store::number_search_digits("0412 000", "AU"), "61412000");
  EXPECT_EQ(store::number_search_digits("(02) 9", "AU"),
            "612"
            "9");
  // International input, with or without +, as typed.
  EXPECT_EQ(store::number_search_digits("+61 4", "AU"), "614");
  EXPECT_EQ(store::number_search_digits("614", "AU"), "614");
  EXPECT_EQ(store::number_search_digits("+0412", "AU"), "0412");
  // The US national prefix is its country code.
  EXPECT_EQ(store::number_search_digits("1 202", "US"), "1202");
}

TEST(SystemIdTest, OnlyPositiveIdsThatFitAreRead) {
  EXPECT_EQ(store::parse_system_id("C#1042", "C#"), 1042);
  EXPECT_EQ(store::parse_system_id("G#9223372036854775807", "G#"), 9223372036854775807);
  for (const char* bad : {"C#9223372036854775808", "C#99999999999999999999", "C#", "C#0", "C#01",
                          "C#-1", "C#+1", "C# 1", "C#1 ", "G#1", "c#1", "1042"}) {
    EXPECT_EQ(store::parse_system_id(bad, "C#"), std::nullopt) << bad;
  }
}
