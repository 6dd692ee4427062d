// Fuzzes the SMPP reader: the input is a receive buffer, framed PDU after PDU as the session
// does. Every complete frame is decoded; what decodes is encoded again, which may refuse a
// field only with std::invalid_argument; what does not decode gets its error response.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <stdexcept>
#include <vector>

#include "fuzz/check.hpp"
#include "smpp/codec.hpp"

namespace smpp = smsgw::smpp;
namespace fuzz = smsgw::fuzz;

namespace {

/// The bytes `p` encodes to, or nothing when a field cannot be represented.
std::vector<std::uint8_t> encode_or_empty(const smpp::pdu& p) {
  try {
    return smpp::encode(p);
  } catch (const std::invalid_argument&) {
    return {};
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
}

/// Encoded bytes are exactly one frame whose command_length is their size.
void check_one_frame(std::span<const std::uint8_t> bytes) {
  const smpp::frame f = smpp::check_frame(bytes);
  fuzz::check(f.state == smpp::frame_state::complete, "encode gave an incomplete frame");
  fuzz::check(f.size == bytes.size(), "encode gave a command_length other than its size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> buffered(data, size);
  while (true) {
    const smpp::frame f = smpp::check_frame(buffered);
    if (f.state == smpp::frame_state::malformed) {
      fuzz::check(f.size < smpp::header_size || f.size > smpp::max_pdu_size,
                  "malformed frame with an acceptable length");
      break;
    }
    if (f.state == smpp::frame_state::need_more) break;
    fuzz::check(
        f.size >= smpp::header_size && f.size <= smpp::max_pdu_size && f.size <= buffered.size(),
        "complete frame outside the buffer or the bounds");
    const auto frame_bytes = buffered.first(f.size);
    const auto decoded = smpp::decode(frame_bytes);
    if (decoded) {
      const smpp::header h = smpp::read_header(frame_bytes);
      fuzz::check(decoded->command_id == h.command_id && decoded->sequence == h.sequence,
                  "decode changed the header");
      const auto again = encode_or_empty(*decoded);
      if (!again.empty()) {
        check_one_frame(again);
        (void)smpp::decode(again);
      }
    } else {
      // The answer to a PDU that failed to decode is header-only and always encodes.
      const smpp::pdu answer = smpp::error_response(decoded.error());
      try {
        const auto bytes = smpp::encode(answer);
        fuzz::check(bytes.size() == smpp::header_size, "error response is not header-only");
      } catch (const std::exception& e) {
        fuzz::unexpected_exception(e);
      }
    }
    buffered = buffered.subspan(f.size);
  }
  return 0;
}
