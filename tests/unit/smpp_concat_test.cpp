// Unit tests for concatenated SMS (smpp/concat.hpp): reading parts from the UDH (3GPP TS
// 23.040 §9.2.3.24, IEI 0x00 and 0x08) and the SAR TLVs (SMPP 3.4 §5.3.2.22-24),
// reassembling them, and splitting long replies.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "smpp/text.hpp"

namespace smpp = smsgw::smpp;

namespace {

/// Raw octets as a std::string (short_message and TLV values are raw octets).
std::string raw(std::initializer_list<std::uint8_t> octets) {
  return std::string(octets.begin(), octets.end());
}

/// A deliver_sm body with UDHI set and `short_message`.
smpp::sm_body with_udh(std::string short_message) {
  smpp::sm_body b;
  b.esm_class = smpp::esm_udhi;
  b.short_message = std::move(short_message);
  return b;
}

/// A deliver_sm body carrying the three SAR TLVs.
smpp::sm_body with_sar(std::string text, std::uint16_t ref, std::uint8_t total, std::uint8_t seq) {
  smpp::sm_body b;
  b.short_message = std::move(text);
  b.tlvs = {{smpp::tag::sar_msg_ref_num,
             raw({static_cast<std::uint8_t>(ref >> 8), static_cast<std::uint8_t>(ref & 0xFF)})},
            {smpp::tag::sar_total_segments, raw({total})},
            {smpp::tag::sar_segment_seqnum, raw({seq})}};
  return b;
}

/// Expects `r` to hold octets and returns them.
smpp::message_octets value_of(const smpp::read_result& r) {
  EXPECT_FALSE(r.error.has_value());
  EXPECT_TRUE(r.value.has_value());
  return r.value.value_or(smpp::message_octets{});
}

smpp::message_octets part(std::string octets, std::uint16_t ref, std::uint8_t total,
                          std::uint8_t index) {
  return {std::move(octets), smpp::part_info{ref, total, index}};
}

/// GSM text as encode_text gives it: one septet per octet.
smpp::encoded_text gsm(std::string septets) {
  const std::size_t n = septets.size();
  return {smpp::coding::smsc_default, std::move(septets), n};
}

/// UCS-2 text of `units` copies of U+0416 (Ж).
smpp::encoded_text ucs2_units(std::size_t units) {
  smpp::encoded_text t{smpp::coding::ucs2, {}, units};
  for (std::size_t i = 0; i < units; ++i) t.octets += raw({0x04, 0x16});
  return t;
}

/// Reads every part back as an SMSC would deliver it and reassembles them.
std::optional<std::string> round_trip(const std::vector<smpp::submit_part>& parts) {
  std::vector<smpp::message_octets> read;
  for (const auto& p : parts) {
    smpp::sm_body b;
    b.esm_class = p.udhi ? smpp::esm_udhi : 0;
    b.short_message = p.short_message;
    const auto r = smpp::read_octets(b);
    if (!r.value) return std::nullopt;
    read.push_back(*r.value);
  }
  return smpp::assemble(read);
}

}  // namespace

// --- read_octets: no concatenation ---------------------------------------------------------

TEST(SmppReadOctets, PlainShortMessageIsOneWholeMessage) {
  smpp::sm_body b;
  b.short_message = "hello";
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, "hello");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, MessagePayloadIsReadWhenShortMessageIsEmpty) {
  smpp::sm_body b;
  b.tlvs = {{smpp::tag::message_payload, std::string(300, 'x')}};
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, std::string(300, 'x'));
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, ShortMessageWinsOverMessagePayloadWhenBothArePresent) {
  smpp::sm_body b;
  b.short_message = "short";
  b.tlvs = {{smpp::tag::message_payload, "payload"}};
  EXPECT_EQ(value_of(smpp::read_octets(b)).octets, "short");
}

TEST(SmppReadOctets, EmptyMessageWithoutUdhiIsEmptyOctets) {
  const auto m = value_of(smpp::read_octets(smpp::sm_body{}));
  EXPECT_EQ(m.octets, "");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, UdhLookalikeWithoutUdhiIsKeptAsText) {
  smpp::sm_body b;
  b.short_message = raw({0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 'h', 'i'});
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, b.short_message);
  EXPECT_FALSE(m.part.has_value());
}

// --- read_octets: UDH ----------------------------------------------------------------------

TEST(SmppReadOctets, UdhConcat8BitReferenceGivesPartAndStripsHeader) {
  const auto m =
      value_of(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x2A, 0x03, 0x02, 'a', 'b'}))));
  EXPECT_EQ(m.octets, "ab");
  EXPECT_EQ(m.part, (smpp::part_info{0x2A, 3, 2}));
}

TEST(SmppReadOctets, UdhConcat16BitReferenceGivesPartAndStripsHeader) {
  const auto m = value_of(
      smpp::read_octets(with_udh(raw({0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 'x', 'y', 'z'}))));
  EXPECT_EQ(m.octets, "xyz");
  EXPECT_EQ(m.part, (smpp::part_info{0x1234, 2, 1}));
}

TEST(SmppReadOctets, PortAddressingIeBeforeConcatIsSkipped) {
  // IEI 0x05 (16-bit ports 2948 -> 9200, WAP push), then IEI 0x00.
  const auto m = value_of(smpp::read_octets(with_udh(
      raw({0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x02, 'w'}))));
  EXPECT_EQ(m.octets, "w");
  EXPECT_EQ(m.part, (smpp::part_info{0x07, 2, 2}));
}

TEST(SmppReadOctets, LanguageShiftIeAfterConcatIsSkipped) {
  // IEI 0x08, then IEI 0x24 (national language single shift, Turkish).
  const auto m = value_of(smpp::read_octets(
      with_udh(raw({0x09, 0x08, 0x04, 0xAB, 0xCD, 0x04, 0x04, 0x24, 0x01, 0x01, 'q'}))));
  EXPECT_EQ(m.octets, "q");
  EXPECT_EQ(m.part, (smpp::part_info{0xABCD, 4, 4}));
}

TEST(SmppReadOctets, UdhWithoutConcatIeIsStrippedAndGivesNoPart) {
  const auto m =
      value_of(smpp::read_octets(with_udh(raw({0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 'p'}))));
  EXPECT_EQ(m.octets, "p");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, EmptyUdhStripsOnlyItsLengthOctet) {
  const auto m = value_of(smpp::read_octets(with_udh(raw({0x00, 'o', 'k'}))));
  EXPECT_EQ(m.octets, "ok");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, UdhFillingTheWholeMessageLeavesEmptyOctets) {
  const auto m = value_of(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x01, 0x02, 0x02}))));
  EXPECT_EQ(m.octets, "");
  EXPECT_EQ(m.part, (smpp::part_info{0x01, 2, 2}));
}

TEST(SmppReadOctets, UdhConcatSayingTotalOneGivesNoPart) {
  const auto m =
      value_of(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x09, 0x01, 0x01, 'a'}))));
  EXPECT_EQ(m.octets, "a");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, RepeatedConcatIeTheLastOneCounts) {
  const auto m = value_of(smpp::read_octets(
      with_udh(raw({0x0A, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x03, 0x02, 0x03, 0x03, 'r'}))));
  EXPECT_EQ(m.part, (smpp::part_info{0x02, 3, 3}));
}

TEST(SmppReadOctets, UdhInMessagePayloadIsStripped) {
  smpp::sm_body b;
  b.esm_class = smpp::esm_udhi | 0x03;  // store-and-forward mode bits do not matter
  b.tlvs = {{smpp::tag::message_payload, raw({0x05, 0x00, 0x03, 0x11, 0x02, 0x01, 'm', 'p'})}};
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, "mp");
  EXPECT_EQ(m.part, (smpp::part_info{0x11, 2, 1}));
}

TEST(SmppReadOctets, UdhiWithNoDataIsBadUdh) {
  const auto r = smpp::read_octets(with_udh(""));
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.error, smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, UdhLengthBeyondTheDataIsBadUdh) {
  const auto r = smpp::read_octets(with_udh(raw({0x06, 0x00, 0x03, 0x01, 0x02, 0x01})));
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.error, smpp::octets_error::bad_udh);
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0xFF}))).error, smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, IeLengthOverrunningTheUdhIsBadUdh) {
  // The IE claims 4 octets but the UDH has 3 after its header; the text would supply more.
  const auto r =
      smpp::read_octets(with_udh(raw({0x05, 0x00, 0x04, 0x01, 0x02, 0x01, 'a', 'b', 'c'})));
  EXPECT_EQ(r.error, smpp::octets_error::bad_udh);
  EXPECT_FALSE(r.value.has_value());
}

TEST(SmppReadOctets, IeWithoutItsLengthOctetIsBadUdh) {
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x01, 0x00, 'a'}))).error, smpp::octets_error::bad_udh);
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x06, 0x00, 0x03, 0x01, 0x02, 0x01, 0x24, 'a'}))).error,
            smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, ConcatIeWithWrongLengthIsBadUdh) {
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x04, 0x00, 0x02, 0x01, 0x02, 'a'}))).error,
            smpp::octets_error::bad_udh);
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x05, 0x08, 0x03, 0x01, 0x02, 0x01, 'a'}))).error,
            smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, ConcatIeWithTotalZeroIsBadUdh) {
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x01, 0x00, 0x00, 'a'}))).error,
            smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, ConcatIeWithIndexZeroIsBadUdh) {
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x01, 0x02, 0x00, 'a'}))).error,
            smpp::octets_error::bad_udh);
}

TEST(SmppReadOctets, ConcatIeWithIndexAboveTotalIsBadUdh) {
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x05, 0x00, 0x03, 0x01, 0x02, 0x03, 'a'}))).error,
            smpp::octets_error::bad_udh);
  EXPECT_EQ(smpp::read_octets(with_udh(raw({0x06, 0x08, 0x04, 0x00, 0x01, 0x01, 0x02, 'a'}))).error,
            smpp::octets_error::bad_udh);
}

// --- read_octets: SAR TLVs -----------------------------------------------------------------

TEST(SmppReadOctets, SarTlvsGivePart) {
  const auto m = value_of(smpp::read_octets(with_sar("part two", 0xBEEF, 3, 2)));
  EXPECT_EQ(m.octets, "part two");
  EXPECT_EQ(m.part, (smpp::part_info{0xBEEF, 3, 2}));
}

TEST(SmppReadOctets, SarSayingTotalOneGivesNoPart) {
  const auto m = value_of(smpp::read_octets(with_sar("whole", 7, 1, 1)));
  EXPECT_EQ(m.octets, "whole");
  EXPECT_FALSE(m.part.has_value());
}

TEST(SmppReadOctets, SarMissingAnyOfTheThreeIsBadSar) {
  for (std::size_t drop = 0; drop < 3; ++drop) {
    auto b = with_sar("x", 1, 2, 1);
    b.tlvs.erase(b.tlvs.begin() + static_cast<std::ptrdiff_t>(drop));
    const auto r = smpp::read_octets(b);
    EXPECT_EQ(r.error, smpp::octets_error::bad_sar) << "without TLV " << drop;
    EXPECT_FALSE(r.value.has_value());
  }
  smpp::sm_body only_ref;
  only_ref.tlvs = {{smpp::tag::sar_msg_ref_num, raw({0x00, 0x01})}};
  EXPECT_EQ(smpp::read_octets(only_ref).error, smpp::octets_error::bad_sar);
}

TEST(SmppReadOctets, SarOutOfRangeIsBadSar) {
  EXPECT_EQ(smpp::read_octets(with_sar("x", 1, 0, 0)).error, smpp::octets_error::bad_sar);
  EXPECT_EQ(smpp::read_octets(with_sar("x", 1, 2, 0)).error, smpp::octets_error::bad_sar);
  EXPECT_EQ(smpp::read_octets(with_sar("x", 1, 2, 3)).error, smpp::octets_error::bad_sar);
}

TEST(SmppReadOctets, SarWithWrongWidthsIsBadSar) {
  auto b = with_sar("x", 1, 2, 1);
  b.tlvs[0].value = raw({0x01});  // sar_msg_ref_num is 16 bits
  EXPECT_EQ(smpp::read_octets(b).error, smpp::octets_error::bad_sar);
  b = with_sar("x", 1, 2, 1);
  b.tlvs[2].value = "";  // sar_segment_seqnum is 8 bits
  EXPECT_EQ(smpp::read_octets(b).error, smpp::octets_error::bad_sar);
}

TEST(SmppReadOctets, SarOnMessagePayload) {
  auto b = with_sar("", 0x0102, 2, 2);
  b.tlvs.push_back({smpp::tag::message_payload, "from payload"});
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, "from payload");
  EXPECT_EQ(m.part, (smpp::part_info{0x0102, 2, 2}));
}

TEST(SmppReadOctets, UdhConcatWinsOverSar) {
  auto b = with_sar(raw({0x05, 0x00, 0x03, 0x44, 0x02, 0x02, 'u'}), 0x9999, 5, 5);
  b.esm_class = smpp::esm_udhi;
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, "u");
  EXPECT_EQ(m.part, (smpp::part_info{0x44, 2, 2}));
}

TEST(SmppReadOctets, UdhWithoutConcatFallsBackToSar) {
  auto b = with_sar(raw({0x03, 0x24, 0x01, 0x01, 's'}), 0x0042, 2, 1);
  b.esm_class = smpp::esm_udhi;
  const auto m = value_of(smpp::read_octets(b));
  EXPECT_EQ(m.octets, "s");
  EXPECT_EQ(m.part, (smpp::part_info{0x0042, 2, 1}));
}

// --- assemble ------------------------------------------------------------------------------

TEST(SmppAssemble, PartsInOrderAreConcatenated) {
  EXPECT_EQ(smpp::assemble({part("Hel", 5, 3, 1), part("lo ", 5, 3, 2), part("you", 5, 3, 3)}),
            "Hello you");
}

TEST(SmppAssemble, PartsOutOfOrderAreConcatenatedByIndex) {
  EXPECT_EQ(smpp::assemble({part("you", 5, 3, 3), part("Hel", 5, 3, 1), part("lo ", 5, 3, 2)}),
            "Hello you");
}

TEST(SmppAssemble, MissingPartGivesNullopt) {
  EXPECT_EQ(smpp::assemble({part("Hel", 5, 3, 1), part("you", 5, 3, 3)}), std::nullopt);
  EXPECT_EQ(smpp::assemble({part("you", 5, 3, 3)}), std::nullopt);
}

TEST(SmppAssemble, NoPartsGivesNullopt) {
  EXPECT_EQ(smpp::assemble({}), std::nullopt);
}

TEST(SmppAssemble, DuplicateIndexFirstOneWins) {
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("X", 1, 2, 1), part("B", 1, 2, 2)}), "AB");
}

TEST(SmppAssemble, DuplicatesDoNotCountAsMissingParts) {
  EXPECT_EQ(smpp::assemble({part("A", 1, 3, 1), part("A", 1, 3, 1), part("C", 1, 3, 3)}),
            std::nullopt);
}

TEST(SmppAssemble, PartsWithAnotherReferenceAreIgnored) {
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("Z", 2, 2, 2)}), std::nullopt);
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("Z", 2, 2, 2), part("B", 1, 2, 2)}), "AB");
}

TEST(SmppAssemble, PartsWithAnotherTotalAreIgnored) {
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("Z", 1, 3, 2)}), std::nullopt);
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("Z", 1, 3, 2), part("B", 1, 2, 2)}), "AB");
}

TEST(SmppAssemble, PartsWithIndexOutOfRangeAreIgnored) {
  EXPECT_EQ(smpp::assemble({part("A", 1, 2, 1), part("Z", 1, 2, 0), part("Y", 1, 2, 3)}),
            std::nullopt);
}

TEST(SmppAssemble, SixteenBitReferencesAreComparedWhole) {
  EXPECT_EQ(smpp::assemble({part("A", 0x0101, 2, 1), part("Z", 0x0201, 2, 2)}), std::nullopt);
}

TEST(SmppAssemble, UnconcatenatedMessageIsItsOwnWhole) {
  EXPECT_EQ(smpp::assemble({smpp::message_octets{"single", std::nullopt}}), "single");
}

TEST(SmppAssemble, AllTwoHundredFiftyFivePartsInReverse) {
  std::vector<smpp::message_octets> parts;
  std::string expected;
  for (int i = 1; i <= 255; ++i) expected += static_cast<char>(i);
  for (int i = 255; i >= 1; --i) {
    parts.push_back(
        part(std::string(1, static_cast<char>(i)), 9, 255, static_cast<std::uint8_t>(i)));
  }
  EXPECT_EQ(smpp::assemble(parts), expected);
}

// --- split: GSM ----------------------------------------------------------------------------

TEST(SmppSplit, EmptyTextIsOnePartWithoutUdh) {
  const auto parts = smpp::split(gsm(""), {});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].short_message, "");
  EXPECT_FALSE(parts[0].udhi);
}

TEST(SmppSplit, GsmOf160SeptetsIsOnePart) {
  const auto parts = smpp::split(gsm(std::string(160, 'a')), {});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].short_message, std::string(160, 'a'));
  EXPECT_FALSE(parts[0].udhi);
}

TEST(SmppSplit, GsmOf161SeptetsIsTwoPartsOf153AndEight) {
  const std::string text = std::string(153, 'a') + std::string(8, 'b');
  const auto parts = smpp::split(gsm(text), {false, 0x2A});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message,
            raw({0x05, 0x00, 0x03, 0x2A, 0x02, 0x01}) + std::string(153, 'a'));
  EXPECT_EQ(parts[1].short_message,
            raw({0x05, 0x00, 0x03, 0x2A, 0x02, 0x02}) + std::string(8, 'b'));
  EXPECT_TRUE(parts[0].udhi);
  EXPECT_TRUE(parts[1].udhi);
  EXPECT_EQ(parts[0].short_message.size(), 159u);
}

TEST(SmppSplit, GsmWith16BitReferenceUses152SeptetParts) {
  const std::string text = std::string(152, 'a') + std::string(9, 'b');
  const auto parts = smpp::split(gsm(text), {true, 0x1234});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message,
            raw({0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01}) + std::string(152, 'a'));
  EXPECT_EQ(parts[1].short_message,
            raw({0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02}) + std::string(9, 'b'));
}

TEST(SmppSplit, EightBitModeUsesTheLowEightBitsOfTheReference) {
  const auto parts = smpp::split(gsm(std::string(200, 'a')), {false, 0x1234});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message.substr(0, 6), raw({0x05, 0x00, 0x03, 0x34, 0x02, 0x01}));
}

TEST(SmppSplit, GsmEscapeIsNeverTheLastSeptetOfAPart) {
  // 152 septets, then the euro sign (0x1B 0x65): the pair would straddle the cut.
  const std::string text = std::string(152, 'a') + raw({0x1B, 0x65}) + std::string(10, 'c');
  const auto parts = smpp::split(gsm(text), {});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message.substr(6), std::string(152, 'a'));
  EXPECT_EQ(parts[1].short_message.substr(6), raw({0x1B, 0x65}) + std::string(10, 'c'));
}

TEST(SmppSplit, GsmEscapePairEndingExactlyAtTheCutStays) {
  const std::string text = std::string(151, 'a') + raw({0x1B, 0x65}) + std::string(10, 'c');
  const auto parts = smpp::split(gsm(text), {});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message.substr(6), std::string(151, 'a') + raw({0x1B, 0x65}));
  EXPECT_EQ(parts[1].short_message.substr(6), std::string(10, 'c'));
}

TEST(SmppSplit, GsmAllEscapesNoPartEndsInAnEscape) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += raw({0x1B, 0x28});  // '{'
  const auto parts = smpp::split(gsm(text), {});
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) {
    EXPECT_NE(static_cast<std::uint8_t>(p.short_message.back()), 0x1B);
    EXPECT_EQ((p.short_message.size() - 6) % 2, 0u);
  }
  EXPECT_EQ(parts[0].short_message.size(), 6u + 152u);
}

TEST(SmppSplit, EncodedGsmTextRoundTripsThroughReadAndAssemble) {
  std::string utf8;
  for (int i = 0; i < 40; ++i) utf8 += "Price: 5€ [x] ";
  const auto text = smpp::encode_text(utf8);
  ASSERT_EQ(text.data_coding, smpp::coding::smsc_default);
  const auto parts = smpp::split(text, {false, 77});
  EXPECT_EQ(parts.size(), 5u);
  const auto whole = round_trip(parts);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(*whole, text.octets);
  EXPECT_EQ(smpp::decode_text(smpp::coding::smsc_default, *whole), utf8);
}

TEST(SmppSplit, GsmUpTo255PartsIsAccepted) {
  const auto parts = smpp::split(gsm(std::string(255 * 153, 'a')), {});
  ASSERT_EQ(parts.size(), 255u);
  EXPECT_EQ(parts[254].short_message.substr(0, 6), raw({0x05, 0x00, 0x03, 0x00, 0xFF, 0xFF}));
  EXPECT_EQ(round_trip(parts), std::string(255 * 153, 'a'));
}

TEST(SmppSplit, GsmNeedingMoreThan255PartsThrowsLengthError) {
  EXPECT_THROW(smpp::split(gsm(std::string(255 * 153 + 1, 'a')), {}), std::length_error);
  EXPECT_THROW(smpp::split(gsm(std::string(255 * 152 + 1, 'a')), {true, 1}), std::length_error);
}

// --- split: UCS-2 --------------------------------------------------------------------------

TEST(SmppSplit, Ucs2Of70UnitsIsOnePart) {
  const auto parts = smpp::split(ucs2_units(70), {});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].short_message.size(), 140u);
  EXPECT_FALSE(parts[0].udhi);
}

TEST(SmppSplit, Ucs2Of71UnitsIsTwoPartsOf67AndFour) {
  const auto parts = smpp::split(ucs2_units(71), {false, 3});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message,
            raw({0x05, 0x00, 0x03, 0x03, 0x02, 0x01}) + ucs2_units(67).octets);
  EXPECT_EQ(parts[1].short_message,
            raw({0x05, 0x00, 0x03, 0x03, 0x02, 0x02}) + ucs2_units(4).octets);
}

TEST(SmppSplit, Ucs2With16BitReferenceUses66UnitParts) {
  const auto parts = smpp::split(ucs2_units(71), {true, 0xFEDC});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message,
            raw({0x06, 0x08, 0x04, 0xFE, 0xDC, 0x02, 0x01}) + ucs2_units(66).octets);
  EXPECT_EQ(parts[1].short_message,
            raw({0x06, 0x08, 0x04, 0xFE, 0xDC, 0x02, 0x02}) + ucs2_units(5).octets);
}

TEST(SmppSplit, Ucs2NeverSplitsASurrogatePair) {
  // 66 units, then U+1F600 (D83D DE00): the pair would straddle the 67-unit cut.
  const auto emoji = raw({0xD8, 0x3D, 0xDE, 0x00});
  smpp::encoded_text text = ucs2_units(66);
  text.octets += emoji + ucs2_units(10).octets;
  text.units = 78;
  const auto parts = smpp::split(text, {});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message.substr(6), ucs2_units(66).octets);
  EXPECT_EQ(parts[1].short_message.substr(6), emoji + ucs2_units(10).octets);
}

TEST(SmppSplit, Ucs2EmojiTextRoundTripsThroughReadAndAssemble) {
  std::string utf8;
  for (int i = 0; i < 50; ++i) utf8 += "Ж😀";
  const auto text = smpp::encode_text(utf8);
  ASSERT_EQ(text.data_coding, smpp::coding::ucs2);
  ASSERT_EQ(text.units, 150u);
  const auto parts = smpp::split(text, {true, 500});
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) {
    const auto last = static_cast<std::uint8_t>(p.short_message[p.short_message.size() - 2]);
    EXPECT_FALSE(last >= 0xD8 && last <= 0xDB) << "part ends in a high surrogate";
  }
  const auto whole = round_trip(parts);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(smpp::decode_text(smpp::coding::ucs2, *whole), utf8);
}

TEST(SmppSplit, Ucs2NeedingMoreThan255PartsThrowsLengthError) {
  EXPECT_EQ(smpp::split(ucs2_units(255 * 67), {}).size(), 255u);
  EXPECT_THROW(smpp::split(ucs2_units(255 * 67 + 1), {}), std::length_error);
}

TEST(SmppSplit, EveryPartFitsShortMessage) {
  for (const auto& text : {gsm(std::string(1000, 'z')), ucs2_units(1000)}) {
    for (const bool wide : {false, true}) {
      for (const auto& p : smpp::split(text, {wide, 1})) {
        EXPECT_LE(p.short_message.size(), 253u);
      }
    }
  }
}

// --- split: other codings ------------------------------------------------------------------

TEST(SmppSplit, EightBitCodingFills140OctetsThen134PerPart) {
  const smpp::encoded_text latin1{smpp::coding::latin1, std::string(141, 'l'), 141};
  const auto parts = smpp::split(latin1, {});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].short_message.size(), 6u + 134u);
  EXPECT_EQ(parts[1].short_message.size(), 6u + 7u);
  const smpp::encoded_text fits{smpp::coding::latin1, std::string(140, 'l'), 140};
  EXPECT_EQ(smpp::split(fits, {}).size(), 1u);
}
