// The effects of one MO, written in the caller's transaction: inbound log, membership or
// suppression change, consent audit, replies in the outbox.
#pragma once

#include <cstdint>
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
};

/// What was written: the inbound log row and the replies queued, already claimed by the
/// caller (`claimed_by`) so that it can submit them right after commit.
struct inbound_outcome {
  id inbound_id = 0;
  std::vector<outbox_row> replies;
};

/// Applies `d` (taken on `r`, or nullptr when no company owns the destination). Idempotent
/// for a redelivered MO: membership and suppression changes are set-based, consent is
/// recorded only when it changes, and a reply identical to one queued for the same number
/// in the last 30 seconds is not queued again. Replies never go to a suppressed number,
/// the confirmation of a new company stop excepted.
inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by);

}  // namespace smsgw::store
