#include "keywords/normalise.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace smsgw::keywords {
namespace {

/// Appends `word` to `out` (space-separated) with leading and trailing punctuation removed.
void append_stripped(const icu::UnicodeString& word, std::string& out) {
  std::int32_t begin = 0;
  std::int32_t end = word.length();
  while (begin < end && u_ispunct(word.char32At(begin))) begin = word.moveIndex32(begin, 1);
  while (end > begin) {
    const std::int32_t prev = word.moveIndex32(end, -1);
    if (!u_ispunct(word.char32At(prev))) break;
    end = prev;
  }
  if (begin == end) return;
  if (!out.empty()) out += ' ';
  word.tempSubStringBetween(begin, end).toUTF8String(out);
}

/// Default-ignorable code points (Unicode's own list) and control characters other than
/// white space: invisible, so never part of what a person typed.
bool ignorable(UChar32 c) {
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) return true;
  return u_charType(c) == U_CONTROL_CHAR && !u_isUWhiteSpace(c);
}

/// NFKC in place (full-width letters, ligatures); left unchanged if ICU data is missing.
void nfkc(icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normaliser = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return;
  icu::UnicodeString composed = normaliser->normalize(text, status);
  if (U_SUCCESS(status)) text = std::move(composed);
}

}  // namespace

std::string normalise(std::string_view utf8) {
  const auto size = static_cast<std::int32_t>(
      std::min<std::size_t>(utf8.size(), std::numeric_limits<std::int32_t>::max()));
  // fromUTF8 substitutes U+FFFD for every ill-formed sequence.
  const icu::UnicodeString raw = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), size));
  // What a handset adds without showing it: zero-width spaces and joiners, a BOM, soft
  // hyphens, variation selectors, NUL padding and other controls. Gone, not a separator, and
  // before composition: what they separated may compose (`S`, ZWSP, U+0301 is `Ś`).
  icu::UnicodeString text;
  for (std::int32_t i = 0; i < raw.length(); i = raw.moveIndex32(i, 1)) {
    const UChar32 c = raw.char32At(i);
    if (!ignorable(c)) text.append(c);
  }
  nfkc(text);
  text.foldCase(U_FOLD_CASE_DEFAULT).toUpper(icu::Locale::getRoot());
  nfkc(text);  // case mapping can leave composable sequences (`ß` + U+0301 -> `SS` + U+0301)

  std::string out;
  icu::UnicodeString word;
  for (std::int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    const UChar32 c = text.char32At(i);
    if (ignorable(c)) continue;  // what NFKC made of others (U+3164 -> U+1160)
    if (u_isUWhiteSpace(c)) {
      append_stripped(word, out);
      word.remove();
    } else {
      word.append(c);
    }
  }
  append_stripped(word, out);
  return out;
}

std::vector<std::string> words(std::string_view normalised) {
  std::vector<std::string> out;
  while (!normalised.empty()) {
    const std::size_t space = normalised.find(' ');
    if (space != 0) out.emplace_back(normalised.substr(0, space));
    if (space == std::string_view::npos) break;
    normalised.remove_prefix(space + 1);
  }
  return out;
}

}  // namespace smsgw::keywords
