#include "smpp/text.hpp"

#include <array>

namespace smsgw::smpp {
namespace {

constexpr char32_t replacement = 0xFFFD;
constexpr std::uint8_t gsm_escape = 0x1B;

// GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1).
constexpr std::array<char32_t, 128> gsm_basic = {
    0x40,  0xA3, 0x24, 0xA5,  0xE8, 0xE9,  0xF9,  0xEC,  0xF2,  0xC7,  0x0A,  0xD8,  0xF8,
    0x0D,  0xC5, 0xE5, 0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398,
    0x39E, 0xA0, 0xC6, 0xE6,  0xDF, 0xC9,  0x20,  0x21,  0x22,  0x23,  0xA4,  0x25,  0x26,
    0x27,  0x28, 0x29, 0x2A,  0x2B, 0x2C,  0x2D,  0x2E,  0x2F,  0x30,  0x31,  0x32,  0x33,
    0x34,  0x35, 0x36, 0x37,  0x38, 0x39,  0x3A,  0x3B,  0x3C,  0x3D,  0x3E,  0x3F,  0xA1,
    0x41,  0x42, 0x43, 0x44,  0x45, 0x46,  0x47,  0x48,  0x49,  0x4A,  0x4B,  0x4C,  0x4D,
    0x4E,  0x4F, 0x50, 0x51,  0x52, 0x53,  0x54,  0x55,  0x56,  0x57,  0x58,  0x59,  0x5A,
    0xC4,  0xD6, 0xD1, 0xDC,  0xA7, 0xBF,  0x61,  0x62,  0x63,  0x64,  0x65,  0x66,  0x67,
    0x68,  0x69, 0x6A, 0x6B,  0x6C, 0x6D,  0x6E,  0x6F,  0x70,  0x71,  0x72,  0x73,  0x74,
    0x75,  0x76, 0x77, 0x78,  0x79, 0x7A,  0xE4,  0xF6,  0xF1,  0xFC,  0xE0,
};

// GSM 03.38 extension table (after 0x1B).
struct extension {
  std::uint8_t septet;
  char32_t cp;
};
constexpr std::array<extension, 10> gsm_extension = {{
    {0x0A, 0x0C},
    {0x14, '^'},
    {0x28, '{'},
    {0x29, '}'},
    {0x2F, '\\'},
    {0x3C, '['},
    {0x3D, '~'},
    {0x3E, ']'},
    {0x40, '|'},
    {0x65, 0x20AC},
}};

// Septets for `cp`: 1 (basic), 2 (escape + extension) or 0 (not in GSM 03.38).
int gsm_septets(char32_t cp, std::uint8_t& first, std::uint8_t& second) {
  // 0x1B decodes to NBSP when it does not escape anything, but never encode NBSP that way.
  for (std::size_t i = 0; i < gsm_basic.size(); ++i) {
    if (gsm_basic[i] == cp && i != gsm_escape) {
      first = static_cast<std::uint8_t>(i);
      return 1;
    }
  }
  for (const auto& e : gsm_extension) {
    if (e.cp == cp) {
      first = gsm_escape;
      second = e.septet;
      return 2;
    }
  }
  return 0;
}

std::string decode_gsm(std::string_view octets) {
  std::string out;
  out.reserve(octets.size());
  for (std::size_t i = 0; i < octets.size(); ++i) {
    const auto s = static_cast<std::uint8_t>(octets[i]);
    if (s > 0x7F) {
      append_utf8(out, replacement);
    } else if (s == gsm_escape && i + 1 < octets.size()) {
      const auto next = static_cast<std::uint8_t>(octets[i + 1]);
      char32_t cp = replacement;
      for (const auto& e : gsm_extension) {
        if (e.septet == next) cp = e.cp;
      }
      // An unknown escape shows the character of the basic table (23.038 §6.2.1.1).
      if (cp == replacement && next <= 0x7F) cp = gsm_basic[next];
      append_utf8(out, cp);
      ++i;
    } else {
      append_utf8(out, gsm_basic[s]);
    }
  }
  return out;
}

std::string decode_ucs2(std::string_view octets) {
  std::string out;
  const std::size_t units = octets.size() / 2;
  for (std::size_t i = 0; i < units; ++i) {
    const auto unit = [&](std::size_t k) {
      return static_cast<char16_t>((static_cast<std::uint8_t>(octets[2 * k]) << 8) |
                                   static_cast<std::uint8_t>(octets[2 * k + 1]));
    };
    const char16_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      const char16_t low = unit(i + 1);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((char32_t{u} - 0xD800) << 10) + (char32_t{low} - 0xDC00));
        ++i;
        continue;
      }
    }
    append_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? replacement : char32_t{u});
  }
  if (octets.size() % 2 != 0) append_utf8(out, replacement);
  return out;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = replacement;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::u32string utf8_to_utf32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len != 0 && i + static_cast<std::size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto c = static_cast<std::uint8_t>(s[i + static_cast<std::size_t>(k)]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
      ok = false;
    out += ok ? cp : replacement;
    i += ok ? static_cast<std::size_t>(len) : 1;
  }
  return out;
}

std::uint8_t alphabet_of(std::uint8_t data_coding) {
  // 0x00-0x0F are SMPP 3.4's own values (§5.2.19); above them the scheme is GSM's
  // (3GPP TS 23.038 §4), each group naming its alphabet.
  if (data_coding < 0x10) return data_coding;
  const auto by_bits = [](std::uint8_t bits) {  // 00 GSM 7-bit, 01 8-bit, 10 UCS-2, 11 reserved
    switch (bits & 0x03) {
      case 1: return coding::latin1;
      case 2: return coding::ucs2;
      default: return coding::smsc_default;
    }
  };
  if (data_coding < 0x80) {
    // General data coding (00xx) and automatic deletion (01xx): bits 3-2 are the alphabet,
    // unless bit 5 says the text is compressed, which no one sends and we cannot read.
    if ((data_coding & 0x20) != 0) return coding::latin1;
    return by_bits(static_cast<std::uint8_t>(data_coding >> 2));
  }
  if (data_coding < 0xC0) return coding::latin1;        // reserved groups
  if (data_coding < 0xE0) return coding::smsc_default;  // message waiting, GSM 7-bit
  if (data_coding < 0xF0) return coding::ucs2;          // message waiting, UCS-2
  // Data coding / message class: bit 2 clear = GSM 7-bit, set = 8-bit data.
  return (data_coding & 0x04) != 0 ? coding::latin1 : coding::smsc_default;
}

std::string decode_text(std::uint8_t data_coding, std::string_view octets) {
  switch (alphabet_of(data_coding)) {
    case coding::smsc_default: return decode_gsm(octets);
    case coding::ucs2: return decode_ucs2(octets);
    case coding::ia5: {
      std::string out;
      for (const char c : octets)
        append_utf8(out,
                    static_cast<std::uint8_t>(c) < 0x80 ? static_cast<char32_t>(c) : replacement);
      return out;
    }
    default: {  // Latin-1 and anything we do not know
      std::string out;
      for (const char c : octets) append_utf8(out, static_cast<std::uint8_t>(c));
      return out;
    }
  }
}

encoded_text encode_text(std::string_view utf8) {
  const std::u32string cps = utf8_to_utf32(utf8);
  encoded_text gsm{coding::smsc_default, {}, 0};
  bool fits = true;
  for (const char32_t cp : cps) {
    std::uint8_t a = 0;
    std::uint8_t b = 0;
    const int n = gsm_septets(cp, a, b);
    if (n == 0) {
      fits = false;
      break;
    }
    gsm.octets += static_cast<char>(a);
    if (n == 2) gsm.octets += static_cast<char>(b);
    gsm.units += static_cast<std::size_t>(n);
  }
  if (fits) return gsm;
  encoded_text ucs2{coding::ucs2, {}, 0};
  const auto put = [&](char32_t u) {
    ucs2.octets += static_cast<char>((u >> 8) & 0xFF);
    ucs2.octets += static_cast<char>(u & 0xFF);
    ++ucs2.units;
  };
  for (const char32_t cp : cps) {
    if (cp >= 0x10000) {
      put(0xD800 + ((cp - 0x10000) >> 10));
      put(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      put(cp);
    }
  }
  return ucs2;
}

}  // namespace smsgw::smpp
