// What happened, read back for the admin API: the inbound log with each decision, the
// consent trail (PRODUCT.md §5) and the per-recipient status of a sent message (§4, §6).
//
// The inbound log and the consent trail are for admins (company and group admins) only:
// they hold the numbers and texts of everybody who texted the company, whatever domain
// their contact is in, so a user who may not view a domain would read its contacts there
// (API.md: every answer respects the caller's effective domain access). Admins manage the
// numbers and keywords those rows are about. A message's status is for its sender and the
// company's admins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/expansion.hpp"
#include "store/id.hpp"

namespace smsgw::store {

/// One MO with the decision taken on it.
struct inbound_entry {
  id entry_id = 0;
  std::string bind, source, destination, text, decision;
  std::optional<id> keyword_id;
  std::string received_at;            ///< ISO 8601, UTC
  std::optional<std::string> reason;  ///< why a `refused` MO was refused
  bool operator==(const inbound_entry&) const = default;
};

/// One page of the actor's company's inbound log, oldest first, by id after `after` (0:
/// from the start; pass the last entry's id for the next page, so that a script polling
/// for new MOs never misses one). Admins only (access_denied). `since`: only MOs received
/// at or after it, ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`, with an offset or
/// without: then UTC); validation_error on `since` for anything else. `number`: only MOs
/// from or to it, in any spelling (the store keeps MO sources in E.164 when they are valid,
/// else as the SMSC gave them; national input is read with `default_region`).
std::vector<inbound_entry> list_inbound(pqxx::transaction_base& t, id actor_user,
                                        const std::optional<std::string>& since,
                                        const std::optional<std::string>& number, id after,
                                        int limit, std::string_view default_region = {});

/// One consent change (consent_audit).
struct consent_entry {
  id entry_id = 0;
  std::string number;
  std::string action;  ///< `opt_in`, `opt_out`, `stop` or `start`
  std::optional<id> contact_id;
  std::optional<id> group_id;
  std::optional<id> keyword_id;
  std::optional<id> inbound_id;
  std::string text;
  std::optional<id> actor_user_id;  ///< nullopt: the contact, by SMS
  std::string at;                   ///< ISO 8601, UTC
  bool operator==(const consent_entry&) const = default;
};

/// One page of the actor's company's consent trail, oldest first, by id after `after`, only
/// for `number` (any spelling, as list_inbound) when given. Admins only (access_denied).
std::vector<consent_entry> list_consents(pqxx::transaction_base& t, id actor_user,
                                         const std::optional<std::string>& number, id after,
                                         int limit, std::string_view default_region = {});

/// A message a user sent (queue_send).
struct message_info {
  id message_id = 0;
  std::string source, text;
  std::int64_t recipients = 0;  ///< outbox rows queued
  left_out left;
  std::string created_at;  ///< ISO 8601, UTC
  bool operator==(const message_info&) const = default;
};

/// One message; its sender and the admins of its company may read it, for anyone else it
/// is not_found.
message_info get_message(pqxx::transaction_base& t, id actor_user, id message);

/// One recipient of a message and where its delivery stands.
struct recipient_status {
  id outbox_id = 0;
  std::string destination;
  std::string status;  ///< `queued`, `submitting`, `submitted`, `delivered`, `failed`, …
  std::optional<std::string> smsc_message_id;
  std::optional<std::int64_t> smsc_status;
  std::optional<std::string> error;
  std::string updated_at;  ///< ISO 8601, UTC
  bool operator==(const recipient_status&) const = default;
};

/// One page of a message's recipients, by outbox id after `after`; same access as
/// get_message. A page reads all of the message's rows through the outbox's BRIN index
/// on message_id (there is no B-tree: it would slow every send down) and sorts them: time
/// in proportion to the message's size, never to the outbox's.
std::vector<recipient_status> list_message_recipients(pqxx::transaction_base& t, id actor_user,
                                                      id message, id after, int limit);

}  // namespace smsgw::store
