// Fuzzes concatenation. Reading: a few deliver_sm bodies built from the input (esm_class,
// data_coding, short_message, optional SAR TLVs and message_payload) go through read_octets
// and then assemble. Splitting: the rest of the input is encoded text whose parts must read
// back, through read_octets and assemble, to exactly that text.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/check.hpp"
#include "smpp/concat.hpp"

namespace smpp = smsgw::smpp;
namespace fuzz = smsgw::fuzz;

namespace {

constexpr std::size_t max_bodies = 6;

/// One deliver_sm body: which TLVs it carries is decided by a flag octet.
smpp::sm_body make_body(FuzzedDataProvider& in) {
  smpp::sm_body b;
  b.esm_class = in.ConsumeIntegral<std::uint8_t>();
  b.data_coding = in.ConsumeIntegral<std::uint8_t>();
  const auto flags = in.ConsumeIntegral<std::uint8_t>();
  const auto tlv = [&](std::uint16_t t, std::size_t usual_size) {
    // Mostly the width SMPP gives the TLV, sometimes any length.
    const std::size_t n =
        (flags & 0x80) != 0 ? in.ConsumeIntegralInRange<std::size_t>(0, 5) : usual_size;
    b.tlvs.push_back({t, in.ConsumeBytesAsString(n)});
  };
  if ((flags & 0x01) != 0) tlv(smpp::tag::sar_msg_ref_num, 2);
  if ((flags & 0x02) != 0) tlv(smpp::tag::sar_total_segments, 1);
  if ((flags & 0x04) != 0) tlv(smpp::tag::sar_segment_seqnum, 1);
  b.short_message = in.ConsumeRandomLengthString(254);
  if ((flags & 0x08) != 0) {
    b.tlvs.push_back({smpp::tag::message_payload, in.ConsumeRandomLengthString(1024)});
  }
  return b;
}

void check_read(const smpp::sm_body& b, const smpp::read_result& r) {
  fuzz::check(r.value.has_value() != r.error.has_value(), "neither or both of value and error");
  if (!r.value) return;
  const std::size_t source = b.short_message.empty() && b.find_tlv(smpp::tag::message_payload)
                                 ? b.find_tlv(smpp::tag::message_payload)->size()
                                 : b.short_message.size();
  fuzz::check(r.value->octets.size() <= source, "octets longer than their source");
  if (const auto& p = r.value->part) {
    fuzz::check(p->total >= 2 && p->index >= 1 && p->index <= p->total, "part out of range");
  }
}

/// Splits `text` and reads every part back as an SMSC would deliver it.
void check_split(const smpp::encoded_text& text, const smpp::split_options& options) {
  std::vector<smpp::submit_part> parts;
  try {
    parts = smpp::split(text, options);
  } catch (const std::length_error&) {
    return;
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  fuzz::check(!parts.empty() && parts.size() <= 255, "part count out of range");
  std::vector<smpp::message_octets> read;
  bool after_high_surrogate = false;  // the previous UCS-2 part ended in one
  for (const auto& p : parts) {
    fuzz::check(p.short_message.size() <= 253, "part does not fit short_message");
    fuzz::check(p.udhi == (parts.size() > 1), "UDHI on a single part or missing on a part");
    smpp::sm_body b;
    b.esm_class = p.udhi ? smpp::esm_udhi : 0;
    b.short_message = p.short_message;
    const auto r = smpp::read_octets(b);
    fuzz::check(r.value.has_value(), "a split part does not read back");
    if (parts.size() > 1) {
      fuzz::check(r.value->part.has_value(), "a split part has no concatenation");
      const std::string& body = r.value->octets;
      if (text.data_coding == smpp::coding::smsc_default && r.value->part->index < parts.size()) {
        // The part must not end in an escape whose escaped septet went to the next part.
        bool lone_escape_last = false;
        std::size_t i = 0;
        while (i < body.size()) {
          const bool escape = body[i] == '\x1B';
          lone_escape_last = escape && i + 1 == body.size();
          i += escape && i + 1 < body.size() ? 2 : 1;
        }
        fuzz::check(!lone_escape_last, "a GSM part ends with a lone escape");
      }
      if (text.data_coding == smpp::coding::ucs2) {
        const auto unit_at = [&](std::size_t k) {
          return (static_cast<unsigned char>(body[k]) << 8) |
                 static_cast<unsigned char>(body[k + 1]);
        };
        const bool starts_low = body.size() >= 2 && unit_at(0) >= 0xDC00 && unit_at(0) <= 0xDFFF;
        fuzz::check(!(after_high_surrogate && starts_low), "a surrogate pair is split");
        const std::size_t last = body.size() >= 2 && body.size() % 2 == 0 ? body.size() - 2 : 0;
        after_high_surrogate = body.size() >= 2 && body.size() % 2 == 0 &&
                               unit_at(last) >= 0xD800 && unit_at(last) <= 0xDBFF;
      }
    }
    read.push_back(*r.value);
  }
  const auto whole = smpp::assemble(read);
  fuzz::check(whole.has_value() && *whole == text.octets, "split parts do not reassemble");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<smpp::message_octets> parts;
  std::size_t total_octets = 0;
  const std::size_t bodies = in.ConsumeIntegralInRange<std::size_t>(1, max_bodies);
  for (std::size_t i = 0; i < bodies && in.remaining_bytes() > 0; ++i) {
    const smpp::sm_body b = make_body(in);
    const auto r = smpp::read_octets(b);
    check_read(b, r);
    if (r.value) {
      total_octets += r.value->octets.size();
      parts.push_back(*r.value);
    }
  }
  if (const auto whole = smpp::assemble(parts)) {
    fuzz::check(whole->size() <= total_octets, "assembled more octets than the parts hold");
  }

  const auto coding = in.ConsumeBool()
                          ? smpp::coding::smsc_default
                          : in.PickValueInArray({smpp::coding::ucs2, smpp::coding::latin1});
  const smpp::split_options options{in.ConsumeBool(), in.ConsumeIntegral<std::uint16_t>()};
  smpp::encoded_text text{coding, in.ConsumeRemainingBytesAsString(), 0};
  text.units = coding == smpp::coding::ucs2 ? text.octets.size() / 2 : text.octets.size();
  check_split(text, options);
  return 0;
}
