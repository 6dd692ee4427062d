// The inbound pipeline's pure parts: which submit_sm_resp ids a receipt's id may stand for,
// what a deliver_sm carries, and the MO as the store sees it (its source number in E.164).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/inbound.hpp"
#include "daemon/mo_reader.hpp"
#include "smpp/concat.hpp"

namespace smsgw::daemon {
namespace {

using ::testing::ElementsAre;

TEST(ReceiptIdForms, DecimalIdAlsoMatchesItsHexadecimalFormButNeverReadsAsHex) {
  // "100" is 0x64, never 256: reading it as hex would match another message.
  EXPECT_THAT(receipt_id_forms("100"), ElementsAre("100", "100", "64", "64"));
  EXPECT_THAT(receipt_id_forms("000123"), ElementsAre("000123", "123", "7b", "7B"));
}

TEST(ReceiptIdForms, HexadecimalIdAlsoMatchesItsDecimalFormAndOtherCase) {
  EXPECT_THAT(receipt_id_forms("7A3F2B"), ElementsAre("7A3F2B", "8011563", "7a3f2b", "7A3F2B"));
}

TEST(ReceiptIdForms, OtherIdsMatchOnlyThemselves) {
  EXPECT_THAT(receipt_id_forms("msg-42"), ElementsAre("msg-42"));
  EXPECT_THAT(receipt_id_forms("99999999999999999999999"), ElementsAre("99999999999999999999999"));
  EXPECT_THAT(receipt_id_forms(""), ElementsAre(""));
}

smpp::sm_body from(std::uint8_t ton, const std::string& source) {
  smpp::sm_body b;
  b.source = {ton, 1, source};
  b.destination = {0, 1, "4040"};
  return b;
}

std::string source_seen(std::uint8_t ton, const std::string& source,
                        const std::string& region = "AU") {
  return to_inbound("bind", from(ton, source), "STOP", region).source;
}

TEST(MoSource, PhoneNumbersBecomeE164HoweverTheSmscWritesThem) {
  // A STOP from 0412 345 678 must find the stop list's +61412345678, and the reverse.
  EXPECT_EQ(source_seen(1, "61412345678"), "+61412345678");  // international
  EXPECT_EQ(source_seen(2, "0412345678"), "+61412345678");   // national
  EXPECT_EQ(source_seen(0, "0412345678"), "+61412345678");   // unknown, national form
  EXPECT_EQ(source_seen(0, "61412345678"), "+61412345678");  // unknown, international form
  EXPECT_EQ(source_seen(0, "2025550123", "US"), "+12025550123");
}

TEST(MoSource, AmbiguousUnknownNumbersStayAsGiven) {
  // With TON unknown and region DE, 33612345678 may be German or French: replying to a
  // guess could message a stranger, so the SMSC's form is kept (and replied to as it is).
  EXPECT_EQ(source_seen(0, "33612345678", "DE"), "33612345678");
  EXPECT_EQ(source_seen(1, "33612345678", "DE"), "+33612345678");
}

TEST(MoSource, OtherSourcesStayAsGiven) {
  EXPECT_EQ(source_seen(5, "ACME"), "ACME");              // alphanumeric
  EXPECT_EQ(source_seen(6, "4040"), "4040");              // abbreviated (short code)
  EXPECT_EQ(source_seen(0, "12"), "12");                  // not a valid number
  EXPECT_EQ(source_seen(2, "04123+5678"), "04123+5678");  // not digits
}

TEST(ReadDeliver, EachDeliverSmIsAReceiptAWholeMoAPartOrMalformed) {
  smpp::sm_body b = from(2, "0412345678");
  b.short_message = "MOVIE";
  auto d = read_deliver("sim", b, "AU");
  EXPECT_EQ(d.what, delivered::kind::mo);
  EXPECT_EQ(d.mo.source, "+61412345678");
  EXPECT_EQ(d.mo.text, "MOVIE");
  EXPECT_FALSE(d.key);

  b.esm_class = 0x04;  // SMSC delivery receipt
  b.short_message =
      "id:1 sub:001 dlvrd:001 submit date:2401010000 done date:2401010000 "
      "stat:DELIVRD err:000 text:";
  EXPECT_EQ(read_deliver("sim", b, "AU").what, delivered::kind::receipt);

  // Part 2 of 3 of reference 0x11: keyed by the E.164 source, so that parts the SMSC
  // numbers differently still join.
  b.esm_class = smpp::esm_udhi;
  b.short_message = std::string("\x05\x00\x03\x11\x03\x02", 6) + "two";
  d = read_deliver("sim", b, "AU");
  EXPECT_EQ(d.what, delivered::kind::part);
  ASSERT_TRUE(d.key);
  EXPECT_EQ(d.key->source, "+61412345678");
  EXPECT_EQ(d.key->reference, 0x11);
  EXPECT_EQ(d.key->total, 3);
  EXPECT_EQ(d.index, 2);
  EXPECT_EQ(d.mo.octets, "two");

  b.short_message = std::string("\x05\x00\x03", 3);  // a UDH cut short
  d = read_deliver("sim", b, "AU");
  EXPECT_EQ(d.what, delivered::kind::malformed);
  EXPECT_EQ(d.problem, "bad_udh");
}

}  // namespace
}  // namespace smsgw::daemon
