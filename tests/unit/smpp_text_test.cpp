// Unit tests for the short_message text codecs (smpp/text.hpp): GSM 03.38 (3GPP TS 23.038),
// IA5, Latin-1 and UCS-2, and the UTF-8 helpers.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "smpp/text.hpp"

namespace smpp = smsgw::smpp;

namespace {

/// Raw octets as a std::string (short_message is raw octets).
std::string raw(std::initializer_list<std::uint8_t> octets) {
  return std::string(octets.begin(), octets.end());
}

constexpr std::string_view fffd = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

/// True when `s` holds only U+FFFD (at least one).
bool only_replacements(std::u32string_view s) {
  if (s.empty()) return false;
  for (const char32_t c : s) {
    if (c != U'\uFFFD') return false;
  }
  return true;
}

}  // namespace

// --- decode_text: GSM 03.38 ----------------------------------------------------------------

TEST(SmppDecodeGsm, BasicTableCurrencySigns) {
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x00, 0x01, 0x02, 0x03})), "@£$¥");
}

TEST(SmppDecodeGsm, BasicTableGreekCapitals) {
  EXPECT_EQ(
      smpp::decode_text(0x00, raw({0x10, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A})),
      "ΔΦΓΛΩΠΨΣΘΞ");
}

TEST(SmppDecodeGsm, BasicTableAccentsAndPunctuation) {
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D,
                                         0x7E, 0x7F})),
            "¡ÄÖÑÜ§¿äöñüà");
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0E, 0x0F,
                                         0x1C, 0x1D, 0x1E, 0x1F, 0x11, 0x24})),
            "èéùìòÇØøÅåÆæßÉ_¤");
}

TEST(SmppDecodeGsm, AsciiRangeAndLineBreaks) {
  EXPECT_EQ(smpp::decode_text(0x00, "Hello, World 123!"), "Hello, World 123!");
  EXPECT_EQ(smpp::decode_text(0x00, raw({'a', 0x0A, 'b', 0x0D, 'c'})), "a\nb\rc");
}

TEST(SmppDecodeGsm, ExtensionTableViaEscape) {
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x3C, 0x1B, 0x3E, 0x1B, 0x3D,
                                         0x1B, 0x2F, 0x1B, 0x40, 0x1B, 0x14, 0x1B, 0x65})),
            "{}[]~\\|^€");
  EXPECT_EQ(smpp::decode_text(0x00, raw({'a', 0x1B, 0x0A, 'b'})), "a\fb");
}

TEST(SmppDecodeGsm, EscapeAtTheEndIsNoBreakSpace) {
  // 23.038 maps a lone ESC to NBSP (GSM0338.TXT: "displayed as NBSP").
  EXPECT_EQ(smpp::decode_text(0x00, raw({'A', 0x1B})), "A\xC2\xA0");
}

TEST(SmppDecodeGsm, UnknownEscapeShowsTheBasicTableCharacter) {
  // 23.038 §6.2.1.1: a code missing from the extension table shows the basic character.
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x1B, 0x41, 'b'})), "Ab");
  EXPECT_EQ(smpp::decode_text(0x00, raw({0x1B, 0x00})), "@");
}

TEST(SmppDecodeGsm, OctetsAbove7FBecomeReplacement) {
  EXPECT_EQ(smpp::decode_text(0x00, raw({'A', 0x80, 0xFF, 'B'})),
            "A" + std::string(fffd) + std::string(fffd) + "B");
}

TEST(SmppDecodeGsm, CodingGroupF0AndF1AreGsm) {
  EXPECT_EQ(smpp::decode_text(0xF0, raw({0x00, 0x01, 'x'})), "@£x");
  EXPECT_EQ(smpp::decode_text(0xF1, raw({0x1B, 0x65})), "€");
}

TEST(SmppDecodeGsm, EveryBasicCharacterRoundTrips) {
  for (int s = 0; s < 128; ++s) {
    if (s == 0x1B) continue;  // the escape itself
    const std::string text = smpp::decode_text(0x00, raw({static_cast<std::uint8_t>(s)}));
    const smpp::encoded_text e = smpp::encode_text(text);
    EXPECT_EQ(e.data_coding, smpp::coding::smsc_default) << "septet " << s;
    EXPECT_EQ(e.octets, raw({static_cast<std::uint8_t>(s)})) << "septet " << s;
    EXPECT_EQ(e.units, 1u) << "septet " << s;
  }
}

// --- decode_text: other codings ------------------------------------------------------------

TEST(SmppDecodeText, Ia5IsAsciiWithReplacementAbove7F) {
  EXPECT_EQ(smpp::decode_text(0x01, "Hello @$"), "Hello @$");
  EXPECT_EQ(smpp::decode_text(0x01, raw({'a', 0xE9})), "a" + std::string(fffd));
}

TEST(SmppDecodeText, Latin1) {
  EXPECT_EQ(smpp::decode_text(0x03, raw({'c', 'a', 'f', 0xE9})), "café");
  EXPECT_EQ(smpp::decode_text(0x03, raw({0xA3, 0xFF})), "£ÿ");
}

TEST(SmppDecodeText, CodingGroupF4AndF5AreEightBitReadAsLatin1) {
  EXPECT_EQ(smpp::decode_text(0xF4, raw({0xE9})), "é");
  EXPECT_EQ(smpp::decode_text(0xF5, raw({0xA3, 'x'})), "£x");
}

TEST(SmppDecodeText, EveryGsmCodingGroupIsReadByItsAlphabet) {
  // 3GPP TS 23.038 §4: what handsets and SMSCs send above SMPP's own 0x00-0x0F.
  const auto ucs2_stop = raw({0x00, 'S', 0x00, 't', 0x00, 'o', 0x00, 'p'});
  for (const std::uint8_t dcs : {0x18, 0x19, 0x1A, 0x1B, 0x08 | 0x40, 0x58, 0xE0, 0xE8, 0xEF}) {
    EXPECT_EQ(smpp::alphabet_of(dcs), smpp::coding::ucs2) << int{dcs};
    EXPECT_EQ(smpp::decode_text(dcs, ucs2_stop), "Stop") << int{dcs};
  }
  for (const std::uint8_t dcs :
       {0x10, 0x11, 0x12, 0x13, 0x40, 0x50, 0xC0, 0xC8, 0xD0, 0xDB, 0xF0, 0xF3, 0x1C}) {
    EXPECT_EQ(smpp::alphabet_of(dcs), smpp::coding::smsc_default) << int{dcs};
    EXPECT_EQ(smpp::decode_text(dcs, raw({0x00, 'x'})), "@x") << int{dcs};
  }
  for (const std::uint8_t dcs : {0x14, 0x15, 0x16, 0x17, 0x44, 0x54, 0xF4, 0xF7, 0x30, 0x90}) {
    EXPECT_EQ(smpp::alphabet_of(dcs), smpp::coding::latin1) << int{dcs};
    EXPECT_EQ(smpp::decode_text(dcs, raw({0xE9})), "é") << int{dcs};
  }
  // SMPP's own values stay themselves.
  for (std::uint8_t dcs = 0; dcs < 0x10; ++dcs) EXPECT_EQ(smpp::alphabet_of(dcs), dcs);
}

TEST(SmppDecodeText, UnknownCodingIsReadAsLatin1) {
  EXPECT_EQ(smpp::decode_text(0x02, raw({0xE9})), "é");
}

TEST(SmppDecodeUcs2, BasicMultilingualPlane) {
  EXPECT_EQ(smpp::decode_text(0x08, raw({0x00, 'H', 0x00, 0xE9, 0x04, 0x1F, 0x20, 0xAC})),
            "Hé\xD0\x9F€");  // H, é, Cyrillic П, €
}

TEST(SmppDecodeUcs2, SurrogatePairBecomesOneCodePoint) {
  EXPECT_EQ(smpp::decode_text(0x08, raw({0xD8, 0x3D, 0xDE, 0x00})), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(smpp::decode_text(0x08, raw({0x00, 'a', 0xD8, 0x3D, 0xDE, 0x00, 0x00, 'b'})),
            "a\xF0\x9F\x98\x80"
            "b");
}

TEST(SmppDecodeUcs2, LoneSurrogatesBecomeReplacement) {
  const std::string r(fffd);
  EXPECT_EQ(smpp::decode_text(0x08, raw({0xD8, 0x3D})), r);                   // high at the end
  EXPECT_EQ(smpp::decode_text(0x08, raw({0xD8, 0x3D, 0x00, 'A'})), r + "A");  // high, then BMP
  EXPECT_EQ(smpp::decode_text(0x08, raw({0xDE, 0x00, 0x00, 'A'})), r + "A");  // lone low
  EXPECT_EQ(smpp::decode_text(0x08, raw({0xD8, 0x3D, 0xD8, 0x3D, 0xDE, 0x00})),
            r + "\xF0\x9F\x98\x80");  // high, then a full pair
}

TEST(SmppDecodeUcs2, OddLengthEndsWithReplacement) {
  EXPECT_EQ(smpp::decode_text(0x08, raw({0x00, 'A', 0x00})), "A" + std::string(fffd));
  EXPECT_EQ(smpp::decode_text(0x08, raw({0x41})), std::string(fffd));
}

TEST(SmppDecodeText, EmptyInputIsEmptyInEveryCoding) {
  for (const std::uint8_t dc : {0x00, 0x01, 0x03, 0x08, 0xF0, 0xF4}) {
    EXPECT_EQ(smpp::decode_text(dc, ""), "") << int{dc};
  }
}

// --- encode_text ---------------------------------------------------------------------------

TEST(SmppEncodeText, AsciiIsGsmWithOneSeptetEach) {
  const smpp::encoded_text e = smpp::encode_text("a@b$_");
  EXPECT_EQ(e.data_coding, smpp::coding::smsc_default);
  EXPECT_EQ(e.octets, raw({0x61, 0x00, 0x62, 0x02, 0x11}));
  EXPECT_EQ(e.units, 5u);
  const smpp::encoded_text hello = smpp::encode_text("Hello");
  EXPECT_EQ(hello.data_coding, 0x00);
  EXPECT_EQ(hello.octets, "Hello");
  EXPECT_EQ(hello.units, 5u);
}

TEST(SmppEncodeText, ExtensionCharactersCountTwoUnits) {
  const smpp::encoded_text e = smpp::encode_text("{€}");
  EXPECT_EQ(e.data_coding, smpp::coding::smsc_default);
  EXPECT_EQ(e.octets, raw({0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29}));
  EXPECT_EQ(e.units, 6u);
  const smpp::encoded_text ff = smpp::encode_text("\f");
  EXPECT_EQ(ff.octets, raw({0x1B, 0x0A}));
  EXPECT_EQ(ff.units, 2u);
}

TEST(SmppEncodeText, EAcuteFitsGsmButECircumflexNeedsUcs2) {
  const smpp::encoded_text acute = smpp::encode_text("é");
  EXPECT_EQ(acute.data_coding, smpp::coding::smsc_default);
  EXPECT_EQ(acute.octets, raw({0x05}));
  EXPECT_EQ(acute.units, 1u);
  const smpp::encoded_text circumflex = smpp::encode_text("aê");
  EXPECT_EQ(circumflex.data_coding, smpp::coding::ucs2);
  EXPECT_EQ(circumflex.octets, raw({0x00, 0x61, 0x00, 0xEA}));
  EXPECT_EQ(circumflex.units, 2u);
}

TEST(SmppEncodeText, NoBreakSpaceIsNotEncodedAsTheEscape) {
  const smpp::encoded_text e = smpp::encode_text("\xC2\xA0");
  EXPECT_EQ(e.data_coding, smpp::coding::ucs2);
  EXPECT_EQ(e.octets, raw({0x00, 0xA0}));
}

TEST(SmppEncodeText, EmojiIsUcs2SurrogatePair) {
  const smpp::encoded_text e = smpp::encode_text("\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(e.data_coding, smpp::coding::ucs2);
  EXPECT_EQ(e.octets, raw({0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(e.units, 2u);
  const smpp::encoded_text mixed = smpp::encode_text("a\xF0\x9F\x98\x80");
  EXPECT_EQ(mixed.octets, raw({0x00, 0x61, 0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(mixed.units, 3u);
}

TEST(SmppEncodeText, InvalidUtf8BecomesUcs2Replacement) {
  const smpp::encoded_text e = smpp::encode_text(
      "a\xFF"
      "b");
  EXPECT_EQ(e.data_coding, smpp::coding::ucs2);
  EXPECT_EQ(e.octets, raw({0x00, 0x61, 0xFF, 0xFD, 0x00, 0x62}));
  EXPECT_EQ(e.units, 3u);
}

TEST(SmppEncodeText, EmptyIsGsmWithNoUnits) {
  const smpp::encoded_text e = smpp::encode_text("");
  EXPECT_EQ(e.data_coding, smpp::coding::smsc_default);
  EXPECT_EQ(e.octets, "");
  EXPECT_EQ(e.units, 0u);
}

TEST(SmppEncodeText, RoundTripsThroughDecode) {
  const char* const samples[] = {
      "Hello, world!",
      "@£$¥èéùìòÇØøÅå\nΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?",
      "¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà",
      "{}[]~\\|^€\f",
      "Grüße aus Köln",
      "Привет, мир",
      "日本語のテキスト",
      "smile \xF0\x9F\x98\x80 and \xF0\x9F\x91\x8D",
      "naïve façade",
      "",
  };
  for (const char* s : samples) {
    const smpp::encoded_text e = smpp::encode_text(s);
    EXPECT_EQ(smpp::decode_text(e.data_coding, e.octets), s) << s;
  }
}

// --- UTF-8 helpers -------------------------------------------------------------------------

TEST(SmppUtf8, DecodesValidSequences) {
  EXPECT_EQ(smpp::utf8_to_utf32("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
            (std::u32string{U'A', 0xE9, 0x20AC, 0x1F600}));
  // Boundaries: U+D7FF, U+E000, U+FFFF, U+10FFFF are all valid.
  EXPECT_EQ(smpp::utf8_to_utf32("\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF"),
            (std::u32string{0xD7FF, 0xE000, 0xFFFF, 0x10FFFF}));
}

TEST(SmppUtf8, RejectsOverlongForms) {
  EXPECT_EQ(smpp::utf8_to_utf32("\xC0\xAF"), U"\uFFFD\uFFFD");  // '/' in two octets
  EXPECT_EQ(smpp::utf8_to_utf32("\xE0\x80\xAF"), U"\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(smpp::utf8_to_utf32("\xC1\xBF"), U"\uFFFD\uFFFD");
}

TEST(SmppUtf8, RejectsEncodedSurrogates) {
  EXPECT_EQ(smpp::utf8_to_utf32("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");  // U+D800
  EXPECT_EQ(smpp::utf8_to_utf32("\xED\xBF\xBF"), U"\uFFFD\uFFFD\uFFFD");  // U+DFFF
}

TEST(SmppUtf8, RejectsValuesAbove10FFFF) {
  EXPECT_EQ(smpp::utf8_to_utf32("\xF4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_TRUE(only_replacements(smpp::utf8_to_utf32("\xF8\x88\x80\x80\x80")));  // 5-octet form
  EXPECT_EQ(smpp::utf8_to_utf32("\xFE\xFF"), U"\uFFFD\uFFFD");
}

TEST(SmppUtf8, RejectsTruncatedSequencesAndKeepsWhatFollows) {
  // How many U+FFFD a truncated sequence yields is not fixed here; nothing else may appear.
  for (const std::string_view bad :
       {std::string_view("\xC3"), std::string_view("\xE2\x82"), std::string_view("\xF0\x9F\x98")}) {
    const std::u32string at_end = smpp::utf8_to_utf32("A" + std::string(bad));
    ASSERT_GE(at_end.size(), 2u);
    EXPECT_EQ(at_end.front(), U'A');
    EXPECT_TRUE(only_replacements(std::u32string_view(at_end).substr(1)));
    const std::u32string in_middle = smpp::utf8_to_utf32("A" + std::string(bad) + "B");
    ASSERT_GE(in_middle.size(), 3u);
    EXPECT_EQ(in_middle.front(), U'A');
    EXPECT_EQ(in_middle.back(), U'B');
    EXPECT_TRUE(only_replacements(std::u32string_view(in_middle).substr(1, in_middle.size() - 2)));
  }
  EXPECT_EQ(smpp::utf8_to_utf32("\x80"
                                "a"),
            U"\uFFFDa");  // lone continuation octet
}

TEST(SmppUtf8, AppendUtf8WritesOneToFourOctetsAndReplacesInvalid) {
  std::string out;
  smpp::append_utf8(out, U'A');
  smpp::append_utf8(out, 0xE9);
  smpp::append_utf8(out, 0x20AC);
  smpp::append_utf8(out, 0x1F600);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  out.clear();
  smpp::append_utf8(out, 0xD800);
  smpp::append_utf8(out, 0x110000);
  EXPECT_EQ(out, std::string(fffd) + std::string(fffd));
}
