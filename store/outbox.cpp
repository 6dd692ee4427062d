#include "store/outbox.hpp"

#include <pqxx/pqxx>

#include "store/sql_util.hpp"

namespace smsgw::store {

std::vector<outbox_row> claim(pqxx::transaction_base& t, const std::vector<std::string>& binds,
                              int limit, const std::string& claimed_by,
                              std::chrono::seconds stale_after) {
  const auto rows = t.exec_params(
      "WITH due AS ("
      "  SELECT o.id, NOT o.bypass_suppression AND EXISTS ("
      "           SELECT 1 FROM suppressions s"
      "           WHERE s.company_id = o.company_id AND s.number = o.destination) AS blocked"
      "  FROM outbox o"
      "  WHERE o.next_attempt_at <= now()"
      "    AND (o.status = 'queued' OR (o.status = 'submitting'"
      "         AND o.claimed_at < now() - make_interval(secs => $4)))"
      "    AND (o.bind IS NULL OR o.bind = ANY($1::text[]))"
      "  ORDER BY o.next_attempt_at, o.id LIMIT $2"
      "  FOR UPDATE OF o SKIP LOCKED)"
      "UPDATE outbox o SET"
      "  status = CASE WHEN due.blocked THEN 'suppressed' ELSE 'submitting' END,"
      "  attempts = o.attempts + CASE WHEN due.blocked THEN 0 ELSE 1 END,"
      "  claimed_by = $3, claimed_at = now(), updated_at = now() "
      "FROM due WHERE o.id = due.id "
      "RETURNING o.id, o.company_id, o.source, o.destination, o.text, o.bind, o.attempts, o.status",
      array_literal(binds), limit, claimed_by, static_cast<double>(stale_after.count()));
  std::vector<outbox_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    if (r[7].as<std::string>() != "submitting") continue;
    out.push_back({r[0].as<id>(), r[1].as<id>(), r[2].as<std::string>(), r[3].as<std::string>(),
                   r[4].as<std::string>(),
                   r[5].is_null() ? std::nullopt : std::optional(r[5].as<std::string>()),
                   r[6].as<int>()});
  }
  return out;
}

namespace {

// An update applies only while `claimed_by` (parameter $n, when not NULL) still holds the
// row: a daemon whose claim went stale and was taken over must not overwrite the outcome
// of the daemon that took it.
// Returns `sql` followed by that condition and `tail`. Built by appending to one string:
// `const char* + std::string&&` trips GCC 12's -Werror=restrict at -O3 (GCC PR 105329).
std::string still_claimed_by(std::string sql, int n, const char* tail) {
  const std::string p = std::to_string(n);
  sql.append(" AND ($").append(p).append("::text IS NULL OR (status = 'submitting' AND ");
  sql.append("claimed_by = $").append(p).append("))").append(tail);
  return sql;
}

}  // namespace

bool mark_submitted(pqxx::transaction_base& t, id row, const std::string& smsc_message_id,
                    const std::optional<std::string>& claimed_by) {
  return !t.exec_params(
               still_claimed_by("UPDATE outbox SET status = 'submitted', smsc_message_id = $2, "
                                "smsc_status = 0, error = NULL, updated_at = now() WHERE id = $1",
                                3, " RETURNING 1"),
               row, smsc_message_id, claimed_by)
              .empty();
}

bool mark_submitted(pqxx::transaction_base& t, id row, const std::string& bind,
                    const std::vector<std::string>& smsc_message_ids,
                    const std::optional<std::string>& claimed_by) {
  if (!mark_submitted(t, row, smsc_message_ids.empty() ? std::string{} : smsc_message_ids.front(),
                      claimed_by)) {
    return false;
  }
  t.exec_params0(
      "INSERT INTO outbox_submits (outbox_id, part, smsc_message_id, bind) "
      "SELECT $1, ordinality, id, $3 FROM unnest($2::text[]) WITH ORDINALITY AS u(id, ordinality) "
      "ON CONFLICT (outbox_id, part) DO UPDATE SET smsc_message_id = excluded.smsc_message_id, "
      "  bind = excluded.bind, submitted_at = now(), receipt_state = NULL, receipt_error = NULL, "
      "  receipt_at = NULL",
      row, array_literal(smsc_message_ids), bind);
  return true;
}

std::optional<id> record_receipt(pqxx::transaction_base& t, const std::string& bind,
                                 const std::vector<std::string>& id_forms, const std::string& state,
                                 const std::string& error) {
  // The newest submit with that id: SMSC ids can repeat over months.
  const auto part = t.exec_params(
      "UPDATE outbox_submits s SET receipt_state = $2, receipt_error = $3, receipt_at = now() "
      "WHERE (s.outbox_id, s.part) = (SELECT outbox_id, part FROM outbox_submits "
      "  WHERE smsc_message_id = ANY($1::text[]) AND bind = $4 ORDER BY submitted_at DESC LIMIT 1) "
      "RETURNING s.outbox_id",
      array_literal(id_forms), state, error, bind);
  if (part.empty()) return std::nullopt;
  const id row = part[0][0].as<id>();
  t.exec_params0(
      "UPDATE outbox o SET status = CASE "
      "    WHEN bool_or_fail THEN 'failed' WHEN all_delivered THEN 'delivered' ELSE o.status END, "
      "  error = CASE WHEN bool_or_fail THEN $2 ELSE o.error END, updated_at = now() "
      "FROM (SELECT bool_or(receipt_state IN ('expired', 'deleted', 'undeliverable', 'rejected')) "
      "             AS bool_or_fail, "
      "             bool_and(receipt_state IS NOT DISTINCT FROM 'delivered') AS all_delivered "
      "      FROM outbox_submits WHERE outbox_id = $1) r "
      "WHERE o.id = $1 AND o.status IN ('submitted', 'delivered')",
      row, "receipt: " + state + (error.empty() ? "" : " err:" + error));
  return row;
}

bool mark_retry(pqxx::transaction_base& t, id row, std::chrono::seconds delay,
                std::optional<std::uint32_t> smsc_status, const std::string& error,
                const std::optional<std::string>& claimed_by) {
  return !t.exec_params(still_claimed_by("UPDATE outbox SET status = 'queued', claimed_by = NULL, "
                                         "claimed_at = NULL, next_attempt_at = now() + "
                                         "make_interval(secs => $2), smsc_status = $3, error = $4, "
                                         "updated_at = now() WHERE id = $1",
                                         5, " RETURNING 1"),
                        row, static_cast<double>(delay.count()),
                        smsc_status ? std::optional<std::int64_t>(*smsc_status) : std::nullopt,
                        error, claimed_by)
              .empty();
}

bool mark_failed(pqxx::transaction_base& t, id row, std::optional<std::uint32_t> smsc_status,
                 const std::string& error, const std::optional<std::string>& claimed_by) {
  return !t.exec_params(still_claimed_by(
                            "UPDATE outbox SET status = 'failed', smsc_status = $2, error = $3, "
                            "updated_at = now() WHERE id = $1",
                            4, " RETURNING 1"),
                        row, smsc_status ? std::optional<std::int64_t>(*smsc_status) : std::nullopt,
                        error, claimed_by)
              .empty();
}

}  // namespace smsgw::store
