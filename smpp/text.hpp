// Text codecs for short_message octets: GSM 03.38 (unpacked), IA5, Latin-1, UCS-2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace smsgw::smpp {

/// data_coding values smsgw produces.
namespace coding {
inline constexpr std::uint8_t smsc_default = 0x00;  ///< GSM 03.38, one septet per octet
inline constexpr std::uint8_t ia5 = 0x01;
inline constexpr std::uint8_t latin1 = 0x03;
inline constexpr std::uint8_t ucs2 = 0x08;
}  // namespace coding

/// The SMPP data_coding whose alphabet `data_coding` uses: itself for SMPP's own values
/// (0x00-0x0F); for GSM 03.38's coding groups above them, `smsc_default` (GSM 7-bit),
/// `ucs2` or `latin1` (8-bit data, compressed text and reserved groups), as each group says
/// (0x11 and 0xF0 are GSM, 0x18 and 0xE0 UCS-2, 0x15 and 0xF4 8-bit).
std::uint8_t alphabet_of(std::uint8_t data_coding);

/// Decodes octets in `data_coding` (by its alphabet_of) to UTF-8. Never throws: bytes that
/// are not valid in the coding become U+FFFD. Unknown codings are read as Latin-1.
std::string decode_text(std::uint8_t data_coding, std::string_view octets);

/// Text encoded for one submit: GSM 03.38 when every character fits, else UCS-2.
struct encoded_text {
  std::uint8_t data_coding = coding::smsc_default;
  std::string octets;
  std::size_t units = 0;  ///< septets (GSM, escapes count two) or UTF-16 code units
};

/// Encodes UTF-8 for sending; invalid UTF-8 bytes become U+FFFD (hence UCS-2).
encoded_text encode_text(std::string_view utf8);

/// Decodes UTF-8 into code points; invalid or overlong sequences become U+FFFD.
std::u32string utf8_to_utf32(std::string_view utf8);

/// Appends the UTF-8 form of code point `cp` to `out`.
void append_utf8(std::string& out, char32_t cp);

}  // namespace smsgw::smpp
