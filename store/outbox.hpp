// The outbox: durable messages to send, claimed so that no two daemons send one twice.
//
// A daemon process (a claimer) holds its claims under a lease it renews (renew_lease, and
// every claim); its `submitting` rows go to another daemon only once the lease has run out.
// The mark_* functions take `claimed_by`, a claim_ref: when given, they change the row only
// while that claim still holds it, and return false (or nullopt) otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/directory.hpp"

namespace smsgw::store {

/// The channel NOTIFYed when rows are queued for sending (replies are inserted claimed and
/// need no wake-up): dispatchers LISTEN to it instead of polling.
inline constexpr const char* outbox_channel = "smsgw_outbox";

/// Tells the dispatchers, at commit, that `t` queued rows.
void notify_queued(pqxx::transaction_base& t);

/// How long a row is tried before it ends `expired`.
struct delivery_policy {
  int max_attempts = 10;                                  ///< submits that may have left
  std::chrono::seconds validity{std::chrono::hours(48)};  ///< from the row's creation
};

/// Which claim of a row an outcome belongs to: its claimer and when it claimed the row. A
/// claimer may claim a row again after a retry; a late outcome of the earlier claim (a commit
/// whose answer was lost, tried again) must not touch the new one.
struct claim_ref {
  std::string claimer;
  std::string at;  ///< claimed_at as PostgreSQL wrote it
};

/// One message to submit, as claimed by this daemon.
struct outbox_row {
  id row_id = 0;
  id company = 0;
  std::string source;
  std::string destination;
  std::string text;
  std::optional<std::string> bind;  ///< the bind it must leave from; nullopt: any
  int attempts = 0;                 ///< including the one now claimed
  int parts_accepted = 0;           ///< leading parts of a long message the SMSC accepted
  std::string claimed_at;           ///< when this claim was made (claim_ref::at)
};

/// Keeps `claimer`'s claims alive for `lease` from now and records the binds it serves.
/// Claimers whose lease ran out a day ago are forgotten.
void renew_lease(pqxx::transaction_base& t, const std::string& claimer,
                 const std::vector<std::string>& serves, std::chrono::seconds lease);

/// Renews `claimer`'s lease, then claims up to `limit` rows due now for `binds` (rows tied
/// to no bind included), among them `submitting` rows whose claimer's lease ran out. Rows
/// whose destination the company suppressed (compared by number_key) end `suppressed`, rows
/// out of attempts or past their validity end `expired`; neither is returned. `locked`, when
/// given, is set to the number of rows taken, those ended included (`limit`: more may be due).
std::vector<outbox_row> claim(pqxx::transaction_base& t, const std::vector<std::string>& binds,
                              int limit, const std::string& claimer, std::chrono::seconds lease,
                              const delivery_policy& policy, int* locked = nullptr);

/// One part the SMSC accepted, for record_accepted.
struct accepted_part {
  id row = 0;
  std::string bind;
  int part = 1;   ///< 1-based
  int parts = 1;  ///< of the row's message
  std::string smsc_message_id;
  std::string claimed_at;  ///< the claim it belongs to (claim_ref::at), with `claimer` below
};

/// record_accepted for the parts of several rows at once (one statement whatever their
/// number, and a second for the rows whose receipts may already decide them); per entry,
/// whether its claim by `claimer` still held its row.
std::vector<bool> record_accepted(pqxx::transaction_base& t,
                                  const std::vector<accepted_part>& accepted,
                                  const std::optional<std::string>& claimer = std::nullopt);

/// The SMSC accepted part `part` (1-based) of `parts` through `bind` with `smsc_message_id`.
/// Recorded at once, so a retry resumes after it and its receipt counts; the last part makes
/// the row `submitted` (or `delivered`/`failed` when every receipt already came).
bool record_accepted(pqxx::transaction_base& t, id row, const std::string& bind, int part,
                     int parts, const std::string& smsc_message_id,
                     const std::optional<claim_ref>& claimed_by = std::nullopt);

/// A delivery receipt, received on `bind`, for the part submitted through that bind whose
/// SMSC id is any of `id_forms` (the id as reported and its decimal/hex renderings). `state`
/// is the final or intermediate state name (`delivered`, `undeliverable`, ...). Records the
/// part's state only; settle_receipts then decides its row. Returns the row, or nullopt when
/// no submit matches (an unknown or foreign id).
std::optional<id> record_receipt_part(pqxx::transaction_base& t, const std::string& bind,
                                      const std::vector<std::string>& id_forms,
                                      const std::string& state, const std::string& error);

/// Decides `rows` from their parts' receipts: `delivered` once every part is, `failed` as soon
/// as one part reaches a final failure. Locks the rows first, in id order, and reads the
/// parts after (so a concurrent receipt's part is seen once it commits). A transaction that
/// records several receipts settles their rows in one call, after recording them all: two
/// such transactions then wait for each other's rows in one order, never crosswise.
void settle_receipts(pqxx::transaction_base& t, const std::vector<id>& rows);

/// record_receipt_part and settle_receipts for one receipt.
std::optional<id> record_receipt(pqxx::transaction_base& t, const std::string& bind,
                                 const std::vector<std::string>& id_forms, const std::string& state,
                                 const std::string& error);

/// Why a row goes back to the queue.
struct retry {
  std::chrono::seconds delay{0};
  bool counts = true;  ///< false: it surely never left (no bind, throttled): attempt given back
  std::optional<std::uint32_t> smsc_status;
  std::string error;
};

/// Not accepted this time: due again after `r.delay`, or `expired` when the policy says so.
/// Returns the row's new status (`queued` or `expired`), nullopt when the claim was lost.
std::optional<std::string> mark_retry(pqxx::transaction_base& t, id row, const retry& r,
                                      const delivery_policy& policy,
                                      const std::optional<claim_ref>& claimed_by = std::nullopt);

/// Refused for good with the SMSC's status.
bool mark_failed(pqxx::transaction_base& t, id row, std::optional<std::uint32_t> smsc_status,
                 const std::string& error,
                 const std::optional<claim_ref>& claimed_by = std::nullopt);

/// The SMSC answered a submit of this row unreadably: it reached the SMSC and was probably
/// accepted, so the row is never sent again automatically.
bool mark_in_doubt(pqxx::transaction_base& t, id row, const std::string& error,
                   const std::optional<claim_ref>& claimed_by = std::nullopt);

/// A row its claimer holds `submitting` but no send of its holds, as one upkeep saw it.
struct unsent_row {
  id row = 0;
  std::string claimed_at;  ///< the claim, exactly as stored (a new claim changes it)
};

/// `claimer`'s `submitting` rows that it claimed over `grace` ago and is not sending
/// (`sending`). Such rows were claimed by a transaction whose commit the claimer could not
/// know the outcome of (an MO batch's replies, a claim), so it never sent them, and its own
/// live lease keeps every other claim away from them.
std::vector<unsent_row> find_unsent(pqxx::transaction_base& t, const std::string& claimer,
                                    const std::vector<id>& sending, std::chrono::seconds grace);

/// Queues again, due now and with the claim's attempt given back, the rows of `seen` (an
/// earlier upkeep's find_unsent) that still hold the same claim and are still not being
/// sent: a row whose claim committed just as that upkeep looked has begun its send by now.
/// Returns how many.
std::int64_t requeue_unsent(pqxx::transaction_base& t, const std::string& claimer,
                            const std::vector<unsent_row>& seen, const std::vector<id>& sending);

/// What the outbox holds, for metrics.
struct outbox_state {
  std::int64_t pending = 0;       ///< queued or submitting
  double oldest_due_seconds = 0;  ///< how long the oldest due queued row has waited
  std::int64_t unserved = 0;      ///< queued for a bind no live claimer serves
  std::int64_t expired_now = 0;   ///< expired by this call
};

/// The periodic care of the outbox: rows past their validity end `expired` whatever their
/// bind (also those for a bind no daemon serves, which nothing else would ever look at, and a
/// dead claimer's rows for such a bind),
/// queued rows for a bind no live claimer serves say so in `error`, and the counts.
outbox_state outbox_upkeep(pqxx::transaction_base& t, const delivery_policy& policy);

}  // namespace smsgw::store
