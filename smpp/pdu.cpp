#include "smpp/pdu.hpp"

#include <cstdio>

namespace smsgw::smpp {
namespace {

std::string hex(std::uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

std::string status_name(std::uint32_t s) {
  switch (s) {
    case 0x00: return "ESME_ROK";
    case 0x01: return "ESME_RINVMSGLEN";
    case 0x02: return "ESME_RINVCMDLEN";
    case 0x03: return "ESME_RINVCMDID";
    case 0x04: return "ESME_RINVBNDSTS";
    case 0x05: return "ESME_RALYBND";
    case 0x06: return "ESME_RINVPRTFLG";
    case 0x07: return "ESME_RINVREGDLVFLG";
    case 0x08: return "ESME_RSYSERR";
    case 0x0A: return "ESME_RINVSRCADR";
    case 0x0B: return "ESME_RINVDSTADR";
    case 0x0C: return "ESME_RINVMSGID";
    case 0x0D: return "ESME_RBINDFAIL";
    case 0x0E: return "ESME_RINVPASWD";
    case 0x0F: return "ESME_RINVSYSID";
    case 0x11: return "ESME_RCANCELFAIL";
    case 0x13: return "ESME_RREPLACEFAIL";
    case 0x14: return "ESME_RMSGQFUL";
    case 0x15: return "ESME_RINVSERTYP";
    case 0x33: return "ESME_RINVNUMDESTS";
    case 0x34: return "ESME_RINVDLNAME";
    case 0x40: return "ESME_RINVDESTFLAG";
    case 0x42: return "ESME_RINVSUBREP";
    case 0x43: return "ESME_RINVESMCLASS";
    case 0x44: return "ESME_RCNTSUBDL";
    case 0x45: return "ESME_RSUBMITFAIL";
    case 0x48: return "ESME_RINVSRCTON";
    case 0x49: return "ESME_RINVSRCNPI";
    case 0x50: return "ESME_RINVDSTTON";
    case 0x51: return "ESME_RINVDSTNPI";
    case 0x53: return "ESME_RINVSYSTYP";
    case 0x54: return "ESME_RINVREPFLAG";
    case 0x55: return "ESME_RINVNUMMSGS";
    case 0x58: return "ESME_RTHROTTLED";
    case 0x61: return "ESME_RINVSCHED";
    case 0x62: return "ESME_RINVEXPIRY";
    case 0x63: return "ESME_RINVDFTMSGID";
    case 0x64: return "ESME_RX_T_APPN";
    case 0x65: return "ESME_RX_P_APPN";
    case 0x66: return "ESME_RX_R_APPN";
    case 0x67: return "ESME_RQUERYFAIL";
    case 0xC0: return "ESME_RINVOPTPARSTREAM";
    case 0xC1: return "ESME_ROPTPARNOTALLWD";
    case 0xC2: return "ESME_RINVPARLEN";
    case 0xC3: return "ESME_RMISSINGOPTPARAM";
    case 0xC4: return "ESME_RINVOPTPARAMVAL";
    case 0xFE: return "ESME_RDELIVERYFAILURE";
    case 0xFF: return "ESME_RUNKNOWNERR";
    default: return hex(s);
  }
}

std::string command_name(std::uint32_t id) {
  switch (id) {
    case command::generic_nack: return "generic_nack";
    case command::bind_receiver: return "bind_receiver";
    case command::bind_receiver_resp: return "bind_receiver_resp";
    case command::bind_transmitter: return "bind_transmitter";
    case command::bind_transmitter_resp: return "bind_transmitter_resp";
    case command::submit_sm: return "submit_sm";
    case command::submit_sm_resp: return "submit_sm_resp";
    case command::deliver_sm: return "deliver_sm";
    case command::deliver_sm_resp: return "deliver_sm_resp";
    case command::unbind: return "unbind";
    case command::unbind_resp: return "unbind_resp";
    case command::bind_transceiver: return "bind_transceiver";
    case command::bind_transceiver_resp: return "bind_transceiver_resp";
    case command::enquire_link: return "enquire_link";
    case command::enquire_link_resp: return "enquire_link_resp";
    default: return hex(id);
  }
}

bool is_temporary(std::uint32_t s) {
  switch (s) {
    case status::throttled:
    case status::message_queue_full:
    case status::system_error:
    case status::temporary_app_error:
    case status::invalid_bind_status:
    case 0x45:  // ESME_RSUBMITFAIL: "submit failed", retried by common practice
      return true;
    default: return false;
  }
}

const std::string* sm_body::find_tlv(std::uint16_t t) const {
  for (const auto& x : tlvs) {
    if (x.tag == t) return &x.value;
  }
  return nullptr;
}

pdu make_response(const pdu& req, std::uint32_t status, smpp::body b) {
  return pdu{req.command_id | command::response_bit, status, req.sequence, std::move(b)};
}

}  // namespace smsgw::smpp
