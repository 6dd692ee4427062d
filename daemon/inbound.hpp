// The inbound pipeline: deliver_sm → receipt, part or whole MO → keyword decision → one
// transaction → deliver_sm_resp → replies.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "store/runner.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/metrics.hpp"
#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "store/inbound.hpp"

namespace smsgw::daemon {

namespace net = boost::asio;

/// The store's view of an MO from `bind`: `text` decoded from `octets` (already stripped of
/// any UDH), and the source in E.164 wherever it is a phone number (international by its
/// TON, or national or unknown and valid in `default_region`), so that a STOP, an opt-out
/// and the stop list find the number however the SMSC wrote it; other sources (alphanumeric,
/// short codes, numbers libphonenumber refuses) stay as the SMSC gave them.
store::inbound_mo to_inbound(const std::string& bind, const smpp::sm_body& deliver,
                             const std::string& octets, std::string_view default_region);

/// The forms a receipt's message id may take in submit_sm_resp: as given, and its
/// hexadecimal/decimal counterparts (SMSCs differ between the two).
std::vector<std::string> receipt_id_forms(const std::string& id);

class inbound_pipeline {
 public:
  inbound_pipeline(store::db_runner& db, dispatcher& out, metrics& m, std::string instance,
                   std::string default_region);

  /// Handles one deliver_sm from `bind` and returns the deliver_sm_resp status: ESME_ROK
  /// only after its effects (or, for a part of a longer MO, the part itself) are
  /// committed; ESME_RX_T_APPN when the store failed; ESME_RX_P_APPN for a malformed UDH
  /// or SAR that no redelivery can fix. Both arguments must outlive the awaitable.
  net::awaitable<std::uint32_t> on_deliver(const std::string& bind, const smpp::sm_body& deliver);

  /// Drops parts of multipart MOs whose first part is older than `age`, logging each.
  net::awaitable<void> expire_parts(std::chrono::seconds age);

 private:
  net::awaitable<std::uint32_t> on_receipt(const std::string& bind, const smpp::sm_body& deliver);

  /// Holds one sender's MOs back while an earlier one of theirs is being handled, so that
  /// `MOVIE` then `STOP` apply in that order (the SMSC may send them back to back).
  struct sender_turn;
  net::awaitable<void> wait_turn(const std::string& sender);
  void end_turn(const std::string& sender);

  std::unordered_map<std::string, std::shared_ptr<sender_turn>> turns_;
  store::db_runner& db_;
  dispatcher& out_;
  metrics& metrics_;
  std::string instance_;
  std::string default_region_;  ///< ISO 3166 alpha-2, for national MO sources
};

}  // namespace smsgw::daemon
