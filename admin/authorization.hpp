// The Authorization header's two schemes, parsed without I/O (fuzzed with the targets).
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

}  // namespace smsgw::admin
