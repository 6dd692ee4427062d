// The inbound pipeline, top to bottom: read (mo_reader: a receipt, a part or a whole MO) →
// decide (the keyword engine) → commit (group commit) → answer (deliver_sm_resp) → send
// (the replies, through the dispatcher).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "store/group_commit.hpp"
#include "store/routing.hpp"
#include "store/runner.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/metrics.hpp"
#include "daemon/mo_reader.hpp"
#include "smpp/concat.hpp"
#include "smpp/pdu.hpp"
#include "store/inbound.hpp"
#include "store/parts.hpp"

namespace smsgw::daemon {

namespace net = boost::asio;

/// The forms a receipt's message id may take in submit_sm_resp: as given, and its
/// hexadecimal/decimal counterparts (SMSCs differ between the two).
std::vector<std::string> receipt_id_forms(const std::string& id);

class inbound_pipeline {
 public:
  /// MOs and receipts commit through `commits` (group commit on `db`); routes come from
  /// `routes`.
  inbound_pipeline(store::db_runner& db, store::group_commit& commits, store::route_cache& routes,
                   dispatcher& out, metrics& m, std::string instance, std::string default_region,
                   std::chrono::seconds redelivery_window);

  /// Handles one deliver_sm from `bind` and returns the deliver_sm_resp status: ESME_ROK
  /// only after its effects (or, for a part of a longer MO, the part itself) are
  /// committed, or for a redelivery (which changes nothing); ESME_RX_T_APPN when a retry
  /// may succeed (the store down, a timeout, a serialization failure); ESME_RX_P_APPN for
  /// what no redelivery can fix: a malformed UDH or SAR, or an MO whose data the store
  /// refuses (an alphanumeric sender opting in), logged in the inbound log with the reason.
  /// Both arguments must outlive the awaitable.
  net::awaitable<std::uint32_t> on_deliver(const std::string& bind, const smpp::sm_body& deliver);

  /// The group commit hooks of MO transactions (group_commit_options): each MO decided in
  /// a transaction is applied, with every other one of it, just before its commit, in one
  /// call (store::apply_decisions).
  static void begin_batch(pqxx::transaction_base& t);
  static void apply_batch(pqxx::transaction_base& t);

  /// Drops parts of multipart MOs whose first part is older than `age`, logging each.
  net::awaitable<void> expire_parts(std::chrono::seconds age);
  /// Forgets the MOs seen before the redelivery window.
  net::awaitable<void> prune_redelivery();

 private:
  net::awaitable<std::uint32_t> refuse(const store::inbound_mo& mo,
                                       const std::optional<store::part_key>& parts,
                                       const std::string& reason);
  net::awaitable<std::uint32_t> on_receipt(const std::string& bind, const smpp::sm_body& deliver);

  /// Holds one sender's MOs back while an earlier one of theirs is being handled, so that
  /// `MOVIE` then `STOP` apply in that order (the SMSC may send them back to back).
  struct sender_turn;
  net::awaitable<void> wait_turn(const std::string& sender);
  void end_turn(const std::string& sender);

  std::unordered_map<std::string, std::shared_ptr<sender_turn>> turns_;
  store::db_runner& db_;
  store::group_commit& commits_;
  store::route_cache& routes_;
  dispatcher& out_;
  metrics& metrics_;
  std::string instance_;
  std::string default_region_;  ///< ISO 3166 alpha-2, for national MO sources
  std::chrono::seconds redelivery_window_;
};

}  // namespace smsgw::daemon
