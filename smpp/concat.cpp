// Concatenation in both directions. Everything here reads untrusted octets: every offset is
// checked against what remains before it is used, and failures are values, not exceptions.
#include "smpp/concat.hpp"

#include <array>
#include <cstddef>
#include <stdexcept>

namespace smsgw::smpp {
namespace {

constexpr std::uint8_t iei_concat_8bit = 0x00;
constexpr std::uint8_t iei_concat_16bit = 0x08;
constexpr std::uint8_t gsm_escape = 0x1B;
constexpr std::size_t max_parts = 255;

std::uint8_t octet(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

/// What a UDH or the SAR TLVs say: no concatenation, a part, or a malformed header.
struct concat_info {
  std::optional<part_info> part;
  bool bad = false;
};

/// A part from total and index as read; total 1 means "not concatenated".
concat_info make_part(std::uint16_t reference, std::uint8_t total, std::uint8_t index) {
  if (total == 0 || index == 0 || index > total) return {std::nullopt, true};
  if (total == 1) return {};
  return {part_info{reference, total, index}, false};
}

/// Walks the IEs of `udh` (without its length octet). 3GPP TS 23.040 §9.2.3.24: when an IE
/// repeats, the last occurrence is the one that counts.
concat_info read_udh(std::string_view udh) {
  concat_info found;
  std::size_t i = 0;
  while (i < udh.size()) {
    if (udh.size() - i < 2) return {std::nullopt, true};  // IEI without its length
    const std::uint8_t iei = octet(udh, i);
    const std::size_t length = octet(udh, i + 1);
    i += 2;
    if (length > udh.size() - i) return {std::nullopt, true};
    const std::string_view data = udh.substr(i, length);
    i += length;
    if (iei == iei_concat_8bit) {
      if (length != 3) return {std::nullopt, true};
      found = make_part(octet(data, 0), octet(data, 1), octet(data, 2));
    } else if (iei == iei_concat_16bit) {
      if (length != 4) return {std::nullopt, true};
      const auto reference = static_cast<std::uint16_t>((octet(data, 0) << 8) | octet(data, 1));
      found = make_part(reference, octet(data, 2), octet(data, 3));
    }
    if (found.bad) return found;
  }
  return found;
}

/// The SAR TLVs: all three or none; each with its SMPP 3.4 width (§5.3.2.22-24).
concat_info read_sar(const sm_body& pdu) {
  const std::string* ref = pdu.find_tlv(tag::sar_msg_ref_num);
  const std::string* total = pdu.find_tlv(tag::sar_total_segments);
  const std::string* seq = pdu.find_tlv(tag::sar_segment_seqnum);
  if (ref == nullptr && total == nullptr && seq == nullptr) return {};
  if (ref == nullptr || total == nullptr || seq == nullptr) return {std::nullopt, true};
  if (ref->size() != 2 || total->size() != 1 || seq->size() != 1) return {std::nullopt, true};
  const auto reference = static_cast<std::uint16_t>((octet(*ref, 0) << 8) | octet(*ref, 1));
  return make_part(reference, octet(*total, 0), octet(*seq, 0));
}

/// The length of the next piece starting at `at` that must stay in one part: a GSM escape
/// with what it escapes, a UTF-16 surrogate pair, or else one unit. In octets.
std::size_t piece(std::string_view octets, std::size_t at, bool ucs2) {
  const std::size_t left = octets.size() - at;
  if (!ucs2) return octet(octets, at) == gsm_escape && left >= 2 ? 2 : 1;
  if (left < 2) return left;  // a stray odd octet travels alone
  const auto unit = [&](std::size_t k) { return (octet(octets, k) << 8) | octet(octets, k + 1); };
  const int first = unit(at);
  if (first >= 0xD800 && first <= 0xDBFF && left >= 4) {
    const int second = unit(at + 2);
    if (second >= 0xDC00 && second <= 0xDFFF) return 4;
  }
  return 2;
}

}  // namespace

read_result read_octets(const sm_body& pdu) {
  std::string_view data = pdu.short_message;
  if (data.empty()) {
    if (const std::string* payload = pdu.find_tlv(tag::message_payload)) data = *payload;
  }
  concat_info info;
  if ((pdu.esm_class & esm_udhi) != 0) {
    if (data.empty()) return {std::nullopt, octets_error::bad_udh};
    const std::size_t udhl = octet(data, 0);
    if (udhl > data.size() - 1) return {std::nullopt, octets_error::bad_udh};
    info = read_udh(data.substr(1, udhl));
    if (info.bad) return {std::nullopt, octets_error::bad_udh};
    data.remove_prefix(1 + udhl);
  }
  // A UDH that names the part wins; the SAR TLVs are read only without one.
  if (!info.part) {
    info = read_sar(pdu);
    if (info.bad) return {std::nullopt, octets_error::bad_sar};
  }
  return {message_octets{std::string(data), info.part}, std::nullopt};
}

std::optional<std::string> assemble(const std::vector<message_octets>& parts) {
  if (parts.empty()) return std::nullopt;
  // A PDU that was not one part of several is a whole message of one part.
  const part_info first = parts.front().part.value_or(part_info{});
  if (first.total == 0) return std::nullopt;
  std::array<const std::string*, max_parts + 1> by_index{};  // [0] unused
  std::size_t present = 0;
  for (const auto& p : parts) {
    const part_info info = p.part.value_or(part_info{});
    if (info.reference != first.reference || info.total != first.total) continue;
    if (info.index == 0 || info.index > info.total) continue;
    if (by_index[info.index] != nullptr) continue;  // a duplicate: the first one wins
    by_index[info.index] = &p.octets;
    ++present;
  }
  if (present != first.total) return std::nullopt;
  std::size_t size = 0;
  for (std::size_t i = 1; i <= first.total; ++i) size += by_index[i]->size();
  std::string out;
  out.reserve(size);
  for (std::size_t i = 1; i <= first.total; ++i) out += *by_index[i];
  return out;
}

std::vector<submit_part> split(const encoded_text& text, const split_options& options) {
  const std::string_view octets = text.octets;
  const bool ucs2 = text.data_coding == coding::ucs2;
  const bool gsm = text.data_coding == coding::smsc_default;
  // GSM travels one septet per octet; UCS-2 and any 8-bit coding fill 140 octets.
  const std::size_t single_limit = gsm ? 160 : 140;
  if (octets.size() <= single_limit) return {submit_part{std::string(octets), false}};

  const std::size_t udh_size = options.reference_16bit ? 7 : 6;
  // 140 octets of user data; packed septets give 160 per 140 octets (153 after a 6-octet UDH).
  const std::size_t part_limit = gsm    ? (140 - udh_size) * 8 / 7
                                 : ucs2 ? (140 - udh_size) / 2 * 2
                                        : 140 - udh_size;

  // Cut first: the part count goes into every UDH.
  std::vector<std::string_view> bodies;
  std::size_t at = 0;
  while (at < octets.size()) {
    if (bodies.size() == max_parts) {
      throw std::length_error("text needs more than 255 parts");
    }
    std::size_t end = at;
    while (end < octets.size()) {
      const std::size_t n = piece(octets, end, ucs2);
      if (end + n - at > part_limit) break;
      end += n;
    }
    bodies.push_back(octets.substr(at, end - at));
    at = end;
  }

  std::vector<submit_part> parts;
  parts.reserve(bodies.size());
  const auto total = static_cast<char>(bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    std::string sm;
    sm.reserve(udh_size + bodies[i].size());
    if (options.reference_16bit) {
      sm += {0x06, 0x08, 0x04, static_cast<char>(options.reference >> 8),
             static_cast<char>(options.reference & 0xFF)};
    } else {
      sm += {0x05, 0x00, 0x03, static_cast<char>(options.reference & 0xFF)};
    }
    sm += total;
    sm += static_cast<char>(i + 1);
    sm += bodies[i];
    parts.push_back(submit_part{std::move(sm), true});
  }
  return parts;
}

}  // namespace smsgw::smpp
