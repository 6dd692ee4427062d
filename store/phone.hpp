// Phone numbers: contact and raw send numbers validated and written in E.164 with
// libphonenumber, the only place the store parses them.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace smsgw::store {

/// `text` as E.164 (`+61412345678`), or why it is not a valid number. International input
/// (`+61 412 345 678`, `0011 61 ...` from the region) is taken as is; anything else is read
/// as a national number of `default_region` (ISO 3166 alpha-2, e.g. "AU") and as an
/// international number written without its `+` (`61412345678`, the manual's import
/// examples): the valid reading wins, and two valid different readings are refused as
/// ambiguous. 7 to 15 digits. Only digits, spaces and `+-().` are accepted.
tl::expected<std::string, std::string> to_e164(std::string_view text,
                                               std::string_view default_region);

/// Whether `number` can be a contact's number as the contacts table's CHECK has it: an
/// optional `+` and 3 to 20 digits (E.164, or a short code). An MO from anything else (an
/// alphanumeric sender, no sender at all) can text a keyword but cannot join a group.
bool is_contact_number(std::string_view number);

/// Whether a search query is (the start of) a phone number: digits, with `+-().` and spaces.
bool looks_like_number(std::string_view query);

/// The digits a number search looks for among stored E.164 numbers: a query with `+` as
/// typed; a national one (`0412 000`, starting with the national prefix of
/// `default_region`) with the prefix replaced by the country code (`61412000`); otherwise
/// the digits as typed (`61412`).
std::string number_search_digits(std::string_view query, std::string_view default_region);

}  // namespace smsgw::store
