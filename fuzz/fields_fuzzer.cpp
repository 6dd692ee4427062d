// Fuzzes the contact field rules and phone numbers: every answer must keep the manual's
// limits (lengths, allowed characters, E.164 form), and nothing may throw, for any bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/check.hpp"
#include "store/fields.hpp"
#include "store/phone.hpp"

namespace store = smsgw::store;
namespace fuzz = smsgw::fuzz;

namespace {

bool only(std::string_view text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view digits = "0123456789";

void check_texts(const std::string& text) {
  if (const auto name = store::normalise_contact_name(text)) {
    fuzz::check(store::valid_utf8(*name) && store::utf8_length(*name) < 70, "name too long");
    fuzz::check(store::trim(*name) == *name, "name not trimmed");
  }
  if (const auto alias = store::normalise_alias(text); alias && *alias) {
    fuzz::check(!(*alias)->empty() && (*alias)->size() <= 63, "alias length");
    fuzz::check(only(**alias, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
                "alias characters");
  }
  if (const auto email = store::normalise_email(text); email && *email) {
    fuzz::check(store::valid_utf8(**email) && store::utf8_length(**email) <= 254, "email length");
    fuzz::check((*email)->find('@') != std::string::npos, "email without @");
  }
  if (const auto id = store::normalise_public_id(text); id && *id) {
    fuzz::check(store::utf8_length(**id) <= 100, "public id length");
  }
  if (const auto value = store::normalise_tag_value(text); value && *value) {
    fuzz::check(store::utf8_length(**value) <= 1000, "tag value length");
  }
  if (const auto title = store::normalise_title(text, 100)) {
    fuzz::check(!title->empty() && store::utf8_length(*title) <= 100, "title length");
  }
  if (const auto property = store::normalise_property_name(text)) {
    fuzz::check(!property->empty() && property->size() <= 40 &&
                    only(*property, "abcdefghijklmnopqrstuvwxyz0123456789_") &&
                    property->front() >= 'a' && property->front() <= 'z',
                "property name form");
  }
  if (const auto row = store::parse_system_id(text, "C#")) {
    fuzz::check(*row > 0 && text == "C#" + std::to_string(*row), "system id round trip");
  }
}

void check_number(const std::string& text, std::string_view region) {
  if (const auto e164 = store::to_e164(text, region)) {
    fuzz::check(e164->size() >= 8 && e164->size() <= 16 && (*e164)[0] == '+' && (*e164)[1] != '0' &&
                    only(e164->substr(1), digits),
                "not E.164");
    const auto again = store::to_e164(*e164, region);
    fuzz::check(again && *again == *e164, "E.164 not stable");
  }
  if (store::looks_like_number(text)) {
    fuzz::check(only(store::number_search_digits(text, region), digits), "search digits");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<const char*, 5> regions = {"AU", "US", "GB", "DE", "ZZ"};
  FuzzedDataProvider in(data, size);
  const char* region = regions[in.ConsumeIntegralInRange<std::size_t>(0, regions.size() - 1)];
  const std::string text = in.ConsumeRemainingBytesAsString();
  try {
    check_texts(text);
    check_number(text, region);
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
