#include "store/logs.hpp"

#include <algorithm>
#include <cstddef>

#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/errors.hpp"
#include "store/fields.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// A timestamp column as ISO 8601 in UTC, as audit_trail gives them.
std::string iso(const char* column) {
  return std::string("to_char(") + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

void require_admin(const actor& a) {
  if (!a.is_admin()) throw access_denied("only admins may read the inbound log and consent trail");
}

bool digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(pos),
                     s.begin() + static_cast<std::ptrdiff_t>(pos + n),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// `2024-05-01`, or with a time `T10:00`, `T10:00:00` or `T10:00:00.123456` (or a space for
// the T), then optionally `Z` or an offset `+02`, `+02:00`, `+0200`: as a literal PostgreSQL
// reads the same whatever the session's time zone (UTC when no offset is given); nullopt for
// anything else. (No std::regex: GCC 12 warns inside it.)
std::optional<std::string> iso8601_literal(std::string_view s) {
  if (s.size() < 10 || !digits_at(s, 0, 4) || s[4] != '-' || !digits_at(s, 5, 2) || s[7] != '-' ||
      !digits_at(s, 8, 2)) {
    return std::nullopt;
  }
  const std::string date(s.substr(0, 10));
  std::string_view rest = s.substr(10);
  if (rest.empty()) return date + " 00:00+00";
  if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
  rest.remove_prefix(1);
  if (!digits_at(rest, 0, 2) || rest.size() < 5 || rest[2] != ':' || !digits_at(rest, 3, 2)) {
    return std::nullopt;
  }
  std::size_t i = 5;
  if (i < rest.size() && rest[i] == ':') {
    if (!digits_at(rest, i + 1, 2)) return std::nullopt;
    i += 3;
    if (i < rest.size() && rest[i] == '.') {
      std::size_t n = 0;
      while (i + 1 + n < rest.size() && digits_at(rest, i + 1 + n, 1)) ++n;
      if (n < 1 || n > 6) return std::nullopt;
      i += 1 + n;
    }
  }
  const std::string time(rest.substr(0, i));
  const std::string_view zone = rest.substr(i);
  if (zone.empty() || zone == "Z") return date + " " + time + "+00";
  const bool offset = (zone[0] == '+' || zone[0] == '-') && digits_at(zone, 1, 2) &&
                      (zone.size() == 3 || (zone.size() == 5 && digits_at(zone, 3, 2)) ||
                       (zone.size() == 6 && zone[3] == ':' && digits_at(zone, 4, 2)));
  if (!offset) return std::nullopt;
  return date + " " + time + std::string(zone);
}

// `since` as PostgreSQL's text of the timestamptz (ISO 8601 only: PostgreSQL alone would
// also take `now`, `epoch` or `yesterday`).
std::optional<std::string> checked_since(pqxx::transaction_base& t,
                                         const std::optional<std::string>& since) {
  if (!since) return std::nullopt;
  const auto literal = iso8601_literal(trim(*since));
  if (!literal) {
    throw validation_error("since", "is not an ISO 8601 date or time (2024-05-01T10:00:00Z)");
  }
  // The shape lets 2024-02-30 or 25:00 through; PostgreSQL's reading decides.
  try {
    return t.exec_params1("SELECT $1::timestamptz::text", *literal)[0].as<std::string>();
  } catch (const pqxx::data_exception&) {
    throw validation_error("since", "is not a valid date or time");
  }
}

// The spellings a number may be stored with: as typed, and in E.164 with and without its +.
std::optional<std::string> spellings(const std::optional<std::string>& number,
                                     std::string_view region) {
  if (!number) return std::nullopt;
  std::vector<std::string> out{trim(*number)};
  if (auto e = to_e164(*number, region)) {
    out.push_back(*e);
    out.push_back(e->substr(1));
  }
  return array_literal(out);
}

}  // namespace

std::vector<inbound_entry> list_inbound(pqxx::transaction_base& t, id actor_user,
                                        const std::optional<std::string>& since,
                                        const std::optional<std::string>& number, id after,
                                        int limit, std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  require_admin(a);
  const auto from = checked_since(t, since);
  const auto numbers = spellings(number, default_region);
  // One of the company's own numbers is the destination of its MOs, any other the source of
  // some: one column to compare, so that a texter's few MOs come from inbound_log_source
  // (no index on the destination: each would cost every MO's insert).
  const bool own = numbers && !t.exec_params(
                                    "SELECT 1 FROM numbers WHERE company_id = $1 "
                                    "AND number = ANY ($2::text[])",
                                    a.company, numbers)
                                   .empty();
  std::vector<inbound_entry> out;
  for (const auto& r : t.exec_params(
           "SELECT id, bind, source, destination, text, decision, keyword_id, " +
               iso("received_at") +
               ", reason FROM inbound_log WHERE company_id = $1 AND id > $2 "
               "AND ($3::timestamptz IS NULL OR received_at >= $3::timestamptz) "
               "AND ($4::text[] IS NULL OR " +
               (own ? "destination" : "source") + " = ANY ($4::text[])) ORDER BY id LIMIT $5",
           a.company, after, from, numbers, limit)) {
    out.push_back({r[0].as<id>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                   r[6].is_null() ? std::nullopt : std::optional(r[6].as<id>()),
                   r[7].as<std::string>(),
                   r[8].is_null() ? std::nullopt : std::optional(r[8].as<std::string>())});
  }
  return out;
}

std::vector<consent_entry> list_consents(pqxx::transaction_base& t, id actor_user,
                                         const std::optional<std::string>& number, id after,
                                         int limit, std::string_view default_region) {
  const actor a = load_actor(t, actor_user);
  require_admin(a);
  const auto optional_id = [](const pqxx::field& f) {
    return f.is_null() ? std::nullopt : std::optional(f.as<id>());
  };
  std::vector<consent_entry> out;
  for (const auto& r : t.exec_params(
           "SELECT id, number, action, contact_id, group_id, keyword_id, inbound_id, text, "
           "       actor_user_id, " +
               iso("at") +
               " FROM consent_audit WHERE company_id = $1 AND id > $2 "
               "AND ($3::text[] IS NULL OR number = ANY ($3::text[])) ORDER BY id LIMIT $4",
           a.company, after, spellings(number, default_region), limit)) {
    out.push_back({r[0].as<id>(), r[1].as<std::string>(), r[2].as<std::string>(), optional_id(r[3]),
                   optional_id(r[4]), optional_id(r[5]), optional_id(r[6]), r[7].as<std::string>(),
                   optional_id(r[8]), r[9].as<std::string>()});
  }
  return out;
}

message_info get_message(pqxx::transaction_base& t, id actor_user, id message) {
  const actor a = load_actor(t, actor_user);
  const auto r = t.exec_params(
      "SELECT id, source, text, recipients, suppressed, not_visible, invalid, duplicate, " +
          iso("created_at") +
          " FROM messages WHERE id = $1 AND company_id = $2 AND (user_id = $3 OR $4)",
      message, a.company, actor_user, a.is_admin());
  if (r.empty()) throw not_found("no such message");
  const auto& m = r[0];
  return {m[0].as<id>(),
          m[1].as<std::string>(),
          m[2].as<std::string>(),
          m[3].as<std::int64_t>(),
          {m[4].as<std::int64_t>(), m[5].as<std::int64_t>(), m[6].as<std::int64_t>(),
           m[7].as<std::int64_t>()},
          m[8].as<std::string>()};
}

std::vector<recipient_status> list_message_recipients(pqxx::transaction_base& t, id actor_user,
                                                      id message, id after, int limit) {
  get_message(t, actor_user, message);  // the access check
  const actor a = load_actor(t, actor_user);
  std::vector<recipient_status> out;
  // MATERIALIZED: the message's rows through the BRIN index, then sorted. Left to itself
  // the planner may walk the primary key from `after` on, filtering by message_id: through
  // the whole outbox for a small message.
  for (const auto& r : t.exec_params(
           "WITH m AS MATERIALIZED ("
           "  SELECT id, destination, status, smsc_message_id, smsc_status, error, updated_at "
           "  FROM outbox WHERE message_id = $1 AND company_id = $2 AND kind = 'send' "
           "  AND id > $3) "
           "SELECT id, destination, status, smsc_message_id, smsc_status, error, " +
               iso("updated_at") + " FROM m ORDER BY id LIMIT $4",
           message, a.company, after, limit)) {
    out.push_back({r[0].as<id>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   optional_text(r[3]),
                   r[4].is_null() ? std::nullopt : std::optional(r[4].as<std::int64_t>()),
                   optional_text(r[5]), r[6].as<std::string>()});
  }
  return out;
}

}  // namespace smsgw::store
