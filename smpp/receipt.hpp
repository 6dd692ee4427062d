// Delivery receipts: recognising them among deliver_sm and reading what they report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smpp/pdu.hpp"

namespace smsgw::smpp {

namespace tag {
/// network_error_code (SMPP 3.4 §5.3.2.31): network type octet, then a 16-bit error code.
inline constexpr std::uint16_t network_error_code = 0x0423;
}  // namespace tag

/// Final or intermediate state of a message, as SMPP 3.4 §5.2.28 names it.
enum class message_state : std::uint8_t {
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};

/// `DELIVRD` → delivered, ... (any case, also §5.2.28's full names such as `DELIVERED`);
/// also accepts the numeric TLV values `1`..`8`. nullopt when unknown.
std::optional<message_state> parse_state(std::string_view text);
/// The receipt text's form: `DELIVRD`, `UNDELIV`, ... (parse_state reads it back).
const char* to_string(message_state s);

/// What a receipt says about one submitted message.
struct receipt {
  std::string message_id;  ///< as reported (TLV receipted_message_id, else the text's id:)
  message_state state = message_state::unknown;
  std::string error;        ///< the text's err: field, or network_error_code as hex
  std::string submit_date;  ///< YYMMDDhhmm as in the text, when present
  std::string done_date;

  /// True when `submitted_id` (what submit_sm_resp gave) names the same message: equal as
  /// text, or equal as numbers when one is decimal and the other hexadecimal (SMSCs differ).
  /// Two decimal ids compare as numbers only (`000123` is `123`), two hex ids ignore case;
  /// an empty id matches nothing.
  [[nodiscard]] bool matches(std::string_view submitted_id) const;
};

/// True when esm_class marks the deliver_sm as a receipt or SME acknowledgement.
bool is_receipt(const sm_body& deliver);

/// Reads a receipt: receipted_message_id and message_state TLVs first, else the text
/// `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…` (case-insensitive
/// keys, any order, extra fields ignored). nullopt when neither names an id. Never throws.
std::optional<receipt> parse_receipt(const sm_body& deliver);

}  // namespace smsgw::smpp
