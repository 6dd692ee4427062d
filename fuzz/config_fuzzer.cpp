// Fuzzes the configuration reader with YAML text. parse() returns every refusal as an
// error value; any exception escaping it, and any crash inside yaml-cpp, is a bug.
//
// The seed yaml_cpp_1040_loop.yaml is a regression input: yaml-cpp 0.7's LoadAll never
// returns on it, so parse() counts documents itself (jbeder/yaml-cpp#1040).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "config/config.hpp"
#include "fuzz/check.hpp"

namespace fuzz = smsgw::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto parsed = smsgw::config::parse(text);
    if (parsed) {
      fuzz::check(!parsed->smsc.empty(), "a configuration without a bind was accepted");
    } else {
      fuzz::check(!parsed.error().message.empty(), "an error without a message");
      fuzz::check(parsed.error().line >= 0, "an error with a negative line");
    }
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
