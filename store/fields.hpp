// The manual's field rules for contacts, groups and domains, as pure functions: what is
// trimmed, truncated or refused, with the reason shown to the user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace smsgw::store {

/// Whether `text` is well-formed UTF-8.
bool valid_utf8(std::string_view text);

/// The number of code points of well-formed UTF-8 `text`.
std::size_t utf8_length(std::string_view text);

/// `text` without leading and trailing ASCII whitespace.
std::string trim(std::string_view text);

/// A contact's name: trimmed, fewer than 70 characters, no control characters; may be empty.
tl::expected<std::string, std::string> normalise_contact_name(std::string_view text);

/// A group's or domain's name: trimmed, 1 to `max_length` characters, no control characters.
tl::expected<std::string, std::string> normalise_title(std::string_view text,
                                                       std::size_t max_length);

/// An alias: trimmed, truncated to 63 characters (the manual: "less than 64 characters,
/// longer values will be truncated"), then only `A-Z a-z 0-9 - _ .`. Empty: no alias.
tl::expected<std::optional<std::string>, std::string> normalise_alias(std::string_view text);

/// An email address: trimmed and truncated to 254 characters (the manual), then it must
/// look like `local@domain` without spaces. Empty: no email.
tl::expected<std::optional<std::string>, std::string> normalise_email(std::string_view text);

/// A public identifier: trimmed, at most 100 characters, no control characters. Empty: none.
tl::expected<std::optional<std::string>, std::string> normalise_public_id(std::string_view text);

/// A text the gateway sends (stop, start and help replies, default replies, a keyword's
/// messages): trimmed, valid UTF-8, at most `max_length` characters; line breaks and tabs
/// are kept, other control characters refused. May be empty.
tl::expected<std::string, std::string> normalise_message_text(std::string_view text,
                                                              std::size_t max_length);

/// A tag value: trimmed, at most 1000 characters, no control characters. Empty: no value.
tl::expected<std::optional<std::string>, std::string> normalise_tag_value(std::string_view text);

/// A contact property (custom field) name: lower-cased, `[a-z][a-z0-9_]*`, at most 40
/// characters, not one of the standard columns (`email` excepted: it names the email
/// column).
tl::expected<std::string, std::string> normalise_property_name(std::string_view text);

/// The row id in a system id such as `C#1042` (prefix `C#`); nullopt when `text` is not
/// one, or its number does not fit an id.
std::optional<std::int64_t> parse_system_id(std::string_view text, std::string_view prefix);

}  // namespace smsgw::store
