// SMPP 3.4 PDU values: plain C++ types, independent of the wire codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace smsgw::smpp {

/// Command ids used by smsgw (SMPP 3.4 §5.1.2.1). Other ids are kept as raw integers.
namespace command {
inline constexpr std::uint32_t generic_nack = 0x80000000;
inline constexpr std::uint32_t bind_receiver = 0x00000001;
inline constexpr std::uint32_t bind_receiver_resp = 0x80000001;
inline constexpr std::uint32_t bind_transmitter = 0x00000002;
inline constexpr std::uint32_t bind_transmitter_resp = 0x80000002;
inline constexpr std::uint32_t submit_sm = 0x00000004;
inline constexpr std::uint32_t submit_sm_resp = 0x80000004;
inline constexpr std::uint32_t deliver_sm = 0x00000005;
inline constexpr std::uint32_t deliver_sm_resp = 0x80000005;
inline constexpr std::uint32_t unbind = 0x00000006;
inline constexpr std::uint32_t unbind_resp = 0x80000006;
inline constexpr std::uint32_t bind_transceiver = 0x00000009;
inline constexpr std::uint32_t bind_transceiver_resp = 0x80000009;
inline constexpr std::uint32_t enquire_link = 0x00000015;
inline constexpr std::uint32_t enquire_link_resp = 0x80000015;
inline constexpr std::uint32_t response_bit = 0x80000000;
}  // namespace command

/// command_status values smsgw acts on (SMPP 3.4 §5.1.3). Any 32-bit value may arrive.
namespace status {
inline constexpr std::uint32_t ok = 0x00;
inline constexpr std::uint32_t invalid_message_length = 0x01;    // ESME_RINVMSGLEN
inline constexpr std::uint32_t invalid_command_length = 0x02;    // ESME_RINVCMDLEN
inline constexpr std::uint32_t invalid_command_id = 0x03;        // ESME_RINVCMDID
inline constexpr std::uint32_t invalid_bind_status = 0x04;       // ESME_RINVBNDSTS
inline constexpr std::uint32_t already_bound = 0x05;             // ESME_RALYBND
inline constexpr std::uint32_t system_error = 0x08;              // ESME_RSYSERR
inline constexpr std::uint32_t invalid_source_address = 0x0A;    // ESME_RINVSRCADR
inline constexpr std::uint32_t invalid_dest_address = 0x0B;      // ESME_RINVDSTADR
inline constexpr std::uint32_t bind_failed = 0x0D;               // ESME_RBINDFAIL
inline constexpr std::uint32_t invalid_password = 0x0E;          // ESME_RINVPASWD
inline constexpr std::uint32_t invalid_system_id = 0x0F;         // ESME_RINVSYSID
inline constexpr std::uint32_t message_queue_full = 0x14;        // ESME_RMSGQFUL
inline constexpr std::uint32_t invalid_source_ton = 0x48;        // ESME_RINVSRCTON
inline constexpr std::uint32_t invalid_source_npi = 0x49;        // ESME_RINVSRCNPI
inline constexpr std::uint32_t invalid_dest_ton = 0x50;          // ESME_RINVDSTTON
inline constexpr std::uint32_t invalid_dest_npi = 0x51;          // ESME_RINVDSTNPI
inline constexpr std::uint32_t throttled = 0x58;                 // ESME_RTHROTTLED
inline constexpr std::uint32_t temporary_app_error = 0x64;       // ESME_RX_T_APPN
inline constexpr std::uint32_t permanent_app_error = 0x65;       // ESME_RX_P_APPN
inline constexpr std::uint32_t invalid_optional_stream = 0xC0;   // ESME_RINVOPTPARSTREAM
inline constexpr std::uint32_t invalid_parameter_length = 0xC2;  // ESME_RINVPARLEN
inline constexpr std::uint32_t unknown_error = 0xFF;             // ESME_RUNKNOWNERR
}  // namespace status

/// `ESME_RTHROTTLED` for a known status, `0x00000400` (hex) for any other.
std::string status_name(std::uint32_t status);

/// True for statuses after which the same request may succeed later (throttling, a full
/// queue, system and temporary application errors, a bind not ready); false for the rest.
bool is_temporary(std::uint32_t status);

/// `submit_sm` for a known command id, `0x00010203` (hex) for any other.
std::string command_name(std::uint32_t command_id);

/// True for command ids with the response bit set.
constexpr bool is_response(std::uint32_t command_id) {
  return (command_id & command::response_bit) != 0;
}

/// Address with type of number and numbering plan indicator.
struct address {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string value;
  friend bool operator==(const address&, const address&) = default;
};

/// One optional parameter, its value as the raw big-endian bytes of the wire.
struct tlv {
  std::uint16_t tag = 0;
  std::string value;
  friend bool operator==(const tlv&, const tlv&) = default;
};

/// Well-known TLV tags.
namespace tag {
inline constexpr std::uint16_t receipted_message_id = 0x001E;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;
inline constexpr std::uint16_t sar_total_segments = 0x020E;
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;
inline constexpr std::uint16_t sc_interface_version = 0x0210;
inline constexpr std::uint16_t message_payload = 0x0424;
inline constexpr std::uint16_t message_state = 0x0427;
}  // namespace tag

/// Body of bind_transmitter, bind_receiver and bind_transceiver.
struct bind_body {
  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = 0x34;
  address address_range;
  friend bool operator==(const bind_body&, const bind_body&) = default;
};

/// Body of the three bind responses.
struct bind_resp_body {
  std::string system_id;
  std::vector<tlv> tlvs;
  friend bool operator==(const bind_resp_body&, const bind_resp_body&) = default;
};

/// Body of submit_sm and deliver_sm (same layout on the wire).
struct sm_body {
  std::string service_type;
  address source;
  address destination;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;  ///< raw octets, at most 254
  std::vector<tlv> tlvs;
  friend bool operator==(const sm_body&, const sm_body&) = default;
  /// The value of TLV `t`, if present.
  [[nodiscard]] const std::string* find_tlv(std::uint16_t t) const;
};

/// Body of submit_sm_resp and deliver_sm_resp.
struct sm_resp_body {
  std::string message_id;
  friend bool operator==(const sm_resp_body&, const sm_resp_body&) = default;
};

/// No body: enquire_link(_resp), unbind(_resp), generic_nack, error responses.
struct empty_body {
  friend bool operator==(const empty_body&, const empty_body&) = default;
};

using body = std::variant<empty_body, bind_body, bind_resp_body, sm_body, sm_resp_body>;

/// A whole PDU: header fields (command_length is computed on encode) and body.
struct pdu {
  std::uint32_t command_id = 0;
  std::uint32_t status = status::ok;
  std::uint32_t sequence = 0;
  smpp::body body;
  friend bool operator==(const pdu&, const pdu&) = default;
};

/// The response to request `req` with `status` and an empty or given body.
pdu make_response(const pdu& req, std::uint32_t status, smpp::body b = empty_body{});

}  // namespace smsgw::smpp
