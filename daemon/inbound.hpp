// The inbound pipeline: deliver_sm → text → keyword decision → one transaction → replies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "daemon/db.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/metrics.hpp"
#include "smpp/pdu.hpp"
#include "store/inbound.hpp"

namespace smsgw::daemon {

/// Turns a deliver_sm into the store's view of an MO: text decoded to UTF-8 (UDH
/// stripped, message_payload preferred), source in E.164 when the SMSC marked it
/// international.
store::inbound_mo to_inbound(const std::string& bind, const smpp::sm_body& deliver);

/// True when esm_class marks the deliver_sm as a delivery receipt, not an MO.
bool is_receipt(const smpp::sm_body& deliver);

class inbound_pipeline {
 public:
  inbound_pipeline(db_runner& db, dispatcher& out, metrics& m, std::string instance);

  /// Handles one deliver_sm from `bind` and returns the deliver_sm_resp status: ESME_ROK
  /// only after the MO's effects are committed, ESME_RX_T_APPN when the store failed.
  /// Both arguments must outlive the returned awaitable.
  net::awaitable<std::uint32_t> on_deliver(const std::string& bind, const smpp::sm_body& deliver);

 private:
  db_runner& db_;
  dispatcher& out_;
  metrics& metrics_;
  std::string instance_;
};

}  // namespace smsgw::daemon
