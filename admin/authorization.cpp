#include "admin/authorization.hpp"

#include <sodium.h>

#include <cctype>

namespace smsgw::admin {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<basic_credentials> parse_basic(std::string_view authorization) {
  authorization = trim(authorization);
  if (!starts_with_scheme(authorization, "basic")) return std::nullopt;
  const auto encoded = trim(authorization.substr(6));
  if (encoded.empty() || encoded.size() > 1024) return std::nullopt;
  std::string decoded(encoded.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        encoded.data(), encoded.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  decoded.resize(length);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos || decoded.find('\0') != std::string::npos) return std::nullopt;
  return basic_credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

std::optional<std::string> parse_bearer(std::string_view authorization) {
  authorization = trim(authorization);
  if (!starts_with_scheme(authorization, "bearer")) return std::nullopt;
  const auto token = trim(authorization.substr(7));
  if (token.empty() || token.size() > 200) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> parse_cookie(std::string_view header, std::string_view name) {
  std::optional<std::string> found;
  while (!header.empty()) {
    const auto end = header.find(';');
    const auto pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    if (found) return std::nullopt;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    found = std::string(value);
  }
  return found;
}

}  // namespace smsgw::admin
