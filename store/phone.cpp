#include "store/phone.hpp"

#include <optional>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>

namespace smsgw::store {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& util() {
  static PhoneNumberUtil* const instance = [] {
    PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());  // it would print parse errors to stdout
    return u;
  }();
  return *instance;
}

// IsValidNumber, not IsPossibleNumber: the manual asks for "valid" numbers, and a number
// outside the numbering plan (a made-up range, a digit too few) would only fail later at
// the SMSC. The cost: the metadata (libphonenumber 8.12, 2022) may not know a range opened
// since.
std::optional<std::string> parse_valid(const std::string& text, const std::string& region) {
  const auto& u = util();
  PhoneNumber n;
  if (u.Parse(text, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return std::nullopt;
  if (!u.IsValidNumber(n)) return std::nullopt;
  std::string out;
  u.Format(n, PhoneNumberUtil::E164, &out);
  // 7 to 15 digits, as the send path (contact_e164, e164_or_null) expects: E.164 allows 15,
  // the shortest plans (Niue, St Helena) have 7, but libphonenumber's German metadata
  // accepts both "+4939191999199992" and "+491681" (both found by fuzz_fields).
  if (out.size() < 8 || out.size() > 16) return std::nullopt;
  return out;
}

}  // namespace

tl::expected<std::string, std::string> to_e164(std::string_view text,
                                               std::string_view default_region) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return tl::unexpected(std::string("is empty"));
  const auto last = text.find_last_not_of(" \t");
  const std::string trimmed(text.substr(first, last - first + 1));
  if (trimmed.size() > 40 || trimmed.find_first_not_of("0123456789 +-().") != std::string::npos) {
    return tl::unexpected(std::string("is not a phone number"));
  }
  const std::string region(default_region);
  if (trimmed.front() == '+') {
    if (auto n = parse_valid(trimmed, "ZZ")) return *n;
    return tl::unexpected(std::string("is not a valid phone number"));
  }
  // Without a +, the digits may be a national number or an international one without its
  // +: with region DE, "33612345678" is both +4933612345678 and a French mobile. Taking
  // either silently could message a stranger, so two valid, different readings are refused.
  const auto national = parse_valid(trimmed, region);
  const auto international = parse_valid("+" + trimmed, "ZZ");
  if (national && international && *national != *international) {
    return tl::unexpected("is ambiguous: " + *national + " or " + *international +
                          "; write it with + or the national prefix");
  }
  if (national) return *national;
  if (international) return *international;
  return tl::unexpected(std::string("is not a valid phone number"));
}

bool is_contact_number(std::string_view number) {
  if (number.starts_with('+')) number.remove_prefix(1);
  return number.size() >= 3 && number.size() <= 20 &&
         number.find_first_not_of("0123456789") == std::string_view::npos;
}

bool looks_like_number(std::string_view query) {
  return query.find_first_not_of("0123456789 \t+-().") == std::string_view::npos &&
         query.find_first_of("0123456789") != std::string_view::npos;
}

std::string number_search_digits(std::string_view query, std::string_view default_region) {
  std::string digits;
  for (const char c : query) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const auto plus = query.find('+');
  if (plus != std::string_view::npos && plus < query.find_first_of("0123456789")) return digits;
  const std::string region(default_region);
  std::string national_prefix;
  util().GetNddPrefixForRegion(region, true, &national_prefix);
  if (national_prefix.empty() || digits.rfind(national_prefix, 0) != 0) return digits;
  return std::to_string(util().GetCountryCodeForRegion(region)) +
         digits.substr(national_prefix.size());
}

}  // namespace smsgw::store
