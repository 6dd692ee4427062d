#include "store/fields.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace smsgw::store {
namespace {

// Leading bytes of code points, so counting and cutting never split one.
bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20U || u == 0x7FU;
  });
}

// The first `n` code points of `text`.
std::string_view truncate_chars(std::string_view text, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation(text[i])) continue;
    if (count == n) return text.substr(0, i);
    ++count;
  }
  return text;
}

// The checks every free-text field shares; nullopt when the text is fine.
std::optional<std::string> text_problem(std::string_view text) {
  if (!valid_utf8(text)) return "is not valid UTF-8";
  if (has_control(text)) return "contains control characters";
  return std::nullopt;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80U) {
      ++i;
      continue;
    }
    if ((c & 0xE0U) == 0xC0U) {
      extra = 1;
      cp = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0U) {
      extra = 2;
      cp = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0U) {
      extra = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto n = static_cast<unsigned char>(text[i + k]);
      if ((n & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (n & 0x3FU);
    }
    constexpr std::array<std::uint32_t, 4> min_for = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) return false;
    i += extra + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

std::string trim(std::string_view text) {
  constexpr std::string_view space = " \t\r\n\v\f";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(space) - first + 1));
}

tl::expected<std::string, std::string> normalise_contact_name(std::string_view text) {
  std::string name = trim(text);
  if (auto p = text_problem(name)) return tl::unexpected(*p);
  if (utf8_length(name) >= 70)
    return tl::unexpected(std::string("must be less than 70 characters"));
  return name;
}

tl::expected<std::string, std::string> normalise_title(std::string_view text,
                                                       std::size_t max_length) {
  std::string name = trim(text);
  if (auto p = text_problem(name)) return tl::unexpected(*p);
  if (name.empty()) return tl::unexpected(std::string("must not be empty"));
  if (utf8_length(name) > max_length) {
    return tl::unexpected("must be at most " + std::to_string(max_length) + " characters");
  }
  return name;
}

tl::expected<std::optional<std::string>, std::string> normalise_alias(std::string_view text) {
  const std::string trimmed = trim(text);
  if (trimmed.empty()) return std::optional<std::string>();
  if (!valid_utf8(trimmed)) return tl::unexpected(std::string("is not valid UTF-8"));
  std::string alias(truncate_chars(trimmed, 63));
  const bool allowed = std::all_of(alias.begin(), alias.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  if (!allowed) {
    return tl::unexpected(
        std::string("may only contain letters a-z, digits, hyphen, underscore and full stop"));
  }
  return alias;
}

tl::expected<std::optional<std::string>, std::string> normalise_email(std::string_view text) {
  const std::string trimmed = trim(text);
  if (trimmed.empty()) return std::optional<std::string>();
  if (auto p = text_problem(trimmed)) return tl::unexpected(*p);
  std::string email(truncate_chars(trimmed, 254));
  const auto at = email.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find_first_of(" \t") != std::string::npos) {
    return tl::unexpected(std::string("is not an email address"));
  }
  return email;
}

tl::expected<std::optional<std::string>, std::string> normalise_public_id(std::string_view text) {
  const std::string trimmed = trim(text);
  if (trimmed.empty()) return std::optional<std::string>();
  if (auto p = text_problem(trimmed)) return tl::unexpected(*p);
  if (utf8_length(trimmed) > 100) {
    return tl::unexpected(std::string("must be at most 100 characters"));
  }
  return trimmed;
}

tl::expected<std::optional<std::string>, std::string> normalise_tag_value(std::string_view text) {
  const std::string trimmed = trim(text);
  if (trimmed.empty()) return std::optional<std::string>();
  if (auto p = text_problem(trimmed)) return tl::unexpected(*p);
  if (utf8_length(trimmed) > 1000) {
    return tl::unexpected(std::string("must be at most 1000 characters"));
  }
  return trimmed;
}

tl::expected<std::string, std::string> normalise_property_name(std::string_view text) {
  std::string name = trim(text);
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  const bool shape = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z' &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  if (!shape) {
    return tl::unexpected(
        std::string("must start with a letter and hold only a-z, 0-9 and _ (at most 40)"));
  }
  static constexpr std::array<std::string_view, 13> reserved = {
      "name", "number", "alias",  "public_id",        "publicid", "system_id", "systemid",
      "type", "group",  "groups", "group_public_ids", "id",       "domain"};
  if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
    return tl::unexpected(std::string("is a standard column"));
  }
  return name;
}

std::optional<std::int64_t> parse_system_id(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto digits = text.substr(prefix.size());
  if (digits.empty() || digits.front() < '1' || digits.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

tl::expected<std::string, std::string> normalise_message_text(std::string_view text,
                                                              std::size_t max_length) {
  std::string t = trim(text);
  if (!valid_utf8(t)) return tl::unexpected(std::string("is not valid UTF-8"));
  const bool control = std::any_of(t.begin(), t.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20U && c != '\n' && c != '\r' && c != '\t') || u == 0x7FU;
  });
  if (control) return tl::unexpected(std::string("contains control characters"));
  if (utf8_length(t) > max_length) {
    return tl::unexpected("is longer than " + std::to_string(max_length) + " characters");
  }
  return t;
}

}  // namespace smsgw::store
