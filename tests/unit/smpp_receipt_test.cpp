// Unit tests for delivery receipts (smpp/receipt.hpp). The texts are written as SMSCs of
// several vendors send them: SMPP 3.4 Appendix B is informative, so keys, case, field order
// and the id's base differ between them.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "smpp/pdu.hpp"
#include "smpp/receipt.hpp"

namespace smpp = smsgw::smpp;

namespace {

/// Raw octets as a std::string (TLV values are raw octets).
std::string raw(std::initializer_list<std::uint8_t> octets) {
  return std::string(octets.begin(), octets.end());
}

/// A deliver_sm body as an SMSC sends a receipt: esm_class 0x04 and `text`.
smpp::sm_body receipt_pdu(std::string text, std::vector<smpp::tlv> tlvs = {}) {
  smpp::sm_body b;
  b.esm_class = 0x04;
  b.short_message = std::move(text);
  b.tlvs = std::move(tlvs);
  return b;
}

smpp::receipt with_id(std::string id) {
  smpp::receipt r;
  r.message_id = std::move(id);
  return r;
}

}  // namespace

// --- is_receipt ----------------------------------------------------------------------------

TEST(SmppIsReceipt, SmscDeliveryReceipt) {
  EXPECT_TRUE(smpp::is_receipt(receipt_pdu("")));
}

TEST(SmppIsReceipt, SmeAcknowledgementsAndIntermediateNotification) {
  for (const std::uint8_t esm : {0x08, 0x10, 0x20}) {
    smpp::sm_body b;
    b.esm_class = esm;
    EXPECT_TRUE(smpp::is_receipt(b)) << "esm_class " << int{esm};
  }
}

TEST(SmppIsReceipt, ModeAndUdhiBitsDoNotHideAReceipt) {
  smpp::sm_body b;
  b.esm_class = 0x04 | 0x40 | 0x03;
  EXPECT_TRUE(smpp::is_receipt(b));
}

TEST(SmppIsReceipt, PlainMoIsNot) {
  smpp::sm_body b;
  b.esm_class = 0x00;
  EXPECT_FALSE(smpp::is_receipt(b));
}

TEST(SmppIsReceipt, UdhiAloneIsNot) {
  smpp::sm_body b;
  b.esm_class = 0x40;
  EXPECT_FALSE(smpp::is_receipt(b));
  b.esm_class = 0x80 | 0x03;  // reply path and mode bits
  EXPECT_FALSE(smpp::is_receipt(b));
}

TEST(SmppIsReceipt, ConversationAbortAndUnassignedTypesAreNot) {
  for (const std::uint8_t esm : {0x18, 0x0C, 0x14, 0x3C}) {
    smpp::sm_body b;
    b.esm_class = esm;
    EXPECT_FALSE(smpp::is_receipt(b)) << "esm_class " << int{esm};
  }
}

// --- parse_state / to_string ---------------------------------------------------------------

TEST(SmppParseState, AppendixBAbbreviations) {
  EXPECT_EQ(smpp::parse_state("ENROUTE"), smpp::message_state::enroute);
  EXPECT_EQ(smpp::parse_state("DELIVRD"), smpp::message_state::delivered);
  EXPECT_EQ(smpp::parse_state("EXPIRED"), smpp::message_state::expired);
  EXPECT_EQ(smpp::parse_state("DELETED"), smpp::message_state::deleted);
  EXPECT_EQ(smpp::parse_state("UNDELIV"), smpp::message_state::undeliverable);
  EXPECT_EQ(smpp::parse_state("ACCEPTD"), smpp::message_state::accepted);
  EXPECT_EQ(smpp::parse_state("UNKNOWN"), smpp::message_state::unknown);
  EXPECT_EQ(smpp::parse_state("REJECTD"), smpp::message_state::rejected);
}

TEST(SmppParseState, AnyCaseAndFullNames) {
  EXPECT_EQ(smpp::parse_state("delivrd"), smpp::message_state::delivered);
  EXPECT_EQ(smpp::parse_state("Delivered"), smpp::message_state::delivered);
  EXPECT_EQ(smpp::parse_state("UNDELIVERABLE"), smpp::message_state::undeliverable);
}

TEST(SmppParseState, NumericValuesOneToEight) {
  EXPECT_EQ(smpp::parse_state("1"), smpp::message_state::enroute);
  EXPECT_EQ(smpp::parse_state("2"), smpp::message_state::delivered);
  EXPECT_EQ(smpp::parse_state("5"), smpp::message_state::undeliverable);
  EXPECT_EQ(smpp::parse_state("8"), smpp::message_state::rejected);
}

TEST(SmppParseState, UnknownTextAndOutOfRangeNumbersAreNullopt) {
  EXPECT_EQ(smpp::parse_state(""), std::nullopt);
  EXPECT_EQ(smpp::parse_state("DELIV"), std::nullopt);
  EXPECT_EQ(smpp::parse_state("0"), std::nullopt);
  EXPECT_EQ(smpp::parse_state("9"), std::nullopt);
  EXPECT_EQ(smpp::parse_state("99999999999999999999999"), std::nullopt);
}

TEST(SmppParseState, ToStringGivesTheTextFormAndReadsBack) {
  EXPECT_STREQ(smpp::to_string(smpp::message_state::delivered), "DELIVRD");
  EXPECT_STREQ(smpp::to_string(smpp::message_state::undeliverable), "UNDELIV");
  for (int v = 1; v <= 8; ++v) {
    const auto s = static_cast<smpp::message_state>(v);
    EXPECT_EQ(smpp::parse_state(smpp::to_string(s)), s) << v;
  }
}

// --- parse_receipt: text -------------------------------------------------------------------

TEST(SmppParseReceipt, StandardAppendixBText) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:0123456789 sub:001 dlvrd:001 submit date:2311271530 done date:2311271531 "
                  "stat:DELIVRD err:000 text:Hello"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "0123456789");
  EXPECT_EQ(r->state, smpp::message_state::delivered);
  EXPECT_EQ(r->error, "000");
  EXPECT_EQ(r->submit_date, "2311271530");
  EXPECT_EQ(r->done_date, "2311271531");
}

TEST(SmppParseReceipt, UppercaseKeys) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("ID:A1B2C3 SUB:001 DLVRD:001 SUBMIT DATE:2311271530 DONE DATE:2311271531 "
                  "STAT:DELIVRD ERR:000 TEXT:"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "A1B2C3");
  EXPECT_EQ(r->state, smpp::message_state::delivered);
  EXPECT_EQ(r->error, "000");
  EXPECT_EQ(r->submit_date, "2311271530");
  EXPECT_EQ(r->done_date, "2311271531");
}

TEST(SmppParseReceipt, UnderscoreInDateKeys) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:88 sub:001 dlvrd:000 submit_date:2401010000 done_date:2401010005 "
                  "stat:EXPIRED err:027 text:Reminder"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->submit_date, "2401010000");
  EXPECT_EQ(r->done_date, "2401010005");
  EXPECT_EQ(r->state, smpp::message_state::expired);
  EXPECT_EQ(r->error, "027");
}

TEST(SmppParseReceipt, MissingTextField) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:1234 sub:001 dlvrd:000 submit date:2311271530 done date:2311271545 "
                  "stat:UNDELIV err:001"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "1234");
  EXPECT_EQ(r->state, smpp::message_state::undeliverable);
  EXPECT_EQ(r->error, "001");
}

TEST(SmppParseReceipt, SixtyFourCharacterId) {
  const std::string id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301-7b1c2d3e-aa55-4c1d-9e8f0011";
  ASSERT_EQ(id.size(), 64u);
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:" + id +
                  " sub:001 dlvrd:001 submit date:2311271530 done date:2311271531 "
                  "stat:DELIVRD err:000 text:"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, id);
  EXPECT_TRUE(r->matches(id));
}

TEST(SmppParseReceipt, EveryStatValue) {
  const struct {
    const char* stat;
    smpp::message_state state;
  } cases[] = {
      {"DELIVRD", smpp::message_state::delivered}, {"EXPIRED", smpp::message_state::expired},
      {"DELETED", smpp::message_state::deleted},   {"UNDELIV", smpp::message_state::undeliverable},
      {"ACCEPTD", smpp::message_state::accepted},  {"UNKNOWN", smpp::message_state::unknown},
      {"REJECTD", smpp::message_state::rejected},  {"ENROUTE", smpp::message_state::enroute},
  };
  for (const auto& c : cases) {
    const auto r = smpp::parse_receipt(receipt_pdu(
        std::string("id:42 sub:001 dlvrd:000 submit date:2311271530 done date:2311271531 stat:") +
        c.stat + " err:000 text:"));
    ASSERT_TRUE(r.has_value()) << c.stat;
    EXPECT_EQ(r->state, c.state) << c.stat;
  }
}

TEST(SmppParseReceipt, FieldsInAnotherOrderAndExtraFields) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("stat:REJECTD  err:0x0B id:XYZ-9 mcc:505 mnc:01 done date:2311271531"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "XYZ-9");
  EXPECT_EQ(r->state, smpp::message_state::rejected);
  EXPECT_EQ(r->error, "0x0B");
  EXPECT_EQ(r->done_date, "2311271531");
  EXPECT_EQ(r->submit_date, "");
}

TEST(SmppParseReceipt, TextFieldIsNotReadForFields) {
  // The quoted message says "stat:DELIVRD"; the receipt's own stat comes first and wins,
  // and what follows text: is the subscriber's words.
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:7 sub:001 dlvrd:000 submit date:2311271530 done date:2311271531 "
                  "stat:UNDELIV err:001 text:id:8 stat:DELIVRD"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "7");
  EXPECT_EQ(r->state, smpp::message_state::undeliverable);
  const auto only_text = smpp::parse_receipt(receipt_pdu("text:id:8 stat:DELIVRD"));
  EXPECT_EQ(only_text, std::nullopt);
}

TEST(SmppParseReceipt, StatMissingIsUnknown) {
  const auto r = smpp::parse_receipt(receipt_pdu("id:5 sub:001 dlvrd:001"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, smpp::message_state::unknown);
  EXPECT_EQ(r->error, "");
}

TEST(SmppParseReceipt, TextInMessagePayload) {
  const auto r = smpp::parse_receipt(receipt_pdu(
      "", {{smpp::tag::message_payload,
            "id:99 sub:001 dlvrd:001 submit date:2311271530 done date:2311271531 stat:DELIVRD "
            "err:000 text:"}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "99");
  EXPECT_EQ(r->state, smpp::message_state::delivered);
}

TEST(SmppParseReceipt, GarbageTextIsNullopt) {
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu("Your parcel is on its way!")), std::nullopt);
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu("")), std::nullopt);
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu("id: stat:DELIVRD")), std::nullopt);
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu("id")), std::nullopt);
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu(raw({0xFF, 0x00, 0x1B, ':', 0x80}))), std::nullopt);
  EXPECT_EQ(smpp::parse_receipt(receipt_pdu("paid:123 valid:456")), std::nullopt);
}

// --- parse_receipt: TLVs -------------------------------------------------------------------

TEST(SmppParseReceipt, NumericMessageStateTlvValues) {
  for (std::uint8_t v = 1; v <= 8; ++v) {
    const auto r = smpp::parse_receipt(receipt_pdu(
        "", {{smpp::tag::receipted_message_id, "abc"}, {smpp::tag::message_state, raw({v})}}));
    ASSERT_TRUE(r.has_value()) << int{v};
    EXPECT_EQ(r->state, static_cast<smpp::message_state>(v)) << int{v};
  }
}

TEST(SmppParseReceipt, MessageStateTlvWinsOverTextStat) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:1 stat:DELIVRD", {{smpp::tag::message_state, raw({0x05})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, smpp::message_state::undeliverable);
}

TEST(SmppParseReceipt, MessageStateTlvOutOfRangeFallsBackToText) {
  const auto r =
      smpp::parse_receipt(receipt_pdu("id:1 stat:EXPIRED", {{smpp::tag::message_state, raw({0})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, smpp::message_state::expired);
}

TEST(SmppParseReceipt, ReceiptedMessageIdTlvWithNulWinsOverText) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:111 sub:001 dlvrd:001 stat:DELIVRD err:000 text:",
                  {{smpp::tag::receipted_message_id, std::string("6F1A", 4) + '\0'}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "6F1A");
  EXPECT_EQ(r->state, smpp::message_state::delivered);
}

TEST(SmppParseReceipt, ReceiptedMessageIdTlvWithoutNul) {
  const auto r = smpp::parse_receipt(receipt_pdu("", {{smpp::tag::receipted_message_id, "msg-0042"},
                                                      {smpp::tag::message_state, raw({0x02})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "msg-0042");
  EXPECT_EQ(r->state, smpp::message_state::delivered);
}

TEST(SmppParseReceipt, EmptyReceiptedMessageIdTlvFallsBackToText) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:222 stat:DELIVRD", {{smpp::tag::receipted_message_id, raw({0x00})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message_id, "222");
}

TEST(SmppParseReceipt, NetworkErrorCodeTlvRenderedAsHex) {
  // GSM network (type 3), error 0x000B.
  const auto r = smpp::parse_receipt(
      receipt_pdu("", {{smpp::tag::receipted_message_id, "9"},
                       {smpp::tag::message_state, raw({0x05})},
                       {smpp::tag::network_error_code, raw({0x03, 0x00, 0x0B})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, "03000B");
  EXPECT_EQ(r->state, smpp::message_state::undeliverable);
}

TEST(SmppParseReceipt, TextErrWinsOverNetworkErrorCode) {
  const auto r = smpp::parse_receipt(receipt_pdu(
      "id:9 stat:UNDELIV err:034", {{smpp::tag::network_error_code, raw({0x03, 0x00, 0x0B})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, "034");
}

TEST(SmppParseReceipt, NetworkErrorCodeOfWrongLengthIsIgnored) {
  const auto r = smpp::parse_receipt(
      receipt_pdu("id:9", {{smpp::tag::network_error_code, raw({0x03, 0x0B})}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, "");
}

TEST(SmppParseReceipt, NoIdAnywhereIsNullopt) {
  EXPECT_EQ(smpp::parse_receipt(
                receipt_pdu("stat:DELIVRD err:000", {{smpp::tag::message_state, raw({0x02})}})),
            std::nullopt);
}

// --- receipt::matches ----------------------------------------------------------------------

TEST(SmppReceiptMatches, EqualStrings) {
  EXPECT_TRUE(with_id("abc-123").matches("abc-123"));
  EXPECT_FALSE(with_id("abc-123").matches("abc-124"));
}

TEST(SmppReceiptMatches, DecimalWithLeadingZerosMatchesNumerically) {
  EXPECT_TRUE(with_id("000123").matches("123"));
  EXPECT_TRUE(with_id("123").matches("000123"));
  EXPECT_FALSE(with_id("000123").matches("1230"));
}

TEST(SmppReceiptMatches, HexReceiptIdMatchesDecimalSubmitId) {
  const auto r = smpp::parse_receipt(receipt_pdu(
      "id:7A3F2B sub:001 dlvrd:001 submit date:2311271530 done date:2311271531 stat:DELIVRD "
      "err:000 text:"));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->matches("8011563"));
  EXPECT_FALSE(r->matches("8011564"));
}

TEST(SmppReceiptMatches, DecimalReceiptIdMatchesHexSubmitId) {
  EXPECT_TRUE(with_id("8011563").matches("7A3F2B"));
  EXPECT_TRUE(with_id("8011563").matches("7a3f2b"));
  EXPECT_FALSE(with_id("8011563").matches("7A3F2C"));
}

TEST(SmppReceiptMatches, TwoDecimalsAreNeverReadAsHex) {
  // "100" in hex is 256: both are decimal, so they are different messages.
  EXPECT_FALSE(with_id("100").matches("256"));
  EXPECT_FALSE(with_id("256").matches("100"));
}

TEST(SmppReceiptMatches, HexIdsDifferingInCaseMatch) {
  EXPECT_TRUE(with_id("7a3f2b").matches("7A3F2B"));
  EXPECT_TRUE(with_id("0A").matches("a"));
}

TEST(SmppReceiptMatches, OverflowIsNotNumeric) {
  // 2^64, with and without a leading zero: too big for 64 bits, so only text equality.
  EXPECT_FALSE(with_id("18446744073709551616").matches("018446744073709551616"));
  EXPECT_TRUE(with_id("18446744073709551615").matches("018446744073709551615"));
  EXPECT_FALSE(with_id("FFFFFFFFFFFFFFFFF").matches("295147905179352825855"));
  EXPECT_TRUE(with_id("99999999999999999999999999").matches("99999999999999999999999999"));
}

TEST(SmppReceiptMatches, UuidsCompareAsText) {
  EXPECT_FALSE(with_id("3f2504e0-4f89-11d3").matches("3F2504E0-4F89-11D3"));
}

TEST(SmppReceiptMatches, EmptyIdsMatchNothing) {
  EXPECT_FALSE(with_id("").matches(""));
  EXPECT_FALSE(with_id("").matches("0"));
  EXPECT_FALSE(with_id("0").matches(""));
}
