// The outbox: durable messages to send, claimed so that no two daemons send one twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/directory.hpp"

namespace smsgw::store {

/// One message to submit, as claimed by this daemon.
struct outbox_row {
  id row_id = 0;
  id company = 0;
  std::string source;
  std::string destination;
  std::string text;
  std::optional<std::string> bind;  ///< the bind it must leave from; nullopt: any
  int attempts = 0;                 ///< including the one now claimed
};

/// Claims up to `limit` rows due now for `binds` (rows tied to no bind included), and rows
/// another daemon claimed more than `stale_after` ago (it died mid-send). Rows whose
/// destination the company suppressed are marked `suppressed` instead of being returned.
std::vector<outbox_row> claim(pqxx::transaction_base& t, const std::vector<std::string>& binds,
                              int limit, const std::string& claimed_by,
                              std::chrono::seconds stale_after);

// The mark_* functions take `claimed_by`: when given, they change the row only while that
// daemon's claim still holds it, and return false otherwise (the claim went stale and
// another daemon took the row over).

/// The SMSC accepted the row with `smsc_message_id`.
bool mark_submitted(pqxx::transaction_base& t, id row, const std::string& smsc_message_id,
                    const std::optional<std::string>& claimed_by = std::nullopt);

/// The SMSC accepted every part of the row through `bind`, with these ids (one per part,
/// in order); receipts are matched against them.
bool mark_submitted(pqxx::transaction_base& t, id row, const std::string& bind,
                    const std::vector<std::string>& smsc_message_ids,
                    const std::optional<std::string>& claimed_by = std::nullopt);

/// A delivery receipt, received on `bind`, for the part submitted through that bind whose
/// SMSC id is any of `id_forms` (the id as reported and its decimal/hex renderings). `state` is the
/// final or intermediate state name
/// (`delivered`, `undeliverable`, ...). The row becomes `delivered` once every part is,
/// `failed` as soon as one part reaches a final failure. Returns the row, or nullopt when
/// no submit matches (an unknown or foreign id).
std::optional<id> record_receipt(pqxx::transaction_base& t, const std::string& bind,
                                 const std::vector<std::string>& id_forms, const std::string& state,
                                 const std::string& error);

/// Not sent this time (link down, throttled, temporary error): due again after `delay`.
bool mark_retry(pqxx::transaction_base& t, id row, std::chrono::seconds delay,
                std::optional<std::uint32_t> smsc_status, const std::string& error,
                const std::optional<std::string>& claimed_by = std::nullopt);

/// Refused for good with the SMSC's status.
bool mark_failed(pqxx::transaction_base& t, id row, std::optional<std::uint32_t> smsc_status,
                 const std::string& error,
                 const std::optional<std::string>& claimed_by = std::nullopt);

}  // namespace smsgw::store
