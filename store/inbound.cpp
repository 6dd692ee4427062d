#include "store/inbound.hpp"

#include <array>
#include <optional>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <sodium.h>

#include "store/prepared.hpp"

namespace smsgw::store {
namespace {

using keywords::action;

struct context {
  pqxx::transaction_base& t;
  const inbound_mo& mo;
  const route& r;
  id inbound_id;
};

void record_consent(const context& c, const char* what, std::optional<id> contact,
                    std::optional<id> group, std::optional<id> keyword) {
  static constexpr statement sql{
      "inbound_consent",
      "INSERT INTO consent_audit (company_id, number, action, contact_id, group_id, keyword_id, "
      "inbound_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
  exec(c.t, sql, c.r.company, c.mo.source, what, contact, group, keyword, c.inbound_id, c.mo.text);
}

bool lift_suppression(const context& c) {
  static constexpr statement sql{
      "inbound_lift_suppression",
      "DELETE FROM suppressions WHERE company_id = $1 AND number_key = number_key($2) RETURNING 1"};
  return !exec(c.t, sql, c.r.company, c.mo.source).empty();
}

// Each effect says whether it changed anything: a redelivery changes nothing.
bool opt_in(const context& c, const keywords::keyword_rule& k) {
  // DO UPDATE (not DO NOTHING) so that the existing row comes back, also when another
  // transaction inserted it concurrently.
  static constexpr statement contact_sql{
      "inbound_opt_in_contact",
      "INSERT INTO contacts (company_id, domain_id, number) "
      "SELECT $1, g.domain_id, $3 FROM groups g WHERE g.id = $2 AND g.company_id = $1 "
      "ON CONFLICT (domain_id, number) DO UPDATE SET updated_at = now() RETURNING id"};
  static constexpr statement member_sql{
      "inbound_opt_in_member",
      "INSERT INTO group_contacts (group_id, contact_id) VALUES ($1, $2) "
      "ON CONFLICT DO NOTHING RETURNING 1"};
  const auto contact = exec(c.t, contact_sql, c.r.company, k.group_id, c.mo.source);
  if (contact.empty()) return false;  // the group is gone
  const id contact_id = contact[0][0].as<id>();
  const bool added = !exec(c.t, member_sql, k.group_id, contact_id).empty();
  const bool lifted = lift_suppression(c);  // an explicit opt-in is fresh consent
  if (added || lifted) record_consent(c, "opt_in", contact_id, k.group_id, k.id);
  return added || lifted;
}

bool opt_out(const context& c, const keywords::keyword_rule& k) {
  static constexpr statement sql{
      "inbound_opt_out",
      "DELETE FROM group_contacts gc USING contacts ct "
      "WHERE gc.group_id = $1 AND gc.contact_id = ct.id AND ct.company_id = $2 AND ct.number = $3 "
      "RETURNING ct.id"};
  const auto removed = exec(c.t, sql, k.group_id, c.r.company, c.mo.source);
  if (!removed.empty()) record_consent(c, "opt_out", removed[0][0].as<id>(), k.group_id, k.id);
  return !removed.empty();
}

std::vector<outbox_row> queue_reply(const context& c, const std::string& text, bool bypass,
                                    const std::string& claimed_by) {
  std::vector<outbox_row> out;
  if (text.empty()) return out;
  // Replies leave from the number the MO was sent to (as the SMSC addressed it).
  const auto bind = c.r.bind ? *c.r.bind : c.mo.bind;
  static constexpr statement sql{
      "inbound_queue_reply",
      "INSERT INTO outbox (company_id, kind, inbound_id, source, destination, text, bind, "
      "  bypass_suppression, status, claimed_by, claimed_at, attempts) "
      "SELECT $1, 'reply', $2, $3, $4, $5, $6, $7, 'submitting', $8, now(), 1 "
      "WHERE $7 OR NOT EXISTS (SELECT 1 FROM suppressions "
      "                        WHERE company_id = $1 AND number_key = number_key($4)) "
      "RETURNING id, claimed_at::text"};
  const auto rows = exec(c.t, sql, c.r.company, c.inbound_id, c.mo.destination, c.mo.source, text,
                         bind, bypass, claimed_by);
  if (!rows.empty()) {
    out.push_back({rows[0][0].as<id>(), c.r.company, c.mo.destination, c.mo.source, text, bind, 1,
                   0, rows[0][1].as<std::string>()});
  }
  return out;
}

id log_mo(pqxx::transaction_base& t, const inbound_mo& mo, const route* r, const char* decision,
          std::optional<id> keyword_id, const std::optional<std::string>& reason) {
  static constexpr statement sql{
      "inbound_log_mo",
      "INSERT INTO inbound_log (company_id, bind, source, destination, text, data_coding, "
      "decision, keyword_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"};
  return exec(t, sql, r != nullptr ? std::optional<id>(r->company) : std::nullopt, mo.bind,
              mo.source, mo.destination, mo.text, static_cast<int>(mo.data_coding), decision,
              keyword_id, reason)
      .at(0)[0]
      .as<id>();
}

// What makes an MO itself beside its addresses: its coding, its parts and its bytes.
std::string digest_of(const inbound_mo& mo) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  const std::array<unsigned char, 1> coding{mo.data_coding};
  crypto_generichash_update(&state, coding.data(), coding.size());
  const auto add = [&state](const std::string& s) {
    const auto size = static_cast<std::uint32_t>(s.size());
    const std::array<unsigned char, 4> length{
        static_cast<unsigned char>(size >> 24), static_cast<unsigned char>(size >> 16),
        static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size)};
    crypto_generichash_update(&state, length.data(), length.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  add(mo.parts);
  add(mo.octets);
  std::array<unsigned char, 16> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  std::string hex;
  for (const auto b : out) hex += fmt::format("{:02x}", b);
  return hex;
}

// Records `mo` as what its source last sent to its destination on its bind; false when it
// is that very MO again, within `window` of the first time.
bool first_delivery(pqxx::transaction_base& t, const inbound_mo& mo, std::chrono::seconds window) {
  // The row is locked by whichever delivery writes it first: a redelivery racing the first
  // (another daemon, or the SMSC resending while the first is in hand) waits and then sees it.
  static constexpr statement sql{"inbound_first_delivery",
                                 "INSERT INTO mo_last AS l (bind, source, destination, digest) "
                                 "VALUES ($1, $2, $3, $4) "
                                 "ON CONFLICT (bind, source, destination) DO UPDATE "
                                 "SET digest = excluded.digest, received_at = now() "
                                 "WHERE l.digest <> excluded.digest "
                                 "   OR l.received_at < now() - make_interval(secs => $5) "
                                 "RETURNING 1"};
  return !exec(t, sql, mo.bind, mo.source, mo.destination, digest_of(mo),
               static_cast<double>(window.count()))
              .empty();
}

}  // namespace

std::int64_t begin_inbound(pqxx::transaction_base& t, std::chrono::milliseconds statement_timeout) {
  static constexpr statement sql{
      "inbound_begin",
      "SELECT set_config('statement_timeout', $1, true), version FROM route_version"};
  return exec(t, sql, std::to_string(statement_timeout.count())).at(0)[1].as<std::int64_t>();
}

inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by,
                               std::chrono::seconds redelivery_window) {
  inbound_outcome out;
  const bool seen = !first_delivery(t, mo, redelivery_window);
  const auto keyword_id = d.keyword ? std::optional<id>(d.keyword->id) : std::nullopt;
  out.inbound_id = log_mo(t, mo, r, r != nullptr ? keywords::to_string(d.what) : "unrouted",
                          keyword_id, std::nullopt);
  // The same MO again changes nothing, and is logged as what it is.
  const auto redelivered = [&] {
    out.redelivered = true;
    static constexpr statement sql{"inbound_redelivered",
                                   "UPDATE inbound_log SET decision = 'redelivered' WHERE id = $1"};
    exec(t, sql, out.inbound_id);
    return out;
  };
  if (r == nullptr) return seen ? redelivered() : out;
  // One sender's MOs to one company apply one at a time, across daemons too: MOVIE and a
  // STOP right behind it must not interleave, and a redelivery waits for the first try.
  static constexpr statement lock_sql{
      "inbound_sender_lock", "SELECT pg_advisory_xact_lock(hashtext($1::text || chr(31) || $2))"};
  exec(t, lock_sql, r->company, mo.source);
  const context c{t, mo, *r, out.inbound_id};
  bool bypass = false;
  bool changed = false;
  std::string reply = d.reply;
  switch (d.what) {
    case action::company_stop: {
      static constexpr statement stop_sql{
          "inbound_company_stop",
          "INSERT INTO suppressions (company_id, number, source) "
          "VALUES ($1, $2, 'sms') ON CONFLICT DO NOTHING RETURNING 1"};
      const bool added = !exec(t, stop_sql, r->company, mo.source).empty();
      if (added) record_consent(c, "stop", std::nullopt, std::nullopt, std::nullopt);
      // One confirmation: a number that was already suppressed hears nothing more.
      bypass = added;
      changed = added;
      if (!added) reply.clear();
      break;
    }
    case action::company_start:
      changed = lift_suppression(c);
      if (changed) record_consent(c, "start", std::nullopt, std::nullopt, std::nullopt);
      break;
    case action::opt_in: changed = opt_in(c, *d.keyword); break;
    case action::opt_out: changed = opt_out(c, *d.keyword); break;
    case action::keyword_help:
    case action::company_help:
      // Carrier rules: HELP is always answered, to a stopped number too, and a second time
      // too (an auditor texting HELP twice must hear twice; a redelivered HELP costs one SMS).
      bypass = true;
      changed = true;
      break;
    case action::unmatched: break;
  }
  // The effects are applied whatever `seen` says (each is idempotent): a repeat that still
  // changed something is no redelivery but a person's new intent (STOP, START elsewhere,
  // STOP again), and is answered as such.
  if (seen && !changed) return redelivered();
  out.replies = queue_reply(c, reply, bypass, claimed_by);
  return out;
}

id record_refused(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                  const std::string& reason) {
  return log_mo(t, mo, r, "refused", std::nullopt, reason);
}

void prune_redelivery(pqxx::transaction_base& t, std::chrono::seconds window) {
  t.exec_params0("DELETE FROM mo_last WHERE received_at < now() - make_interval(secs => $1)",
                 static_cast<double>(window.count()));
}

bool retry_can_fix(const std::exception& e) {
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (sql == nullptr) return true;
  const std::string state = sql->sqlstate();
  // A foreign key or a unique key broken by a concurrent change (a keyword or group deleted
  // meanwhile, a contact inserted by another daemon) holds no more on the next try.
  if (state == "23503" || state == "23505") return true;
  return !(state.starts_with("22") || state.starts_with("23"));
}

}  // namespace smsgw::store
