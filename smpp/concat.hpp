// Concatenated SMS: reading the parts of a long MO (UDH IEI 0x00/0x08, SAR TLVs,
// message_payload) and splitting a long reply into parts. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/pdu.hpp"
#include "smpp/text.hpp"

namespace smsgw::smpp {

/// esm_class bit: short_message starts with a User Data Header.
inline constexpr std::uint8_t esm_udhi = 0x40;

/// Where one part sits in its message.
struct part_info {
  std::uint16_t reference = 0;
  std::uint8_t total = 1;  ///< parts in the message, 1..255
  std::uint8_t index = 1;  ///< this part, 1..total
  friend bool operator==(const part_info&, const part_info&) = default;
};

/// The text-bearing octets of a deliver_sm or submit_sm, with what concatenation says.
struct message_octets {
  std::string octets;             ///< user data without the UDH
  std::optional<part_info> part;  ///< set when this PDU is one part of several
};

/// Why the octets could not be read.
enum class octets_error {
  bad_udh,  ///< UDHI set but the header is missing, longer than the data or an IE overruns
            ///< it, or its concatenation IE is malformed (length, total 0, index 0 or > total)
  bad_sar,  ///< SAR TLVs incomplete or out of range (total 0, index 0 or > total)
};

/// Reads `message_payload` (preferred when short_message is empty) or `short_message`,
/// strips a UDH when esm_class has UDHI, and finds concatenation in the UDH (IEI 0x00 with
/// an 8-bit reference, 0x08 with a 16-bit one; other IEs before or after are skipped; the
/// last one counts when it repeats) or else in the SAR TLVs. A UDH or SAR saying total 1
/// yields no part. Never throws.
struct read_result {
  std::optional<message_octets> value;
  std::optional<octets_error> error;
};
read_result read_octets(const sm_body& pdu);

/// The octets of a whole message from its parts, or nullopt while parts are missing.
/// `parts` may come in any order and hold duplicates (the first of each index wins); parts
/// whose reference or total differ from the first one's are ignored.
std::optional<std::string> assemble(const std::vector<message_octets>& parts);

/// How replies are split.
struct split_options {
  bool reference_16bit = false;  ///< IEI 0x08 instead of 0x00
  std::uint16_t reference = 0;   ///< the concatenation reference to use
};

/// One submit's worth of user data.
struct submit_part {
  std::string short_message;  ///< UDH (when several parts) followed by the part's octets
  bool udhi = false;          ///< set esm_class UDHI
};

/// Splits encoded text into parts: one part when it fits (160 GSM septets, 140 octets of
/// UCS-2), else parts of 153/67 units (152/66 with a 16-bit reference), never cutting a
/// GSM escape pair or a UTF-16 surrogate pair. At most 255 parts; throws
/// std::length_error beyond.
std::vector<submit_part> split(const encoded_text& text, const split_options& options);

}  // namespace smsgw::smpp
