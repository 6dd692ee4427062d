// Fuzzes receipt reading: a deliver_sm body whose esm_class, receipt TLVs
// (receipted_message_id, message_state, network_error_code) and short_message or
// message_payload text come from the input; then id matching against input strings.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/check.hpp"
#include "smpp/receipt.hpp"

namespace smpp = smsgw::smpp;
namespace fuzz = smsgw::fuzz;

namespace {

smpp::sm_body make_body(FuzzedDataProvider& in) {
  smpp::sm_body b;
  b.esm_class = in.ConsumeIntegral<std::uint8_t>();
  const auto flags = in.ConsumeIntegral<std::uint8_t>();
  if ((flags & 0x01) != 0) {
    b.tlvs.push_back({smpp::tag::receipted_message_id, in.ConsumeRandomLengthString(70)});
  }
  if ((flags & 0x02) != 0) {
    const std::size_t n = (flags & 0x80) != 0 ? in.ConsumeIntegralInRange<std::size_t>(0, 3) : 1;
    b.tlvs.push_back({smpp::tag::message_state, in.ConsumeBytesAsString(n)});
  }
  if ((flags & 0x04) != 0) {
    const std::size_t n = (flags & 0x80) != 0 ? in.ConsumeIntegralInRange<std::size_t>(0, 5) : 3;
    b.tlvs.push_back({smpp::tag::network_error_code, in.ConsumeBytesAsString(n)});
  }
  std::string text = in.ConsumeRandomLengthString(1024);
  if ((flags & 0x08) != 0) {
    b.tlvs.push_back({smpp::tag::message_payload, std::move(text)});
  } else {
    if (text.size() > 254) text.resize(254);
    b.short_message = std::move(text);
  }
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string other_id = in.ConsumeRandomLengthString(70);
  const smpp::sm_body b = make_body(in);
  (void)smpp::is_receipt(b);
  const auto r = smpp::parse_receipt(b);
  if (r) {
    fuzz::check(!r->message_id.empty(), "a receipt without an id");
    fuzz::check(r->matches(r->message_id), "an id does not match itself");
    fuzz::check(smpp::parse_state(smpp::to_string(r->state)) == r->state,
                "to_string does not read back");
    smpp::receipt mirrored;
    mirrored.message_id = other_id;
    fuzz::check(r->matches(other_id) == mirrored.matches(r->message_id),
                "matches is not symmetric");
  }
  (void)smpp::parse_state(other_id);
  return 0;
}
