#include "store/inbound.hpp"

#include <optional>

#include <pqxx/pqxx>

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
  c.t.exec_params0(
      "INSERT INTO consent_audit (company_id, number, action, contact_id, group_id, keyword_id, "
      "inbound_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      c.r.company, c.mo.source, what, contact, group, keyword, c.inbound_id, c.mo.text);
}

bool lift_suppression(const context& c) {
  return !c.t.exec_params(
                 "DELETE FROM suppressions WHERE company_id = $1 AND number_key = number_key($2) "
                 "RETURNING 1",
                 c.r.company, c.mo.source)
              .empty();
}

void opt_in(const context& c, const keywords::keyword_rule& k) {
  // DO UPDATE (not DO NOTHING) so that the existing row comes back, also when another
  // transaction inserted it concurrently.
  const auto contact = c.t.exec_params(
      "INSERT INTO contacts (company_id, domain_id, number) "
      "SELECT $1, g.domain_id, $3 FROM groups g WHERE g.id = $2 AND g.company_id = $1 "
      "ON CONFLICT (domain_id, number) DO UPDATE SET updated_at = now() RETURNING id",
      c.r.company, k.group_id, c.mo.source);
  if (contact.empty()) return;  // the group is gone
  const id contact_id = contact[0][0].as<id>();
  const bool added = !c.t.exec_params(
                             "INSERT INTO group_contacts (group_id, contact_id) VALUES ($1, $2) "
                             "ON CONFLICT DO NOTHING RETURNING 1",
                             k.group_id, contact_id)
                          .empty();
  const bool lifted = lift_suppression(c);  // an explicit opt-in is fresh consent
  if (added || lifted) record_consent(c, "opt_in", contact_id, k.group_id, k.id);
}

void opt_out(const context& c, const keywords::keyword_rule& k) {
  const auto removed = c.t.exec_params(
      "DELETE FROM group_contacts gc USING contacts ct "
      "WHERE gc.group_id = $1 AND gc.contact_id = ct.id AND ct.company_id = $2 AND ct.number = $3 "
      "RETURNING ct.id",
      k.group_id, c.r.company, c.mo.source);
  if (!removed.empty()) record_consent(c, "opt_out", removed[0][0].as<id>(), k.group_id, k.id);
}

std::vector<outbox_row> queue_reply(const context& c, const std::string& text, bool bypass,
                                    const std::string& claimed_by) {
  std::vector<outbox_row> out;
  if (text.empty()) return out;
  // Replies leave from the number the MO was sent to (as the SMSC addressed it).
  const auto bind = c.r.bind ? *c.r.bind : c.mo.bind;
  const auto rows = c.t.exec_params(
      "INSERT INTO outbox (company_id, kind, inbound_id, source, destination, text, bind, "
      "  bypass_suppression, status, claimed_by, claimed_at, attempts) "
      "SELECT $1, 'reply', $2, $3, $4, $5, $6, $7, 'submitting', $8, now(), 1 "
      "WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE destination = $4 AND source = $3 "
      "                  AND company_id = $1 AND text = $5 AND kind = 'reply' "
      "                  AND created_at > now() - interval '30 seconds') "
      "  AND ($7 OR NOT EXISTS (SELECT 1 FROM suppressions "
      "                        WHERE company_id = $1 AND number_key = number_key($4))) "
      "RETURNING id, claimed_at::text",
      c.r.company, c.inbound_id, c.mo.destination, c.mo.source, text, bind, bypass, claimed_by);
  if (!rows.empty()) {
    out.push_back({rows[0][0].as<id>(), c.r.company, c.mo.destination, c.mo.source, text, bind, 1,
                   0, rows[0][1].as<std::string>()});
  }
  return out;
}

}  // namespace

inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by) {
  inbound_outcome out;
  const auto keyword_id = d.keyword ? std::optional<id>(d.keyword->id) : std::nullopt;
  out.inbound_id =
      t.exec_params1(
           "INSERT INTO inbound_log (company_id, bind, source, destination, text, "
           "data_coding, decision, keyword_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
           "RETURNING id",
           r != nullptr ? std::optional<id>(r->company) : std::nullopt, mo.bind, mo.source,
           mo.destination, mo.text, static_cast<int>(mo.data_coding),
           r != nullptr ? keywords::to_string(d.what) : "unrouted", keyword_id)[0]
          .as<id>();
  if (r == nullptr) return out;
  // One sender's MOs to one company apply one at a time, across daemons too: MOVIE and a
  // STOP right behind it must not interleave, and a redelivery waits for the first try.
  t.exec_params("SELECT pg_advisory_xact_lock(hashtext($1::text || chr(31) || $2))", r->company,
                mo.source);
  const context c{t, mo, *r, out.inbound_id};
  bool bypass = false;
  std::string reply = d.reply;
  switch (d.what) {
    case action::company_stop: {
      const bool added = !t.exec_params(
                               "INSERT INTO suppressions (company_id, number, source) "
                               "VALUES ($1, $2, 'sms') ON CONFLICT DO NOTHING RETURNING 1",
                               r->company, mo.source)
                              .empty();
      if (added) record_consent(c, "stop", std::nullopt, std::nullopt, std::nullopt);
      // One confirmation: a number that was already suppressed hears nothing more.
      bypass = added;
      if (!added) reply.clear();
      break;
    }
    case action::company_start:
      if (lift_suppression(c)) record_consent(c, "start", std::nullopt, std::nullopt, std::nullopt);
      break;
    case action::opt_in: opt_in(c, *d.keyword); break;
    case action::opt_out: opt_out(c, *d.keyword); break;
    case action::keyword_help:
    case action::company_help:
      bypass = true;  // carrier rules: HELP is always answered, to a stopped number too
      break;
    case action::unmatched: break;
  }
  out.replies = queue_reply(c, reply, bypass, claimed_by);
  return out;
}

}  // namespace smsgw::store
