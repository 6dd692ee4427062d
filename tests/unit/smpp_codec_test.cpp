// Unit tests for the SMPP 3.4 wire codec (smpp/codec.hpp) and the names in smpp/pdu.hpp.
// Decode inputs are hand-written wire bytes; see DEPENDENCIES.md §7 for the libsmpp34
// pitfalls (numbered) that the codec works around.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "smpp/pdu.hpp"

namespace smpp = smsgw::smpp;

namespace {

using byte_vector = std::vector<std::uint8_t>;

/// Raw octets as a std::string (TLV values and short messages hold raw octets).
std::string raw(std::initializer_list<std::uint8_t> octets) {
  return std::string(octets.begin(), octets.end());
}

template <class T>
const T* body_as(const smpp::pdu& p) {
  return std::get_if<T>(&p.body);
}

void put_u32(byte_vector& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get_u32(const byte_vector& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

/// A deliver_sm as an SMSC sends it: UCS-2 "Hi" and three TLVs (u16, u8, vendor octets).
constexpr std::array<std::uint8_t, 72> deliver_sm_wire = {
    0x00, 0x00, 0x00, 0x48,  // command_length 72
    0x00, 0x00, 0x00, 0x05,  // deliver_sm
    0x00, 0x00, 0x00, 0x00,  // ESME_ROK
    0x00, 0x00, 0x00, 0x2A,  // sequence 42
    0x00,                    // service_type ""
    0x01, 0x01,              // source TON international, NPI E.164
    '4',  '4',  '7',  '7',  '0',  '0',  '9', '0', '0', '1', '2', '3', 0x00,  // source_addr
    0x01, 0x01,                                                              // dest TON, NPI
    '1',  '2',  '3',  '4',  '5',  0x00,                                      // destination_addr
    0x00, 0x00, 0x00,                         // esm_class, protocol_id, priority_flag
    0x00, 0x00,                               // schedule_delivery_time "", validity_period ""
    0x00, 0x00,                               // registered_delivery, replace_if_present_flag
    0x08, 0x00,                               // data_coding UCS-2, sm_default_msg_id
    0x04,                                     // sm_length
    0x00, 'H',  0x00, 'i',                    // short_message
    0x02, 0x0C, 0x00, 0x02, 0x12, 0x34,       // sar_msg_ref_num 0x1234
    0x02, 0x0E, 0x00, 0x01, 0x03,             // sar_total_segments 3
    0x14, 0x01, 0x00, 0x03, 'a',  'b',  'c',  // vendor TLV 0x1401 "abc"
};

smpp::sm_body expected_deliver_sm_body() {
  smpp::sm_body b;
  b.source = {0x01, 0x01, "447700900123"};
  b.destination = {0x01, 0x01, "12345"};
  b.data_coding = 0x08;
  b.short_message = raw({0x00, 'H', 0x00, 'i'});
  b.tlvs = {{smpp::tag::sar_msg_ref_num, raw({0x12, 0x34})},
            {smpp::tag::sar_total_segments, raw({0x03})},
            {0x1401, "abc"}};
  return b;
}

/// A small submit_sm body used by several encode tests.
smpp::sm_body small_sm_body() {
  smpp::sm_body b;
  b.source = {0x01, 0x01, "123"};
  b.destination = {0x01, 0x01, "456"};
  b.registered_delivery = 0x01;
  b.short_message = "hi";
  return b;
}

smpp::pdu bind_request() {
  return {smpp::command::bind_transceiver, smpp::status::ok, 1,
          smpp::bind_body{"smsgw", "secret", "SMPP", 0x34, {0x01, 0x01, "^44"}}};
}

}  // namespace

// --- check_frame ---------------------------------------------------------------------------

TEST(SmppCheckFrame, FewerThanFourBytesNeedsMore) {
  const std::uint8_t bytes[] = {0x00, 0x00, 0x00};
  for (std::size_t n = 0; n <= 3; ++n) {
    const auto f = smpp::check_frame(std::span(bytes, n));
    EXPECT_EQ(f.state, smpp::frame_state::need_more) << n << " bytes";
  }
}

TEST(SmppCheckFrame, LengthBelowHeaderSizeIsMalformedBeforeTheBodyArrives) {
  const std::uint8_t fifteen[] = {0x00, 0x00, 0x00, 0x0F};
  EXPECT_EQ(smpp::check_frame(fifteen).state, smpp::frame_state::malformed);
  const std::uint8_t zero[] = {0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(smpp::check_frame(zero).state, smpp::frame_state::malformed);
}

TEST(SmppCheckFrame, LengthAboveMaximumIsMalformedBeforeTheBodyArrives) {
  static_assert(smpp::max_pdu_size + 1 == 0x00011801);
  const std::uint8_t over[] = {0x00, 0x01, 0x18, 0x01};
  EXPECT_EQ(smpp::check_frame(over).state, smpp::frame_state::malformed);
  const std::uint8_t all_ones[] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(smpp::check_frame(all_ones).state, smpp::frame_state::malformed);
}

TEST(SmppCheckFrame, MaximumLengthIsAcceptedAndWaitsForTheBody) {
  const std::uint8_t at_max[] = {0x00, 0x01, 0x18, 0x00};
  const auto f = smpp::check_frame(at_max);
  EXPECT_EQ(f.state, smpp::frame_state::need_more);
  EXPECT_EQ(f.size, smpp::max_pdu_size);
}

TEST(SmppCheckFrame, CompleteExactlyAtTheAnnouncedLength) {
  const std::uint8_t pdu[] = {0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x05, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
  auto f = smpp::check_frame(std::span(pdu, 16));
  EXPECT_EQ(f.state, smpp::frame_state::need_more);
  EXPECT_EQ(f.size, 17u);
  f = smpp::check_frame(std::span(pdu, 4));
  EXPECT_EQ(f.state, smpp::frame_state::need_more);
  EXPECT_EQ(f.size, 17u);
  f = smpp::check_frame(pdu);
  EXPECT_EQ(f.state, smpp::frame_state::complete);
  EXPECT_EQ(f.size, 17u);
}

TEST(SmppCheckFrame, TwoPdusBackToBackReportTheFirstSize) {
  byte_vector buf = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07};
  buf.insert(buf.end(), deliver_sm_wire.begin(), deliver_sm_wire.end());
  const auto f = smpp::check_frame(buf);
  EXPECT_EQ(f.state, smpp::frame_state::complete);
  EXPECT_EQ(f.size, 16u);
  // The second PDU is framed on its own once the first is consumed.
  const auto g = smpp::check_frame(std::span(buf).subspan(16));
  EXPECT_EQ(g.state, smpp::frame_state::complete);
  EXPECT_EQ(g.size, deliver_sm_wire.size());
}

TEST(SmppCheckFrame, DeliverSmFedByteByByteCompletesOnTheLastByte) {
  byte_vector buf;
  for (std::size_t i = 0; i < deliver_sm_wire.size(); ++i) {
    buf.push_back(deliver_sm_wire[i]);
    const auto f = smpp::check_frame(buf);
    if (buf.size() < deliver_sm_wire.size()) {
      ASSERT_EQ(f.state, smpp::frame_state::need_more) << buf.size() << " bytes";
      continue;
    }
    ASSERT_EQ(f.state, smpp::frame_state::complete);
    ASSERT_EQ(f.size, deliver_sm_wire.size());
    const auto r = smpp::decode(std::span(buf).first(f.size));
    ASSERT_TRUE(r.has_value()) << r.error().reason;
    const auto* b = body_as<smpp::sm_body>(*r);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(*b, expected_deliver_sm_body());
  }
}

// --- read_header ---------------------------------------------------------------------------

TEST(SmppReadHeader, ReadsFourBigEndianFields) {
  const std::uint8_t bytes[] = {0x00, 0x00, 0x01, 0x02, 0x80, 0x00, 0x00, 0x04, 0x00,
                                0x00, 0x04, 0x00, 0x12, 0x34, 0x56, 0x78, 0xAA};
  const smpp::header h = smpp::read_header(bytes);
  EXPECT_EQ(h.length, 0x0102u);
  EXPECT_EQ(h.command_id, smpp::command::submit_sm_resp);
  EXPECT_EQ(h.status, 0x400u);
  EXPECT_EQ(h.sequence, 0x12345678u);
}

// --- decode: header-only PDUs --------------------------------------------------------------

TEST(SmppDecode, EnquireLinkIsSixteenBytes) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command_id, smpp::command::enquire_link);
  EXPECT_EQ(r->status, smpp::status::ok);
  EXPECT_EQ(r->sequence, 7u);
  EXPECT_NE(body_as<smpp::empty_body>(*r), nullptr);
}

TEST(SmppDecode, EnquireLinkRespUnbindAndGenericNack) {
  const std::uint8_t enquire_link_resp[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x15,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08};
  const std::uint8_t unbind[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x06,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09};
  const std::uint8_t generic_nack[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0A};
  auto r = smpp::decode(enquire_link_resp);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command_id, smpp::command::enquire_link_resp);
  EXPECT_EQ(r->sequence, 8u);
  r = smpp::decode(unbind);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command_id, smpp::command::unbind);
  EXPECT_EQ(r->sequence, 9u);
  r = smpp::decode(generic_nack);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command_id, smpp::command::generic_nack);
  EXPECT_EQ(r->status, smpp::status::invalid_command_id);
  EXPECT_EQ(r->sequence, 10u);
}

// --- decode: submit_sm_resp / deliver_sm_resp ----------------------------------------------

TEST(SmppDecode, SubmitSmRespWithVendorStatusHeaderOnlyKeepsTheStatus) {
  // Pitfall 4: libsmpp34 rejects status values it does not know, such as vendor 0x400.
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x04,
                               0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->command_id, smpp::command::submit_sm_resp);
  EXPECT_EQ(r->status, 0x400u);
  EXPECT_EQ(r->sequence, 5u);
  EXPECT_NE(body_as<smpp::empty_body>(*r), nullptr);
}

TEST(SmppDecode, SubmitSmRespWithVendorStatusAndEmptyMessageIdKeepsTheStatus) {
  // Pitfall 7: libsmpp34 fails on an error response carrying a 1-byte empty message_id.
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x04, 0x00,
                               0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->command_id, smpp::command::submit_sm_resp);
  EXPECT_EQ(r->status, 0x400u);
  EXPECT_EQ(r->sequence, 6u);
  EXPECT_NE(body_as<smpp::empty_body>(*r), nullptr);
}

TEST(SmppDecode, SubmitSmRespWithKnownErrorStatusAndEmptyMessageId) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x04, 0x00,
                               0x00, 0x00, 0x58, 0x00, 0x00, 0x00, 0x06, 0x00};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->status, smpp::status::throttled);
}

TEST(SmppDecode, SubmitSmRespOkCarriesTheMessageId) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x17, 0x80, 0x00, 0x00, 0x04,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0B,
                               'a',  'b',  'c',  '1',  '2',  '3',  0x00};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->status, smpp::status::ok);
  EXPECT_EQ(r->sequence, 11u);
  const auto* b = body_as<smpp::sm_resp_body>(*r);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->message_id, "abc123");
}

TEST(SmppDecode, SubmitSmRespOkWithoutBodyHasAnEmptyMessageId) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x04,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  const auto* b = body_as<smpp::sm_resp_body>(*r);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->message_id, "");
}

TEST(SmppDecode, DeliverSmRespAcceptsNoBodyOneNulOrAMessageId) {
  const std::uint8_t no_body[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x05,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  const std::uint8_t one_nul[] = {0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x05, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00};
  const std::uint8_t with_id[] = {0x00, 0x00, 0x00, 0x14, 0x80, 0x00, 0x00, 0x05, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'x',  'y',  'z',  0x00};
  const std::uint8_t unterminated[] = {0x00, 0x00, 0x00, 0x13, 0x80, 0x00, 0x00, 0x05, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 'x',  'y',  'z'};
  struct sample {
    std::span<const std::uint8_t> wire;
    std::uint32_t sequence;
    const char* message_id;
  };
  for (const auto& [wire, sequence, message_id] :
       {sample{no_body, 1, ""}, sample{one_nul, 2, ""}, sample{with_id, 3, "xyz"},
        sample{unterminated, 4, "xyz"}}) {
    const auto r = smpp::decode(wire);
    ASSERT_TRUE(r.has_value()) << wire.size() << " bytes";
    EXPECT_EQ(r->command_id, smpp::command::deliver_sm_resp);
    EXPECT_EQ(r->sequence, sequence);
    const auto* b = body_as<smpp::sm_resp_body>(*r);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->message_id, message_id);
  }
}

// --- decode: binds -------------------------------------------------------------------------

TEST(SmppDecode, BindTransceiverRespWithScInterfaceVersion) {
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x1A, 0x80, 0x00, 0x00, 0x09,  // length 26, bind_transceiver_resp
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // ROK, sequence 1
      'S',  'M',  'S',  'C',  0x00,                    // system_id
      0x02, 0x10, 0x00, 0x01, 0x34,                    // sc_interface_version 3.4
  };
  static_assert(sizeof(wire) == 26);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->command_id, smpp::command::bind_transceiver_resp);
  const auto* b = body_as<smpp::bind_resp_body>(*r);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->system_id, "SMSC");
  ASSERT_EQ(b->tlvs.size(), 1u);
  EXPECT_EQ(b->tlvs[0].tag, smpp::tag::sc_interface_version);
  EXPECT_EQ(b->tlvs[0].value, raw({0x34}));
}

TEST(SmppDecode, BindRespWithErrorStatusIsHeaderOnly) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x09,
                               0x00, 0x00, 0x00, 0x0E, 0x00, 0x00, 0x00, 0x01};
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, smpp::status::invalid_password);
}

TEST(SmppDecode, RequestWithSequenceZeroStillDecodes) {
  // Pitfall 6: libsmpp34 refuses sequence_number 0; the codec keeps it.
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x09,  // length 34, bind_transceiver
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ROK, sequence 0
      's',  'm',  's',  'g',  'w',  0x00,              // system_id
      's',  'e',  'c',  'r',  'e',  't',  0x00,        // password
      0x00,                                            // system_type ""
      0x34, 0x00, 0x00,                                // interface_version, addr TON, NPI
      0x00,                                            // address_range ""
  };
  static_assert(sizeof(wire) == 34);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->command_id, smpp::command::bind_transceiver);
  EXPECT_EQ(r->sequence, 0u);
  const auto* b = body_as<smpp::bind_body>(*r);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b, (smpp::bind_body{"smsgw", "secret", "", 0x34, {0, 0, ""}}));
}

TEST(SmppDecode, BindTransceiverWithInterfaceVersion33IsRefusedWithBindFailed) {
  // Pitfall 5: libsmpp34 only takes interface_version 0x34. The codec maps that refusal to
  // ESME_RBINDFAIL, answered with a bind_transceiver_resp (not a dropped link).
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x0D, 's',  'm',  's',  'g',  'w',  0x00, 's',  'e',
      'c',  'r',  'e',  't',  0x00, 0x00, 0x33, 0x00, 0x00, 0x00,
  };
  static_assert(sizeof(wire) == 34);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().hdr.command_id, smpp::command::bind_transceiver);
  EXPECT_EQ(r.error().status, smpp::status::bind_failed);
  const smpp::pdu answer = smpp::error_response(r.error());
  EXPECT_EQ(answer.command_id, smpp::command::bind_transceiver_resp);
  EXPECT_EQ(answer.status, smpp::status::bind_failed);
  EXPECT_EQ(answer.sequence, 13u);
}

// --- decode: deliver_sm --------------------------------------------------------------------

TEST(SmppDecode, DeliverSmWithUcs2AndTlvsKeepsWireOrderAndBigEndianValues) {
  const auto r = smpp::decode(deliver_sm_wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->command_id, smpp::command::deliver_sm);
  EXPECT_EQ(r->status, smpp::status::ok);
  EXPECT_EQ(r->sequence, 42u);
  const auto* b = body_as<smpp::sm_body>(*r);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->source, (smpp::address{0x01, 0x01, "447700900123"}));
  EXPECT_EQ(b->destination, (smpp::address{0x01, 0x01, "12345"}));
  EXPECT_EQ(b->data_coding, 0x08);
  EXPECT_EQ(b->short_message, raw({0x00, 'H', 0x00, 'i'}));
  ASSERT_EQ(b->tlvs.size(), 3u);
  EXPECT_EQ(b->tlvs[0], (smpp::tlv{0x020C, raw({0x12, 0x34})}));
  EXPECT_EQ(b->tlvs[1], (smpp::tlv{0x020E, raw({0x03})}));
  EXPECT_EQ(b->tlvs[2], (smpp::tlv{0x1401, "abc"}));
  ASSERT_NE(b->find_tlv(smpp::tag::sar_msg_ref_num), nullptr);
  EXPECT_EQ(*b->find_tlv(smpp::tag::sar_msg_ref_num), raw({0x12, 0x34}));
  EXPECT_EQ(b->find_tlv(smpp::tag::message_payload), nullptr);
}

TEST(SmppDecode, DeliverSmReencodesToTheSameBytes) {
  // Pitfall 1: libsmpp34 reverses TLV order on build and unpack; the codec undoes both.
  const auto r = smpp::decode(deliver_sm_wire);
  ASSERT_TRUE(r.has_value());
  const byte_vector again = smpp::encode(*r);
  EXPECT_EQ(again, byte_vector(deliver_sm_wire.begin(), deliver_sm_wire.end()));
}

TEST(SmppDecode, DeliverSmTypedTagOutsideTheDeliverSmListKeepsWireBytes) {
  // dest_telematics_id (0x0008, 2 octets) is not a deliver_sm TLV for libsmpp34, which
  // forwards it as octets; the value must still be the wire's big-endian bytes.
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x2F, 0x00, 0x00, 0x00, 0x05,  // length 47, deliver_sm
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,  // ROK, sequence 3
      0x00, 0x01, 0x01, '1',  '2',  '3',  0x00,        // service_type, source
      0x01, 0x01, '4',  '5',  '6',  0x00,              // destination
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,        // esm .. replace_if_present_flag
      0x00, 0x00, 0x02, 'h',  'i',                     // data_coding, default id, "hi"
      0x00, 0x08, 0x00, 0x02, 0x12, 0x34,              // dest_telematics_id 0x1234
  };
  static_assert(sizeof(wire) == 47);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  const auto* b = body_as<smpp::sm_body>(*r);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->tlvs.size(), 1u);
  EXPECT_EQ(b->tlvs[0].tag, 0x0008);
  EXPECT_EQ(b->tlvs[0].value, raw({0x12, 0x34}));
}

TEST(SmppDecode, DeliverSmWithInvalidSourceTonAnswersDeliverSmRespRinvsrcton) {
  // Pitfall 5: libsmpp34 rejects TON 0x07 (reserved in SMPP 3.4 §5.2.5).
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x05,  // length 41, deliver_sm
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21,  // ROK, sequence 33
      0x00, 0x07, 0x01, '1',  '2',  '3',  0x00,        // service_type, source TON 7
      0x01, 0x01, '4',  '5',  '6',  0x00,              // destination
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,        // esm .. replace_if_present_flag
      0x00, 0x00, 0x02, 'h',  'i',                     // data_coding, default id, "hi"
  };
  static_assert(sizeof(wire) == 41);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().hdr.command_id, smpp::command::deliver_sm);
  EXPECT_EQ(r.error().hdr.sequence, 33u);
  EXPECT_EQ(r.error().status, smpp::status::invalid_source_ton);
  const smpp::pdu answer = smpp::error_response(r.error());
  EXPECT_EQ(answer.command_id, 0x80000005u);
  EXPECT_EQ(answer.status, 0x48u);
  EXPECT_EQ(answer.sequence, 33u);
  EXPECT_EQ(smpp::encode(answer), (byte_vector{0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x05, 0x00,
                                               0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x21}));
}

TEST(SmppDecode, DeliverSmWithInvalidNpiOrDestTonAnswersTheMatchingStatus) {
  const std::uint8_t valid[] = {
      0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x05,  // length 41, deliver_sm
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21,  // ROK, sequence 33
      0x00, 0x01, 0x01, '1',  '2',  '3',  0x00,        // service_type, source
      0x01, 0x01, '4',  '5',  '6',  0x00,              // destination
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,        // esm .. replace_if_present_flag
      0x00, 0x00, 0x02, 'h',  'i',                     // data_coding, default id, "hi"
  };
  static_assert(sizeof(valid) == 41);
  ASSERT_TRUE(smpp::decode(valid).has_value());
  struct bad_field {
    std::size_t offset;
    std::uint8_t value;
    std::uint32_t status;
  };
  // NPI 2 and TON 7 are not defined in SMPP 3.4 §5.2.5/§5.2.6.
  for (const auto& [offset, value, status] :
       {bad_field{18, 0x02, smpp::status::invalid_source_npi},
        bad_field{23, 0x07, smpp::status::invalid_dest_ton},
        bad_field{24, 0x02, smpp::status::invalid_dest_npi}}) {
    byte_vector wire(std::begin(valid), std::end(valid));
    wire[offset] = value;
    const auto r = smpp::decode(wire);
    ASSERT_FALSE(r.has_value()) << "offset " << offset;
    EXPECT_EQ(r.error().status, status) << "offset " << offset;
    EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::deliver_sm_resp);
  }
}

TEST(SmppDecode, BracketInAValidFieldDoesNotMisattributeAnotherFieldsFailure) {
  // source_addr "[Bank]" is valid; schedule_delivery_time "1" is not (deliver_sm allows only
  // NULL). libsmpp34's trace reads `[source_addr:[Bank](OK)]`, so the refusal must not be
  // blamed on source_addr.
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x2D, 0x00, 0x00, 0x00, 0x05,             // length 45, deliver_sm
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x25,             // ROK, sequence 37
      0x00, 0x05, 0x00, '[',  'B',  'a',  'n',  'k',  ']', 0x00,  // alphanumeric source
      0x01, 0x01, '4',  '5',  '6',  0x00,                         // destination
      0x00, 0x00, 0x00,        // esm_class, protocol_id, priority
      '1',  0x00, 0x00,        // schedule "1", validity ""
      0x00, 0x00, 0x00, 0x00,  // registered .. default id
      0x02, 'h',  'i',         // sm_length, short_message
  };
  static_assert(sizeof(wire) == 45);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().status, smpp::status::invalid_source_address);
  EXPECT_NE(r.error().status, smpp::status::ok);
}

TEST(SmppDecode, DeliverSmWithOverlongSourceAddrAnswersRinvsrcadr) {
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x05,  // length 60, deliver_sm
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22,  // ROK, sequence 34
      0x00, 0x01, 0x01,                                // service_type, source TON, NPI
      '1',  '2',  '3',  '4',  '5',  '6',  '7',  '8',  '9', '0', '1', '2',
      '3',  '4',  '5',  '6',  '7',  '8',  '9',  '0',  '1', '2', '3', '4',
      0x00,                                      // 24-digit source_addr (max 20)
      0x01, 0x01, '4',  '5',  '6',  0x00,        // destination
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // esm .. replace_if_present_flag
      0x00, 0x00, 0x00,                          // data_coding, default id, sm_length 0
  };
  static_assert(sizeof(wire) == 60);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_source_address);
  EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::deliver_sm_resp);
}

TEST(SmppDecode, DeliverSmWithSmLengthPastTheEndAnswersRinvmsglen) {
  // sm_length says 0x20 octets, only 2 follow.
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x23, 0x00, 0x01, 0x01, '1',  '2',  '3',  0x00, 0x01, 0x01, '4',  '5',  '6',
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 'h',  'i',
  };
  static_assert(sizeof(wire) == 41);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_message_length);
}

TEST(SmppDecode, DeliverSmWithTlvRunningPastTheEndAnswersRinvoptparstream) {
  // The message_payload TLV announces 0x10 octets, only 3 follow.
  const std::uint8_t wire[] = {
      0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0x01, '1',  '2',  '3',  0x00, 0x01,
      0x01, '4',  '5',  '6',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x02, 'h',  'i',  0x04, 0x24, 0x00, 0x10, 'a',  'b',  'c',
  };
  static_assert(sizeof(wire) == 48);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_optional_stream);
  EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::deliver_sm_resp);
}

TEST(SmppDecode, ManyOptionalParametersAreReadInWireOrder) {
  // libsmpp34 overruns its 2048-byte trace buffer from about 28 (fuzz_pdu found it), so a
  // submit_sm's or deliver_sm's optional part is read by the codec itself: an SMSC that
  // sends 320 of them is heard, not refused.
  smpp::sm_body b = small_sm_body();
  for (std::uint16_t i = 0; i < 320; ++i)
    b.tlvs.push_back({static_cast<std::uint16_t>(0x1400 + i), std::string(i % 3, 'v')});
  for (const auto id : {smpp::command::deliver_sm, smpp::command::submit_sm}) {
    const byte_vector wire = smpp::encode({id, smpp::status::ok, 7, b});
    const auto r = smpp::decode(wire);
    ASSERT_TRUE(r.has_value()) << r.error().reason;
    EXPECT_EQ(std::get<smpp::sm_body>(r->body), b);
    EXPECT_EQ(smpp::encode(*r), wire);
  }
}

TEST(SmppDecode, AMessagePayloadOverLibsmpp34sBufferIsReadWhole) {
  // SMPP 3.4 allows message_payload up to 64 KiB; libsmpp34 holds 1,024 octets.
  smpp::sm_body b = small_sm_body();
  b.short_message.clear();
  std::string payload(5000, 'p');
  payload.replace(0, 10, "MOVIE HELP");
  b.tlvs = {{smpp::tag::message_payload, payload}, {smpp::tag::sar_msg_ref_num, raw({0, 9})}};
  const byte_vector wire = smpp::encode({smpp::command::deliver_sm, smpp::status::ok, 8, b});
  EXPECT_EQ(wire.size(), 16 + 23 + 5004 + 6U);  // header, mandatory fields, the two TLVs
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  const auto* d = body_as<smpp::sm_body>(*r);
  ASSERT_NE(d, nullptr);
  ASSERT_NE(d->find_tlv(smpp::tag::message_payload), nullptr);
  EXPECT_EQ(*d->find_tlv(smpp::tag::message_payload), payload);
  EXPECT_EQ(d->source, b.source);
}

TEST(SmppDecode, AnIntegerParameterWhoseLengthIsNotItsWidthIsRefusedBeforeLibsmpp34) {
  // libsmpp34 reads sar_total_segments as one octet whatever its length says, and takes the
  // rest of the value for more parameters: 400 of them hidden in one overran its trace buffer
  // (fuzz_pdu found it; fuzz/corpus/fuzz_pdu/typed-tlv-hides-400).
  const smpp::pdu p{smpp::command::deliver_sm, smpp::status::ok, 7, small_sm_body()};
  byte_vector wire = smpp::encode(p);
  byte_vector hidden = {0x01};
  for (int i = 0; i < 400; ++i) hidden.insert(hidden.end(), {0x02, 0x0E, 0x00, 0x01, 0x01});
  const auto n = static_cast<std::uint16_t>(hidden.size());
  wire.insert(wire.end(),
              {0x02, 0x0E, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
  wire.insert(wire.end(), hidden.begin(), hidden.end());
  const auto size = static_cast<std::uint32_t>(wire.size());
  wire[2] = static_cast<std::uint8_t>(size >> 8);
  wire[3] = static_cast<std::uint8_t>(size);
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_parameter_length);
  EXPECT_EQ(r.error().reason, "optional parameter 0x020E is 2001 octets, not 1");
  EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::deliver_sm_resp);

  // The same parameter at its width is read; two octets where the type has one are not.
  for (const auto& [value, ok] :
       std::vector<std::pair<byte_vector, bool>>{{{0x03}, true}, {{0x00, 0x03}, false}}) {
    smpp::sm_body b = small_sm_body();
    byte_vector w = smpp::encode({smpp::command::deliver_sm, smpp::status::ok, 7, b});
    w.insert(w.end(), {0x02, 0x0E, 0x00, static_cast<std::uint8_t>(value.size())});
    w.insert(w.end(), value.begin(), value.end());
    w[3] = static_cast<std::uint8_t>(w.size());
    const auto d = smpp::decode(w);
    ASSERT_EQ(d.has_value(), ok) << value.size();
    if (ok) {
      ASSERT_EQ(std::get<smpp::sm_body>(d->body).tlvs.size(), 1U);
      EXPECT_EQ(std::get<smpp::sm_body>(d->body).tlvs[0].value, "\x03");
    }
  }
}

TEST(SmppDecode, TruncatedDeliverSmBodyIsADecodeError) {
  byte_vector garbage = {0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x05,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30};
  garbage.resize(40, 0xFF);  // 24 octets of garbage, no NUL anywhere
  auto r = smpp::decode(garbage);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().hdr.sequence, 0x30u);
  EXPECT_NE(r.error().status, smpp::status::ok);
  smpp::pdu answer = smpp::error_response(r.error());
  EXPECT_EQ(answer.command_id, smpp::command::deliver_sm_resp);
  EXPECT_NE(answer.status, smpp::status::ok);

  // A body that stops inside destination_addr, its C-string unterminated.
  const std::uint8_t cut[] = {0x00, 0x00, 0x00, 0x1A, 0x00, 0x00, 0x00, 0x05, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00, 0x01,
                              0x01, '1',  '2',  '3',  0x00, 0x01, 0x01, '4'};
  r = smpp::decode(cut);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::deliver_sm_resp);
}

// --- decode: header-level refusals ---------------------------------------------------------

TEST(SmppDecode, UnknownCommandIdAnswersGenericNackWithTheSameSequence) {
  const std::uint8_t wire[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x99,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02};
  const auto r = smpp::decode(wire);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_command_id);
  EXPECT_EQ(r.error().status, 0x03u);
  EXPECT_EQ(r.error().hdr.command_id, 0x99u);
  const smpp::pdu nack = smpp::error_response(r.error());
  EXPECT_EQ(nack.command_id, smpp::command::generic_nack);
  EXPECT_EQ(nack.status, smpp::status::invalid_command_id);
  EXPECT_EQ(nack.sequence, 0x0102u);
  EXPECT_NE(body_as<smpp::empty_body>(nack), nullptr);
}

TEST(SmppDecode, LengthMismatchIsInvalidCommandLength) {
  // Header says 16, 17 bytes given.
  const std::uint8_t longer[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
  auto r = smpp::decode(longer);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_command_length);
  // Header says 20, 16 bytes given.
  const std::uint8_t shorter[] = {0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x15,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02};
  r = smpp::decode(shorter);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_command_length);
  EXPECT_EQ(smpp::error_response(r.error()).command_id, smpp::command::enquire_link_resp);
  EXPECT_EQ(smpp::error_response(r.error()).sequence, 2u);
  // Fewer than 16 bytes.
  r = smpp::decode(std::span(shorter, 15));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().status, smpp::status::invalid_command_length);
}

// --- encode --------------------------------------------------------------------------------

TEST(SmppEncode, BindTransceiverBytesAndRoundTrip) {
  const smpp::pdu p = bind_request();
  const byte_vector expected = {
      0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x09,  // length 41, bind_transceiver
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // ROK, sequence 1
      's',  'm',  's',  'g',  'w',  0x00,              // system_id
      's',  'e',  'c',  'r',  'e',  't',  0x00,        // password
      'S',  'M',  'P',  'P',  0x00,                    // system_type
      0x34, 0x01, 0x01,                                // interface_version, TON, NPI
      '^',  '4',  '4',  0x00,                          // address_range
  };
  const byte_vector wire = smpp::encode(p);
  EXPECT_EQ(wire, expected);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(*r, p);
}

TEST(SmppEncode, BindTransmitterAndReceiverRoundTrip) {
  for (const std::uint32_t id : {smpp::command::bind_transmitter, smpp::command::bind_receiver}) {
    smpp::pdu p = bind_request();
    p.command_id = id;
    const auto r = smpp::decode(smpp::encode(p));
    ASSERT_TRUE(r.has_value()) << smpp::command_name(id);
    EXPECT_EQ(*r, p) << smpp::command_name(id);
  }
}

TEST(SmppEncode, BindRespRoundTripForAllThreeBindKinds) {
  const byte_vector expected = {0x00, 0x00, 0x00, 0x1A, 0x80, 0x00, 0x00, 0x09, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 'S',  'M',
                                'S',  'C',  0x00, 0x02, 0x10, 0x00, 0x01, 0x34};
  for (const std::uint32_t id :
       {smpp::command::bind_transceiver_resp, smpp::command::bind_transmitter_resp,
        smpp::command::bind_receiver_resp}) {
    const smpp::pdu p{
        id, smpp::status::ok, 1,
        smpp::bind_resp_body{"SMSC", {{smpp::tag::sc_interface_version, raw({0x34})}}}};
    const byte_vector wire = smpp::encode(p);
    byte_vector want = expected;
    put_u32(want, 4, id);
    EXPECT_EQ(wire, want) << smpp::command_name(id);
    const auto r = smpp::decode(wire);
    ASSERT_TRUE(r.has_value()) << smpp::command_name(id);
    EXPECT_EQ(*r, p) << smpp::command_name(id);
  }
}

TEST(SmppEncode, SubmitSmUcs2With253OctetsRoundTrips) {
  smpp::sm_body b = small_sm_body();
  b.data_coding = 0x08;
  b.short_message.clear();
  for (int i = 0; i < 253; ++i) b.short_message += static_cast<char>((i * 7) & 0xFF);
  const smpp::pdu p{smpp::command::submit_sm, smpp::status::ok, 77, b};
  const byte_vector wire = smpp::encode(p);
  ASSERT_EQ(wire.size(), 16u + 23u + 253u);
  EXPECT_EQ(get_u32(wire, 0), wire.size());
  EXPECT_EQ(wire[16 + 20], 0x08);  // data_coding
  EXPECT_EQ(wire[16 + 22], 0xFD);  // sm_length 253
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(*r, p);
}

TEST(SmppEncode, SubmitSmKeepsTlvOrderOnTheWire) {
  smpp::sm_body b = small_sm_body();
  b.tlvs = {{0x1401, "xy"},
            {smpp::tag::sar_msg_ref_num, raw({0x00, 0x2A})},
            {smpp::tag::sar_total_segments, raw({0x02})},
            {smpp::tag::sar_segment_seqnum, raw({0x01})}};
  const smpp::pdu p{smpp::command::submit_sm, smpp::status::ok, 0x0A0B0C0D, b};
  const byte_vector expected = {
      0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x00, 0x04,  // length 63, submit_sm
      0x00, 0x00, 0x00, 0x00, 0x0A, 0x0B, 0x0C, 0x0D,  // ROK, sequence
      0x00, 0x01, 0x01, '1',  '2',  '3',  0x00,        // service_type, source
      0x01, 0x01, '4',  '5',  '6',  0x00,              // destination
      0x00, 0x00, 0x00, 0x00, 0x00,                    // esm, pid, priority, schedule, validity
      0x01, 0x00, 0x00, 0x00,                          // registered_delivery .. default id
      0x02, 'h',  'i',                                 // sm_length, short_message
      0x14, 0x01, 0x00, 0x02, 'x',  'y',               // vendor 0x1401
      0x02, 0x0C, 0x00, 0x02, 0x00, 0x2A,              // sar_msg_ref_num
      0x02, 0x0E, 0x00, 0x01, 0x02,                    // sar_total_segments
      0x02, 0x0F, 0x00, 0x01, 0x01,                    // sar_segment_seqnum
  };
  const byte_vector wire = smpp::encode(p);
  EXPECT_EQ(wire, expected);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(*r, p);
}

TEST(SmppEncode, SubmitSmTypedTagOutsideTheSubmitSmListIsBigEndianOnTheWire) {
  // qos_time_to_live (0x0017, 4 octets) is a data_sm TLV; libsmpp34 forwards it as octets
  // in a submit_sm, so the codec must write the given bytes unchanged.
  smpp::sm_body b = small_sm_body();
  b.tlvs = {{0x0017, raw({0x00, 0x00, 0x0E, 0x10})}};
  const byte_vector wire = smpp::encode({smpp::command::submit_sm, smpp::status::ok, 1, b});
  ASSERT_EQ(wire.size(), 16u + 25u + 8u);
  const byte_vector tail(wire.end() - 8, wire.end());
  EXPECT_EQ(tail, (byte_vector{0x00, 0x17, 0x00, 0x04, 0x00, 0x00, 0x0E, 0x10}));
}

TEST(SmppEncode, DeliverSmRespOkIsSeventeenBytesWithOneNul) {
  const smpp::pdu p{smpp::command::deliver_sm_resp, smpp::status::ok, 9, smpp::sm_resp_body{}};
  EXPECT_EQ(smpp::encode(p), (byte_vector{0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x05, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00}));
  const smpp::pdu made = smpp::make_response(
      {smpp::command::deliver_sm, smpp::status::ok, 9, smpp::sm_body{}}, smpp::status::ok);
  EXPECT_EQ(smpp::encode(made).size(), 17u);
}

TEST(SmppEncode, SubmitSmRespOkCarriesTheMessageId) {
  const smpp::pdu p{smpp::command::submit_sm_resp, smpp::status::ok, 11,
                    smpp::sm_resp_body{"abc123"}};
  const byte_vector wire = smpp::encode(p);
  EXPECT_EQ(wire,
            (byte_vector{0x00, 0x00, 0x00, 0x17, 0x80, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x0B, 'a',  'b',  'c',  '1',  '2',  '3',  0x00}));
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, p);
}

TEST(SmppEncode, ErrorResponsesAreHeaderOnly) {
  const smpp::pdu throttled{smpp::command::submit_sm_resp, smpp::status::throttled, 3,
                            smpp::sm_resp_body{"ignored"}};
  EXPECT_EQ(smpp::encode(throttled), (byte_vector{0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x04,
                                                  0x00, 0x00, 0x00, 0x58, 0x00, 0x00, 0x00, 0x03}));
  const smpp::pdu vendor{smpp::command::submit_sm_resp, 0x400, 4, smpp::empty_body{}};
  const byte_vector wire = smpp::encode(vendor);
  EXPECT_EQ(wire, (byte_vector{0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x04, 0x00, 0x00, 0x04,
                               0x00, 0x00, 0x00, 0x00, 0x04}));
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, vendor);
}

TEST(SmppEncode, EnquireLinkWithSequenceZeroKeepsZero) {
  const smpp::pdu p{smpp::command::enquire_link, smpp::status::ok, 0, smpp::empty_body{}};
  EXPECT_EQ(smpp::encode(p), (byte_vector{0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(SmppEncode, BodyPduWithSequenceZeroKeepsZero) {
  // libsmpp34 refuses sequence 0 (pitfall 6); the codec writes it after packing.
  const byte_vector wire =
      smpp::encode({smpp::command::submit_sm, smpp::status::ok, 0, small_sm_body()});
  EXPECT_EQ(get_u32(wire, 12), 0u);
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sequence, 0u);
}

TEST(SmppEncode, RefusesFieldsThatDoNotFit) {
  smpp::pdu bind = bind_request();
  std::get<smpp::bind_body>(bind.body).system_id = std::string(16, 'a');
  EXPECT_THROW(smpp::encode(bind), std::invalid_argument);
  std::get<smpp::bind_body>(bind.body).system_id = std::string(15, 'a');
  EXPECT_NO_THROW(smpp::encode(bind));

  bind = bind_request();
  std::get<smpp::bind_body>(bind.body).password = std::string(9, 'p');
  EXPECT_THROW(smpp::encode(bind), std::invalid_argument);
  std::get<smpp::bind_body>(bind.body).password = std::string(8, 'p');
  EXPECT_NO_THROW(smpp::encode(bind));

  bind = bind_request();
  std::get<smpp::bind_body>(bind.body).system_id = std::string("ab\0cd", 5);
  EXPECT_THROW(smpp::encode(bind), std::invalid_argument);
}

TEST(SmppEncode, RefusesShortMessageOf254Octets) {
  // Pitfall 3: libsmpp34 packs at most 253 octets.
  smpp::sm_body b = small_sm_body();
  b.short_message = std::string(254, 'x');
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, b}), std::invalid_argument);
  EXPECT_THROW(smpp::encode({smpp::command::deliver_sm, 0, 1, b}), std::invalid_argument);
}

TEST(SmppEncode, RefusesTypedTlvOfTheWrongWidth) {
  smpp::sm_body b = small_sm_body();
  b.tlvs = {{smpp::tag::sar_total_segments, raw({0x00, 0x02})}};
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, b}), std::invalid_argument);
  b.tlvs = {{smpp::tag::sar_msg_ref_num, raw({0x01})}};
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, b}), std::invalid_argument);
}

TEST(SmppEncode, AnOptionalParameterIsAtMost65535OctetsAndAPduAtMostMaxPduSize) {
  smpp::sm_body b = small_sm_body();
  b.short_message.clear();
  b.tlvs = {{smpp::tag::message_payload, std::string(65536, 'p')}};
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, b}), std::invalid_argument);
  b.tlvs = {{smpp::tag::message_payload, std::string(65535, 'p')}};
  const byte_vector wire = smpp::encode({smpp::command::submit_sm, 0, 1, b});
  const auto r = smpp::decode(wire);
  ASSERT_TRUE(r.has_value());
  const auto* decoded = body_as<smpp::sm_body>(*r);
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(decoded->tlvs, b.tlvs);
  b.tlvs.push_back({0x1401, std::string(8000, 'x')});  // 65535 + 8000 > 70 KiB
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, b}), std::invalid_argument);
}

TEST(SmppEncode, RefusesUnknownCommandIdAndMissingBody) {
  EXPECT_THROW(smpp::encode({0x00000099, 0, 1, smpp::empty_body{}}), std::invalid_argument);
  EXPECT_THROW(smpp::encode({smpp::command::submit_sm, 0, 1, smpp::empty_body{}}),
               std::invalid_argument);
  EXPECT_THROW(smpp::encode({smpp::command::bind_transceiver, 0, 1, smpp::empty_body{}}),
               std::invalid_argument);
}

// --- names ---------------------------------------------------------------------------------

TEST(SmppNames, StatusNames) {
  EXPECT_EQ(smpp::status_name(0x00), "ESME_ROK");
  EXPECT_EQ(smpp::status_name(0x03), "ESME_RINVCMDID");
  EXPECT_EQ(smpp::status_name(0x48), "ESME_RINVSRCTON");
  EXPECT_EQ(smpp::status_name(0x58), "ESME_RTHROTTLED");
  EXPECT_EQ(smpp::status_name(0xC0), "ESME_RINVOPTPARSTREAM");
  EXPECT_EQ(smpp::status_name(0x400), "0x00000400");
  EXPECT_EQ(smpp::status_name(0xFFFFFFFF), "0xFFFFFFFF");
}

TEST(SmppNames, CommandNames) {
  EXPECT_EQ(smpp::command_name(smpp::command::submit_sm), "submit_sm");
  EXPECT_EQ(smpp::command_name(smpp::command::deliver_sm_resp), "deliver_sm_resp");
  EXPECT_EQ(smpp::command_name(smpp::command::generic_nack), "generic_nack");
  EXPECT_EQ(smpp::command_name(smpp::command::bind_transceiver), "bind_transceiver");
  EXPECT_EQ(smpp::command_name(smpp::command::enquire_link_resp), "enquire_link_resp");
  EXPECT_EQ(smpp::command_name(0x00010203), "0x00010203");
  EXPECT_EQ(smpp::command_name(0x80000099), "0x80000099");
}

// --- robustness ----------------------------------------------------------------------------

namespace {

constexpr std::uint32_t known_ids[] = {
    smpp::command::generic_nack,          smpp::command::bind_receiver,
    smpp::command::bind_receiver_resp,    smpp::command::bind_transmitter,
    smpp::command::bind_transmitter_resp, smpp::command::submit_sm,
    smpp::command::submit_sm_resp,        smpp::command::deliver_sm,
    smpp::command::deliver_sm_resp,       smpp::command::unbind,
    smpp::command::unbind_resp,           smpp::command::bind_transceiver,
    smpp::command::bind_transceiver_resp, smpp::command::enquire_link,
    smpp::command::enquire_link_resp,
};

/// Decodes `frame` and checks the result against its header; never lets an exception out.
void decode_checked(const byte_vector& frame, std::size_t& decoded, std::size_t& refused) {
  try {
    const auto r = smpp::decode(frame);
    if (r.has_value()) {
      ++decoded;
      EXPECT_EQ(r->command_id, get_u32(frame, 4));
      EXPECT_EQ(r->sequence, get_u32(frame, 12));
    } else {
      ++refused;
      EXPECT_NE(r.error().status, smpp::status::ok);
      const smpp::pdu answer = smpp::error_response(r.error());
      EXPECT_TRUE(smpp::is_response(answer.command_id));
      EXPECT_EQ(answer.sequence, get_u32(frame, 12));
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "decode threw: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "decode threw a non-std exception";
  }
}

}  // namespace

TEST(SmppDecodeRobustness, RandomFramesNeverCrashOrThrow) {
  std::mt19937 rng(0x5EED5A11u);
  std::uniform_int_distribution<std::size_t> length(16, 300);
  std::uniform_int_distribution<std::uint32_t> any_u32;
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> octet(0, 255);
  std::uniform_int_distribution<std::size_t> known(0, std::size(known_ids) - 1);
  std::size_t decoded = 0;
  std::size_t refused = 0;
  byte_vector frame;
  for (int i = 0; i < 20000; ++i) {
    frame.resize(length(rng));
    // Bias towards NULs and small values so bodies get past their first C-strings and TONs.
    for (auto& b : frame) {
      const int p = percent(rng);
      b = static_cast<std::uint8_t>(p < 30 ? 0 : p < 55 ? p % 7 : octet(rng));
    }
    put_u32(frame, 0, static_cast<std::uint32_t>(frame.size()));
    put_u32(frame, 4, percent(rng) < 80 ? known_ids[known(rng)] : any_u32(rng));
    put_u32(frame, 8, percent(rng) < 75 ? 0 : any_u32(rng));
    put_u32(frame, 12, any_u32(rng));
    decode_checked(frame, decoded, refused);
  }
  EXPECT_GT(decoded, 0u);
  EXPECT_GT(refused, 0u);
}

TEST(SmppDecodeRobustness, MutatedValidPdusNeverCrashOrThrow) {
  smpp::sm_body with_tlvs = small_sm_body();
  with_tlvs.tlvs = {{0x1401, "xy"},
                    {smpp::tag::sar_msg_ref_num, raw({0x00, 0x2A})},
                    {smpp::tag::message_payload, "payload"},
                    {smpp::tag::receipted_message_id, "id-1"}};
  const std::vector<byte_vector> seeds = {
      byte_vector(deliver_sm_wire.begin(), deliver_sm_wire.end()),
      smpp::encode({smpp::command::submit_sm, 0, 1, with_tlvs}),
      smpp::encode({smpp::command::deliver_sm, 0, 2, with_tlvs}),
      smpp::encode(bind_request()),
      smpp::encode(
          {smpp::command::bind_transceiver_resp, 0, 3,
           smpp::bind_resp_body{"SMSC", {{smpp::tag::sc_interface_version, raw({0x34})}}}}),
      smpp::encode({smpp::command::submit_sm_resp, 0, 4, smpp::sm_resp_body{"abc"}}),
  };
  std::mt19937 rng(0xC0DECu);
  std::uniform_int_distribution<std::size_t> which(0, seeds.size() - 1);
  std::uniform_int_distribution<int> flips(1, 4);
  std::uniform_int_distribution<int> octet(0, 255);
  std::size_t decoded = 0;
  std::size_t refused = 0;
  for (int i = 0; i < 20000; ++i) {
    byte_vector frame = seeds[which(rng)];
    // Half the time truncate or extend; then flip a few body bytes. The header length is
    // kept consistent so that the body parsers run.
    if (octet(rng) < 128) {
      std::uniform_int_distribution<std::size_t> size(16, frame.size() + 16);
      frame.resize(size(rng), static_cast<std::uint8_t>(octet(rng)));
    }
    if (frame.size() > 16) {
      std::uniform_int_distribution<std::size_t> at(16, frame.size() - 1);
      for (int k = flips(rng); k > 0; --k) frame[at(rng)] = static_cast<std::uint8_t>(octet(rng));
    }
    put_u32(frame, 0, static_cast<std::uint32_t>(frame.size()));
    decode_checked(frame, decoded, refused);
  }
  EXPECT_GT(decoded, 0u);
  EXPECT_GT(refused, 0u);
}
