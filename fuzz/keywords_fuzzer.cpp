// Fuzzes the keyword engine: company rules with a few keywords taken from the input, then
// an MO text. decide() and check_keyword() must answer for any UTF-8 or non-UTF-8 input.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/check.hpp"
#include "keywords/decide.hpp"
#include "keywords/normalise.hpp"

namespace keywords = smsgw::keywords;
namespace fuzz = smsgw::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  keywords::company_rules rules;
  rules.stop_match = in.ConsumeBool() ? keywords::stop_matching::first_word
                                      : keywords::stop_matching::whole_message;
  rules.default_reply = "default";
  rules.help_reply = "help";
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 3);
  try {
    for (std::size_t i = 0; i < n; ++i) {
      keywords::keyword_rule kw;
      kw.id = static_cast<std::int64_t>(i + 1);
      kw.keyword = in.ConsumeRandomLengthString(32);
      kw.optin_message = "in";
      kw.optout_message = "out";
      kw.help_message = "kwhelp";
      kw.tail = in.ConsumeBool() ? keywords::tail_policy::ignore : keywords::tail_policy::unmatched;
      (void)keywords::check_keyword(kw.keyword, rules);
      rules.keywords.push_back(std::move(kw));
    }
    const std::string text = in.ConsumeRemainingBytesAsString();
    const keywords::decision d = keywords::decide(text, rules);
    const bool about_keyword = d.what == keywords::action::opt_in ||
                               d.what == keywords::action::opt_out ||
                               d.what == keywords::action::keyword_help;
    fuzz::check(about_keyword == d.keyword.has_value(), "keyword set on the wrong actions");
    (void)keywords::to_string(d.what);
    // decide() compares normalised keywords with the normalised MO: a second pass must not
    // change anything, or a keyword written in its normalised form would not match.
    const std::string once = keywords::normalise(text);
    fuzz::check(keywords::normalise(once) == once, "normalise is not idempotent");
    (void)keywords::words(once);
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
