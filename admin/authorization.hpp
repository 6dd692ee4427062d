// The Authorization header's two schemes and the Cookie header, parsed without I/O (fuzzed
// with the targets).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace smsgw::admin {

/// `Basic base64(user:password)` decoded; nullopt when the header is not that.
struct basic_credentials {
  std::string username;
  std::string password;
};
std::optional<basic_credentials> parse_basic(std::string_view authorization);

/// The token of `Bearer TOKEN`; nullopt when the header is not that.
std::optional<std::string> parse_bearer(std::string_view authorization);

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`), or nullopt. A cookie named
/// twice is refused (nullopt): which one the browser meant cannot be known.
std::optional<std::string> parse_cookie(std::string_view header, std::string_view name);

}  // namespace smsgw::admin
