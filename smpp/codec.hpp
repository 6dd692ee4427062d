// SMPP 3.4 wire codec: framing and header decoding are ours; bodies go through libsmpp34.
//
// The header is read first so that oversize or undersize lengths are refused before any
// allocation, responses carrying an error status (vendor codes included) decode from the
// header alone, and a body libsmpp34 refuses still yields the status SMPP 3.4 asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::smpp {

inline constexpr std::size_t header_size = 16;
/// Largest PDU accepted: a deliver_sm with a 64 KiB message_payload fits.
inline constexpr std::size_t max_pdu_size = std::size_t{70} * 1024;

/// The four header fields, exactly as on the wire.
struct header {
  std::uint32_t length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t status = 0;
  std::uint32_t sequence = 0;
};

/// What the bytes at the front of a receive buffer hold.
enum class frame_state { need_more, complete, malformed };

/// Result of looking at a receive buffer: a complete PDU of `size` bytes, more bytes
/// needed, or a length outside [16, max_pdu_size] (the link must be closed).
struct frame {
  frame_state state = frame_state::need_more;
  std::size_t size = 0;
};

/// Looks at the start of `buffered` without copying or allocating.
frame check_frame(std::span<const std::uint8_t> buffered);

/// Reads the header from at least 16 bytes.
header read_header(std::span<const std::uint8_t> bytes);

/// Why a complete frame could not be decoded, and what to answer: for a request, its
/// `_resp` with `status` (or generic_nack with `status` when the command is unknown).
struct decode_error {
  header hdr;
  std::uint32_t status = status::system_error;
  std::string reason;
};

/// Decodes exactly one PDU (`bytes.size()` equals its command_length).
tl::expected<pdu, decode_error> decode(std::span<const std::uint8_t> bytes);

/// Encodes a PDU; throws std::invalid_argument when a field cannot be represented
/// (too long, unknown command). A response with a non-zero status is header-only.
std::vector<std::uint8_t> encode(const pdu& p);

/// The answer to a request that failed to decode: its `_resp` or a generic_nack.
pdu error_response(const decode_error& e);

}  // namespace smsgw::smpp
