#include "store/outbox.hpp"

#include <algorithm>
#include <numeric>

#include <pqxx/pqxx>

#include "store/prepared.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

double seconds(std::chrono::seconds s) {
  return static_cast<double>(s.count());
}

std::optional<std::int64_t> status_value(std::optional<std::uint32_t> s) {
  return s ? std::optional<std::int64_t>(*s) : std::nullopt;
}

// An update applies only while the claim (claimer $n and its time $n+1, when not NULL) still
// holds the row: a daemon whose claim went stale and was taken over must not overwrite the
// outcome of the daemon that took it, nor a late outcome the claim that followed it.
// Returns `sql` followed by that condition and `tail`. Built by appending to one string:
// `const char* + std::string&&` trips GCC 12's -Werror=restrict at -O3 (GCC PR 105329).
std::string still_claimed_by(std::string sql, int n, const char* tail) {
  const std::string p = std::to_string(n);
  const std::string at = std::to_string(n + 1);
  sql.append(" AND ($").append(p).append("::text IS NULL OR (status = 'submitting' AND ");
  sql.append("claimed_by = $").append(p).append(" AND claimed_at = $").append(at);
  sql.append("::timestamptz))").append(tail);
  return sql;
}

std::optional<std::string> claimer_of(const std::optional<claim_ref>& c) {
  return c ? std::optional(c->claimer) : std::nullopt;
}
std::optional<std::string> claimed_at_of(const std::optional<claim_ref>& c) {
  return c ? std::optional(c->at) : std::nullopt;
}

// Rows' states from their parts' receipts: `failed` at the first final failure,
// `delivered` once every part is. Only for rows whose every part was accepted; a row whose
// receipts decide nothing yet is not written.
// Receipts of two parts can arrive together: each transaction must see the other's part,
// so with `lock` the rows are locked first and the parts are read by the next statement,
// which (READ COMMITTED) sees whatever committed while it waited for the lock.
void settle(pqxx::transaction_base& t, const std::vector<std::string>& rows, bool lock) {
  static constexpr statement lock_sql{
      "outbox_settle_lock",
      "SELECT 1 FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"};
  static constexpr statement sql{
      "outbox_settle",
      "UPDATE outbox o SET status = CASE WHEN r.failure IS NOT NULL THEN 'failed' "
      "    ELSE 'delivered' END, "
      "  error = coalesce(r.failure, o.error), updated_at = now() "
      "FROM (SELECT outbox_id, "
      "        bool_and(receipt_state IS NOT DISTINCT FROM 'delivered') AS all_delivered, "
      "        (array_agg('receipt: ' || receipt_state "
      "                   || coalesce(' err:' || nullif(receipt_error, ''), '') "
      "                   ORDER BY receipt_at) "
      "          FILTER (WHERE receipt_state IN ('expired', 'deleted', 'undeliverable', "
      "                                          'rejected')))[1] AS failure "
      "      FROM outbox_submits WHERE outbox_id = ANY($1::bigint[]) GROUP BY outbox_id) r "
      "WHERE o.id = r.outbox_id AND o.status IN ('submitted', 'delivered') "
      "  AND (r.failure IS NOT NULL OR (r.all_delivered AND o.status <> 'delivered'))"};
  const auto ids = array_literal(rows);
  if (lock) exec(t, lock_sql, ids);
  exec(t, sql, ids);
}

// The claim and the outcomes touch rows named by key, or the head of the pending index.
// Right after a group send queued 100,000 rows the table's statistics still describe the
// outbox as it was, and the planner, expecting a handful of rows, scanned every pending row
// and sorted them (on disk) for every claim and every batch of outcomes. Their transactions
// plan with keyed access only.
// Their prepared statements also keep one plan: with array parameters PostgreSQL judged a
// custom plan cheaper every time and planned record_accepted anew at each call, 0.3 ms of
// planning for 0.3 ms of work (measured with log_min_duration_statement's bind times); keyed
// access is the plan whatever the arrays hold.
void plan_by_key(pqxx::transaction_base& t) {
  static constexpr statement sql{
      "outbox_plan_by_key",
      "SELECT set_config('enable_seqscan', 'off', true), "
      "set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true), "
      "set_config('plan_cache_mode', 'force_generic_plan', true)"};
  exec(t, sql);
}

}  // namespace

void notify_queued(pqxx::transaction_base& t) {
  t.exec_params("SELECT pg_notify($1, '')", std::string(outbox_channel));
}

void renew_lease(pqxx::transaction_base& t, const std::string& claimer,
                 const std::vector<std::string>& serves, std::chrono::seconds lease) {
  t.exec_params0(
      "INSERT INTO outbox_claimers (claimer, binds, lease_until) "
      "VALUES ($1, $2::text[], now() + make_interval(secs => $3)) "
      "ON CONFLICT (claimer) DO UPDATE SET binds = excluded.binds, renewed_at = now(), "
      "  lease_until = excluded.lease_until",
      claimer, array_literal(serves), seconds(lease));
  t.exec0("DELETE FROM outbox_claimers WHERE lease_until < now() - interval '1 day'");
}

std::vector<outbox_row> claim(pqxx::transaction_base& t, const std::vector<std::string>& binds,
                              int limit, const std::string& claimer, std::chrono::seconds lease,
                              const delivery_policy& policy, int* locked) {
  plan_by_key(t);  // the due rows in the pending index's order, never all of them sorted
  // Data-modifying CTEs run whether or not they are read: the lease is renewed first.
  const auto rows = t.exec_params(
      "WITH lease AS ("
      "  INSERT INTO outbox_claimers (claimer, lease_until) "
      "  VALUES ($3, now() + make_interval(secs => $4)) "
      "  ON CONFLICT (claimer) DO UPDATE SET renewed_at = now(), lease_until = "
      "excluded.lease_until), "
      "due AS ("
      "  SELECT o.id, NOT o.bypass_suppression AND EXISTS ("
      "           SELECT 1 FROM suppressions s WHERE s.company_id = o.company_id"
      "             AND s.number_key = number_key(o.destination)) AS blocked,"
      "         outbox_expiry(o.created_at, o.attempts, now(), $5, $6) AS expiry"
      "  FROM outbox o"
      "  WHERE o.next_attempt_at <= now()"
      "    AND (o.status = 'queued' OR (o.status = 'submitting'"
      "         AND o.claimed_by IS DISTINCT FROM $3 AND NOT EXISTS ("
      "           SELECT 1 FROM outbox_claimers k"
      "           WHERE k.claimer = o.claimed_by AND k.lease_until > now())))"
      "    AND (o.bind IS NULL OR o.bind = ANY($1::text[]))"
      "  ORDER BY o.next_attempt_at, o.id LIMIT $2"
      "  FOR UPDATE OF o SKIP LOCKED) "
      "UPDATE outbox o SET"
      "  status = CASE WHEN due.blocked THEN 'suppressed'"
      "                WHEN due.expiry IS NOT NULL THEN 'expired' ELSE 'submitting' END,"
      "  attempts = o.attempts + CASE WHEN due.blocked OR due.expiry IS NOT NULL THEN 0 ELSE 1 END,"
      "  error = CASE WHEN due.blocked OR due.expiry IS NULL THEN o.error"
      "               ELSE due.expiry || coalesce(' (last: ' || o.error || ')', '') END,"
      "  claimed_by = $3, claimed_at = now(), updated_at = now() "
      "FROM due WHERE o.id = due.id "
      "RETURNING o.id, o.company_id, o.source, o.destination, o.text, o.bind, o.attempts, "
      "  o.status, (SELECT coalesce(max(part), 0) FROM outbox_submits s WHERE s.outbox_id = o.id), "
      "  o.claimed_at::text",
      array_literal(binds), limit, claimer, seconds(lease), policy.max_attempts,
      seconds(policy.validity));
  if (locked != nullptr) *locked = static_cast<int>(rows.size());
  std::vector<outbox_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    if (r[7].as<std::string>() != "submitting") continue;
    out.push_back({r[0].as<id>(), r[1].as<id>(), r[2].as<std::string>(), r[3].as<std::string>(),
                   r[4].as<std::string>(),
                   r[5].is_null() ? std::nullopt : std::optional(r[5].as<std::string>()),
                   r[6].as<int>(), r[8].as<int>(), r[9].as<std::string>()});
  }
  return out;
}

std::vector<bool> record_accepted(pqxx::transaction_base& t,
                                  const std::vector<accepted_part>& accepted,
                                  const std::optional<std::string>& claimer) {
  // In row order: the statement locks the rows as it goes, and receipts lock theirs in row
  // order too (settle_receipts), so the two never wait for each other crosswise.
  std::vector<std::size_t> order(accepted.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::ranges::stable_sort(order, {}, [&](std::size_t i) { return accepted[i].row; });
  std::vector<std::string> rows, parts, totals, smsc_ids, binds, claimed_at;
  for (const std::size_t i : order) {
    const auto& a = accepted[i];
    rows.push_back(std::to_string(a.row));
    parts.push_back(std::to_string(a.part));
    totals.push_back(std::to_string(a.parts));
    smsc_ids.push_back(a.smsc_message_id);
    binds.push_back(a.bind);
    claimed_at.push_back(a.claimed_at);
  }
  // One statement for the parts of every row still claimed; `n` says which entries those are.
  // Its parts are disjoint: a row's parts are recorded one at a time, and a row's first part
  // (pinned) is never its last when it pins.
  static constexpr statement sql{
      "outbox_record_accepted",
      "WITH input AS ("
      "  SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::text[], "
      "                       $7::text[]) "
      "    WITH ORDINALITY AS u(id, part, parts, smsc_id, bind, claimed_at, n)), "
      // Each input row looks up its outbox row by id (LATERAL, and LIMIT keeps the planner
      // from flattening it back into a join that reads every pending row).
      "mine AS ("
      "  SELECT i.* FROM input i CROSS JOIN LATERAL ("
      "    SELECT o.status, o.claimed_by, o.claimed_at FROM outbox o WHERE o.id = i.id "
      "    LIMIT 1) o "
      "  WHERE $6::text IS NULL OR (o.status = 'submitting' AND o.claimed_by = $6 "
      "                             AND o.claimed_at = i.claimed_at::timestamptz)), "
      "recorded AS ("
      "  INSERT INTO outbox_submits AS s (outbox_id, part, smsc_message_id, bind) "
      "  SELECT id, part, smsc_id, bind FROM mine "
      // The same part recorded again (a retried commit whose answer was lost): its receipt,
      // if one came meanwhile, stays.
      "  ON CONFLICT (outbox_id, part) DO UPDATE SET "
      "    smsc_message_id = excluded.smsc_message_id, bind = excluded.bind, "
      "    submitted_at = now(), "
      "    receipt_state = CASE WHEN s.smsc_message_id = excluded.smsc_message_id "
      "                         AND s.bind = excluded.bind THEN s.receipt_state END, "
      "    receipt_error = CASE WHEN s.smsc_message_id = excluded.smsc_message_id "
      "                         AND s.bind = excluded.bind THEN s.receipt_error END, "
      "    receipt_at = CASE WHEN s.smsc_message_id = excluded.smsc_message_id "
      "                      AND s.bind = excluded.bind THEN s.receipt_at END "
      "  RETURNING s.outbox_id, s.xmax::text <> '0' AS again), "
      // A long message stays on the bind of its first part: another bind could split it
      // otherwise (reference width, message_payload), and its parts would not fit together.
      "pinned AS ("
      "  UPDATE outbox o SET bind = m.bind FROM mine m "
      "  WHERE o.id = m.id AND m.part = 1 AND m.parts > 1 AND o.bind IS NULL), "
      // Parts past the last belong to an earlier try that split the text otherwise (the ANY
      // keeps it an index scan whatever join the planner picks).
      "trimmed AS ("
      "  DELETE FROM outbox_submits s USING mine m "
      "  WHERE s.outbox_id = ANY($1::bigint[]) AND s.outbox_id = m.id AND m.part = m.parts "
      "    AND s.part > m.parts), "
      "submitted AS ("
      "  UPDATE outbox o SET status = 'submitted', smsc_status = 0, error = NULL, "
      "    updated_at = now(), smsc_message_id = CASE WHEN m.part = 1 THEN m.smsc_id ELSE ("
      "      SELECT s.smsc_message_id FROM outbox_submits s "
      "      WHERE s.outbox_id = m.id AND s.part = 1) END "
      "  FROM mine m WHERE o.id = m.id AND m.part = m.parts) "
      // Receipts decide a row only if one can be there already: an earlier part's, or a
      // part recorded again.
      "SELECT m.n, m.id, m.part = m.parts AND (m.parts > 1 OR m.id IN ("
      "  SELECT outbox_id FROM recorded WHERE again)) "
      "FROM mine m"};
  plan_by_key(t);
  const auto recorded =
      exec(t, sql, array_literal(rows), array_literal(parts), array_literal(totals),
           array_literal(smsc_ids), array_literal(binds), claimer, array_literal(claimed_at));
  std::vector<bool> kept(accepted.size(), false);
  std::vector<std::string> to_settle;
  for (const auto& r : recorded) {
    kept[order.at(r[0].as<std::size_t>() - 1)] = true;
    if (r[2].as<bool>()) to_settle.push_back(r[1].as<std::string>());
  }
  if (!to_settle.empty()) settle(t, to_settle, false);
  return kept;
}

bool record_accepted(pqxx::transaction_base& t, id row, const std::string& bind, int part,
                     int parts, const std::string& smsc_message_id,
                     const std::optional<claim_ref>& claimed_by) {
  return record_accepted(t,
                         {{row, bind, part, parts, smsc_message_id,
                           claimed_by ? claimed_by->at : std::string()}},
                         claimer_of(claimed_by))
      .front();
}

std::optional<id> record_receipt_part(pqxx::transaction_base& t, const std::string& bind,
                                      const std::vector<std::string>& id_forms,
                                      const std::string& state, const std::string& error) {
  // The newest submit with that id: SMSC ids can repeat over months.
  const auto part = t.exec_params(
      "UPDATE outbox_submits s SET receipt_state = $2, receipt_error = $3, receipt_at = now() "
      "WHERE (s.outbox_id, s.part) = (SELECT outbox_id, part FROM outbox_submits "
      "  WHERE smsc_message_id = ANY($1::text[]) AND bind = $4 ORDER BY submitted_at DESC LIMIT 1) "
      "RETURNING s.outbox_id",
      array_literal(id_forms), state, error, bind);
  if (part.empty()) return std::nullopt;
  return part[0][0].as<id>();
}

void settle_receipts(pqxx::transaction_base& t, const std::vector<id>& rows) {
  if (rows.empty()) return;
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const id row : rows) ids.push_back(std::to_string(row));
  settle(t, ids, true);
}

std::optional<id> record_receipt(pqxx::transaction_base& t, const std::string& bind,
                                 const std::vector<std::string>& id_forms, const std::string& state,
                                 const std::string& error) {
  const auto row = record_receipt_part(t, bind, id_forms, state, error);
  if (row) settle_receipts(t, {*row});
  return row;
}

std::optional<std::string> mark_retry(pqxx::transaction_base& t, id row, const retry& r,
                                      const delivery_policy& policy,
                                      const std::optional<claim_ref>& claimed_by) {
  const auto result = t.exec_params(
      still_claimed_by(
          "UPDATE outbox o SET status = CASE WHEN x.expiry IS NULL THEN 'queued' ELSE 'expired' "
          "END, "
          "  error = CASE WHEN x.expiry IS NULL THEN $5 ELSE x.expiry || ' (last: ' || $5 || ')' "
          "END, "
          "  attempts = x.attempts, claimed_by = NULL, claimed_at = NULL, "
          "  next_attempt_at = now() + make_interval(secs => $2), smsc_status = $4, "
          "  updated_at = now() "
          "FROM (SELECT id, attempts - $3 AS attempts, "
          "        outbox_expiry(created_at, attempts - $3, now() + make_interval(secs => $2), "
          "                      $6, $7) AS expiry "
          "      FROM outbox WHERE id = $1) x "
          "WHERE o.id = x.id",
          8, " RETURNING o.status"),
      row, seconds(r.delay), r.counts ? 0 : 1, status_value(r.smsc_status), r.error,
      policy.max_attempts, seconds(policy.validity), claimer_of(claimed_by),
      claimed_at_of(claimed_by));
  if (result.empty()) return std::nullopt;
  return result[0][0].as<std::string>();
}

bool mark_failed(pqxx::transaction_base& t, id row, std::optional<std::uint32_t> smsc_status,
                 const std::string& error, const std::optional<claim_ref>& claimed_by) {
  return !t.exec_params(still_claimed_by(
                            "UPDATE outbox SET status = 'failed', smsc_status = $2, error = $3, "
                            "updated_at = now() WHERE id = $1",
                            4, " RETURNING 1"),
                        row, status_value(smsc_status), error, claimer_of(claimed_by),
                        claimed_at_of(claimed_by))
              .empty();
}

bool mark_in_doubt(pqxx::transaction_base& t, id row, const std::string& error,
                   const std::optional<claim_ref>& claimed_by) {
  return !t.exec_params(still_claimed_by("UPDATE outbox SET status = 'in_doubt', error = $2, "
                                         "updated_at = now() WHERE id = $1",
                                         3, " RETURNING 1"),
                        row, error, claimer_of(claimed_by), claimed_at_of(claimed_by))
              .empty();
}

std::vector<unsent_row> find_unsent(pqxx::transaction_base& t, const std::string& claimer,
                                    const std::vector<id>& sending, std::chrono::seconds grace) {
  std::vector<unsent_row> out;
  for (const auto& r : t.exec_params("SELECT id, claimed_at::text FROM outbox "
                                     "WHERE status = 'submitting' AND claimed_by = $1 "
                                     "  AND claimed_at < now() - make_interval(secs => $3) "
                                     "  AND NOT (id = ANY ($2::bigint[]))",
                                     claimer, id_array(sending), seconds(grace))) {
    out.push_back({r[0].as<id>(), r[1].as<std::string>()});
  }
  return out;
}

std::int64_t requeue_unsent(pqxx::transaction_base& t, const std::string& claimer,
                            const std::vector<unsent_row>& seen, const std::vector<id>& sending) {
  if (seen.empty()) return 0;
  std::vector<id> ids;
  std::vector<std::string> claims;
  for (const auto& r : seen) {
    ids.push_back(r.row);
    claims.push_back(r.claimed_at);
  }
  return static_cast<std::int64_t>(
      t.exec_params("UPDATE outbox o SET status = 'queued', claimed_by = NULL, claimed_at = NULL, "
                    "  attempts = greatest(o.attempts - 1, 0), next_attempt_at = now(), "
                    "  error = 'claimed but never sent: queued again', updated_at = now() "
                    "FROM unnest($2::bigint[], $3::timestamptz[]) s(id, claimed_at) "
                    "WHERE o.id = s.id AND o.status = 'submitting' AND o.claimed_by = $1 "
                    "  AND o.claimed_at = s.claimed_at AND NOT (o.id = ANY ($4::bigint[]))",
                    claimer, id_array(ids), array_literal(claims), id_array(sending))
          .affected_rows());
}

outbox_state outbox_upkeep(pqxx::transaction_base& t, const delivery_policy& policy) {
  outbox_state s;
  s.expired_now = static_cast<std::int64_t>(
      t.exec_params("UPDATE outbox SET status = 'expired', updated_at = now(), "
                    "  error = outbox_expiry(created_at, attempts, now(), $1, $2) "
                    "          || coalesce(' (last: ' || error || ')', '') "
                    "WHERE next_attempt_at <= now() "
                    "  AND outbox_expiry(created_at, attempts, now(), $1, $2) IS NOT NULL "
                    // Queued rows, and a dead claimer's: no claim may ever take those when
                    // no running daemon serves their bind.
                    "  AND (status = 'queued' OR (status = 'submitting' AND NOT EXISTS ("
                    "    SELECT 1 FROM outbox_claimers k "
                    "    WHERE k.claimer = outbox.claimed_by AND k.lease_until > now())))",
                    policy.max_attempts, seconds(policy.validity))
          .affected_rows());
  static constexpr const char* live_binds =
      "WITH live AS (SELECT coalesce(array_agg(DISTINCT b), '{}') AS binds "
      "  FROM outbox_claimers k CROSS JOIN unnest(k.binds) b WHERE k.lease_until > now()) ";
  t.exec0(std::string(live_binds) +
          "UPDATE outbox o SET error = 'no running daemon serves bind ' || o.bind "
          "FROM live WHERE o.status = 'queued' AND o.bind IS NOT NULL "
          "  AND NOT (o.bind = ANY(live.binds)) "
          "  AND o.error IS DISTINCT FROM 'no running daemon serves bind ' || o.bind");
  const auto r =
      t.exec1(std::string(live_binds) +
              "SELECT count(*), coalesce(extract(epoch FROM now() - min(o.next_attempt_at) "
              "         FILTER (WHERE o.status = 'queued' AND o.next_attempt_at <= now())), 0), "
              "       count(*) FILTER (WHERE o.status = 'queued' AND o.bind IS NOT NULL "
              "                          AND NOT (o.bind = ANY(live.binds))) "
              "FROM outbox o CROSS JOIN live WHERE o.status IN ('queued', 'submitting')");
  s.pending = r[0].as<std::int64_t>();
  s.oldest_due_seconds = r[1].as<double>();
  s.unserved = r[2].as<std::int64_t>();
  return s;
}

}  // namespace smsgw::store
