// Send expansion (PRODUCT.md §4): a user's send to groups, contacts and raw numbers becomes
// distinct E.164 numbers, recursive through nested groups, filtered by the user's access,
// minus the company's suppression list. Set-based in PostgreSQL (send_entries() of migration
// 002): the daemon never holds the recipients of a large group in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/id.hpp"

namespace smsgw::store {

/// Whom a message goes to.
struct send_request {
  std::vector<id> groups;
  std::vector<id> contacts;
  std::vector<std::string> numbers;  ///< raw input, read with the default region
};

/// Why entries of a send were left out. Counted per entry: each named or nested group and
/// each named contact the sender cannot see (a hidden group's members are not counted), each
/// contact reached in a domain the sender cannot view (not_visible); each raw number libphonenumber
/// refuses and each contact or user member without a usable number (invalid); each visible valid
/// entry whose number another one already has (duplicate); each distinct number on the stop list
/// (suppressed).
struct left_out {
  std::int64_t suppressed = 0;
  std::int64_t not_visible = 0;
  std::int64_t invalid = 0;
  std::int64_t duplicate = 0;
  bool operator==(const left_out&) const = default;
};

/// The message to queue.
struct outgoing_message {
  std::string source;  ///< sender number or alpha id
  std::string text;
  std::optional<std::string> bind;  ///< nullopt: the bind of the company number `source`, if any
};

/// A queued send.
struct queued_send {
  id message_id = 0;
  std::int64_t recipients = 0;  ///< outbox rows written
  left_out left;
};

/// Expands `to` as `sender` and writes one outbox row (kind `send`, status `queued`) per
/// recipient number, with a `messages` row holding the counts, in one statement inside the
/// caller's transaction. validation_error for an empty text or source.
queued_send queue_send(pqxx::transaction_base& t, id sender, const outgoing_message& m,
                       const send_request& to, std::string_view default_region);

/// The recipient numbers of a send, read in batches through a server-side cursor (DECLARE /
/// FETCH), for callers that need the numbers themselves. Lives within the transaction.
class recipient_cursor {
 public:
  /// Opens the cursor for `sender`'s send to `to`.
  recipient_cursor(pqxx::transaction_base& t, id sender, const send_request& to,
                   std::string_view default_region, std::size_t batch = 10000);
  recipient_cursor(const recipient_cursor&) = delete;
  recipient_cursor& operator=(const recipient_cursor&) = delete;

  /// The next numbers (at most `batch`, in no particular order); empty once all are read.
  std::vector<std::string> next();

 private:
  pqxx::transaction_base& t_;
  std::string name_;
  std::size_t batch_;
  bool done_ = false;
};

}  // namespace smsgw::store
