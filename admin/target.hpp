// A request target (`/api/v1/contacts?q=Don&limit=20`) as path segments and query
// parameters, percent-decoded by uriparser. Pure: no I/O, fuzzed (fuzz/request_fuzzer.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace smsgw::admin {

/// A decoded origin-form target.
struct target {
  std::vector<std::string> segments;  ///< `/a/b%2Fc` → {"a", "b/c"}; `+` stays `+`
  std::vector<std::pair<std::string, std::string>> query;  ///< in order; `+` is a space

  /// The first value of query parameter `name`, or nullopt.
  [[nodiscard]] std::optional<std::string> param(std::string_view name) const;
};

/// Decodes `text`, which must start with `/`. Refused, with the reason: anything uriparser
/// cannot parse, a `%00` (no value may hold a NUL byte), more than 64 segments or 256 query
/// parameters.
tl::expected<target, std::string> parse_target(std::string_view text);

}  // namespace smsgw::admin
