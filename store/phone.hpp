// Phone numbers: contact and raw send numbers validated and written in E.164 with
// libphonenumber, the only place the store parses them.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace smsgw::store {

/// `text` as E.164 (`+61412345678`), or why it is not a valid number. International input
/// (`+61 412 345 678`, `0011 61 ...` from the region) is taken as is; anything else is read
/// first as a national number of `default_region` (ISO 3166 alpha-2, e.g. "AU") and, when
/// that is not valid, as an international number written without its `+` (`61412345678`,
/// the manual's import examples). Only digits, spaces and `+-().` are accepted.
tl::expected<std::string, std::string> to_e164(std::string_view text,
                                               std::string_view default_region);

}  // namespace smsgw::store
