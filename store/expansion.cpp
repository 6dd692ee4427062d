#include "store/expansion.hpp"

#include <algorithm>
#include <atomic>

#include "store/access.hpp"
#include "store/errors.hpp"
#include "store/outbox.hpp"
#include "store/phone.hpp"
#include "store/sql_util.hpp"

namespace smsgw::store {
namespace {

// A `text[]` literal of the raw numbers in E.164, NULL for each one that is not valid.
std::string e164_array(const std::vector<std::string>& numbers, std::string_view region) {
  std::string out = "{";
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (i != 0) out += ',';
    const auto n = to_e164(numbers[i], region);
    out += n ? "\"" + *n + "\"" : std::string("NULL");  // E.164 needs no escaping
  }
  return out + "}";
}

// The arguments of send_entries() and send_recipients() for a send, as parameter texts. The
// reachable groups are computed first and passed as a value, so that the planner of the big
// query sees how many members they hold (a million-member group joins by hash, a small one
// by index).
struct send_arguments {
  std::string groups;
  std::string tree;
  std::string contacts;
  std::string numbers;
};

send_arguments arguments_for(pqxx::transaction_base& t, id sender, const send_request& to,
                             std::string_view region) {
  send_arguments a;
  a.groups = id_array(unique_ids(to.groups));
  a.tree = t.exec_params1(
                "SELECT coalesce(array_agg(g ORDER BY g), '{}')::text "
                "FROM send_groups($1, $2::bigint[]) g",
                sender, a.groups)[0]
               .as<std::string>();
  a.contacts = id_array(unique_ids(to.contacts));
  a.numbers = e164_array(to.numbers, region);
  return a;
}

// Runs `f` with the setting `name` at `value` for this transaction, then puts it back.
template <class F>
void with_setting(pqxx::transaction_base& t, const std::string& name, const std::string& value,
                  F&& f) {
  const auto old = t.exec_params1("SELECT current_setting($1)", name)[0].as<std::string>();
  t.exec_params("SELECT set_config($1, $2, true)", name, value);
  f();
  t.exec_params("SELECT set_config($1, $2, true)", name, old);
}

}  // namespace

queued_send queue_send(pqxx::transaction_base& t, id sender, const outgoing_message& m,
                       const send_request& to, std::string_view default_region) {
  const actor a = load_actor(t, sender);
  std::vector<field_issue> issues;
  if (m.text.empty()) issues.push_back({"text", "must not be empty"});
  if (m.source.empty() || m.source.size() > 20)
    issues.push_back({"from", "must be 1 to 20 characters"});
  if (!issues.empty()) throw validation_error(std::move(issues));
  std::optional<std::string> bind = m.bind;
  if (!bind) {
    const auto r = t.exec_params("SELECT bind FROM numbers WHERE company_id = $1 AND number = $2",
                                 a.company, m.source);
    if (!r.empty() && !r[0][0].is_null()) bind = r[0][0].as<std::string>();
  }
  const id message = t.exec_params1(
                          "INSERT INTO messages (company_id, user_id, source, text, bind) "
                          "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                          a.company, sender, m.source, m.text, bind)[0]
                         .as<id>();
  // One pass over the entries, grouped by (number, visible); each visible valid number is
  // then checked once against the (small, hashed) stop list.
  const send_arguments args = arguments_for(t, sender, to, default_region);
  const auto r = t.exec_params1(
      "WITH by_number AS MATERIALIZED ("
      "  SELECT e.number, e.visible, count(*) AS entries "
      "  FROM send_entries($1, $2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) e "
      "  GROUP BY e.number, e.visible), "
      "numbers AS MATERIALIZED ("
      "  SELECT b.number, b.entries, number_key(b.number) IN (SELECT stop_keys($6)) AS suppressed "
      "  FROM by_number b WHERE b.visible AND b.number IS NOT NULL), "
      "queued AS ("
      "  INSERT INTO outbox (company_id, kind, message_id, source, destination, text, bind) "
      "  SELECT $6, 'send', $7, $8, n.number, $9, $10 FROM numbers n WHERE NOT n.suppressed), "
      "left_out AS ("
      "  SELECT coalesce(sum(entries) FILTER (WHERE NOT visible), 0) AS not_visible, "
      "         coalesce(sum(entries) FILTER (WHERE visible AND number IS NULL), 0) AS invalid "
      "  FROM by_number) "
      "SELECT count(*) FILTER (WHERE NOT n.suppressed), count(*) FILTER (WHERE n.suppressed), "
      "       (SELECT not_visible FROM left_out), (SELECT invalid FROM left_out), "
      "       coalesce(sum(n.entries) - count(*), 0) "
      "FROM numbers n",
      sender, args.groups, args.tree, args.contacts, args.numbers, a.company, message, m.source,
      m.text, bind);
  queued_send out;
  out.message_id = message;
  out.recipients = r[0].as<std::int64_t>();
  out.left = {r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
              r[4].as<std::int64_t>()};
  t.exec_params0(
      "UPDATE messages SET recipients = $2, suppressed = $3, not_visible = $4, invalid = $5, "
      "duplicate = $6 WHERE id = $1",
      message, out.recipients, out.left.suppressed, out.left.not_visible, out.left.invalid,
      out.left.duplicate);
  if (out.recipients > 0) notify_queued(t);
  return out;
}

recipient_cursor::recipient_cursor(pqxx::transaction_base& t, id sender, const send_request& to,
                                   std::string_view default_region, std::size_t batch)
    : t_(t), batch_(batch == 0 ? 1 : batch) {
  static std::atomic<std::uint64_t> counter{0};
  name_ = "smsgw_recipients_" + std::to_string(++counter);
  const send_arguments args = arguments_for(t, sender, to, default_region);
  // Planned for reading every row, not the first ones (a cursor's default): a big group's
  // members are joined by hash, not looked up one by one. The name is ours (a counter),
  // never input; the values are parameters.
  with_setting(t_, "cursor_tuple_fraction", "1", [&] {
    t_.exec_params("DECLARE " + name_ +
                       " NO SCROLL CURSOR FOR SELECT number FROM "
                       "send_recipients($1, $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])",
                   sender, args.groups, args.tree, args.contacts, args.numbers);
  });
}

std::vector<std::string> recipient_cursor::next() {
  std::vector<std::string> out;
  if (done_) return out;
  const auto rows = t_.exec("FETCH " + std::to_string(batch_) + " FROM " + name_);
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r[0].as<std::string>());
  if (rows.size() < batch_) {
    done_ = true;
    t_.exec("CLOSE " + name_);
  }
  return out;
}

}  // namespace smsgw::store
