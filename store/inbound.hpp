// The effects of one MO, written in the caller's transaction: inbound log, membership or
// suppression change, consent audit, replies in the outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "keywords/decide.hpp"
#include "store/outbox.hpp"
#include "store/routing.hpp"

namespace smsgw::store {

/// An MO as the pipeline hands it to the store: text already decoded to UTF-8, source in
/// E.164 when the SMSC said it was international.
struct inbound_mo {
  std::string bind;
  std::string source;
  std::string destination;
  std::string text;
  std::uint8_t data_coding = 0;
  /// For a message reassembled from parts, `reference/total` (a handset numbers each long
  /// message anew; a redelivery keeps the number); empty for a single SMS.
  std::string parts;
  /// Its bytes as the SMSC sent them (without UDH; a long message's parts joined).
  std::string octets;
};

/// What was written: the inbound log row and the replies queued, already claimed by the
/// caller (`claimed_by`) so that it can submit them right after commit.
struct inbound_outcome {
  id inbound_id = 0;
  bool redelivered = false;  ///< the MO was seen already: logged as such, nothing else done
  std::vector<outbox_row> replies;
};

/// Starts an MO transaction, in one round trip: bounds each of its statements by
/// `statement_timeout` (a store that stalls gives the MO a temporary error within the
/// bound, never silence) and returns the route version (for route_cache::sync).
std::int64_t begin_inbound(pqxx::transaction_base& t, std::chrono::milliseconds statement_timeout);

/// An MO with its route (nullptr when no company owns the destination) and the decision
/// taken on it; the three outlive the call they are given to.
struct decided_mo {
  const inbound_mo* mo;
  const route* r;
  const keywords::decision* d;
};

/// Applies the decisions of a batch of MOs, no two from one source, in one round trip
/// (store/sql/inbound.sql's apply_mos, which holds these rules); one outcome per MO, in
/// order. Every effect is idempotent: membership and suppression changes are set-based,
/// consent is recorded only when it changes. An MO that is the very one (bind, source,
/// destination, data coding, parts, bytes) this source last sent to this destination,
/// within `redelivery_window` of that one, and whose effects change nothing, is a
/// redelivery: logged with the decision `redelivered`, no reply. HELP is answered every
/// time. Replies never go to a suppressed number, the confirmation of a new company stop
/// and HELP excepted.
std::vector<inbound_outcome> apply_decisions(pqxx::transaction_base& t,
                                             const std::vector<decided_mo>& batch,
                                             const std::string& claimed_by,
                                             std::chrono::seconds redelivery_window);

/// Starts `t` as begin_inbound does (returning the route version), then runs
/// apply_decisions's statement with no MO (each of its statements on no rows, writing
/// nothing): a new connection then has both prepared and planned before its first batch,
/// which would otherwise take 20-60 ms longer while PostgreSQL loads catalogs and plans. It
/// waits on no lock, and neither does the rest of `t` (a transaction to roll back): a table
/// held locked fails it within 100 ms.
std::int64_t warm_up_inbound(pqxx::transaction_base& t,
                             std::chrono::milliseconds statement_timeout);

/// apply_decisions for one MO.
inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by,
                               std::chrono::seconds redelivery_window);

/// Logs an MO that no redelivery can fix with the decision `refused` and `reason` (in a
/// transaction of its own: the MO's own failed).
id record_refused(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                  const std::string& reason);

/// Forgets the MOs seen longer than `window` ago: a redelivery can no longer match them.
void prune_redelivery(pqxx::transaction_base& t, std::chrono::seconds window);

/// Whether retrying can fix what `e` reports. Not for what the data itself breaks (SQLSTATE
/// classes 22, data exceptions, and 23, integrity constraints, but for a foreign or unique
/// key that a concurrent change broke): the same MO fails the same way however often the
/// SMSC redelivers it. Everything else (the store down, timeouts, serialization failures
/// and deadlocks, resources, our own faults) may pass next time.
bool retry_can_fix(const std::exception& e);

}  // namespace smsgw::store
