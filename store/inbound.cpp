#include "store/inbound.hpp"

#include <array>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sodium.h>

#include "store/prepared.hpp"

namespace smsgw::store {
namespace {

// One batch of decided MOs (store/sql/inbound.sql); run on none, the warm-up.
constexpr statement apply_mos_sql{
    "inbound_apply_mos",
    "SELECT n, inbound_id, redelivered, reply_id, reply_claimed_at FROM apply_mos($1, $2, $3)"};

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

}  // namespace

std::int64_t begin_inbound(pqxx::transaction_base& t, std::chrono::milliseconds statement_timeout) {
  static constexpr statement sql{
      "inbound_begin",
      "SELECT set_config('statement_timeout', $1, true), version FROM route_version"};
  return exec(t, sql, std::to_string(statement_timeout.count())).at(0)[1].as<std::int64_t>();
}

std::int64_t warm_up_inbound(pqxx::transaction_base& t,
                             std::chrono::milliseconds statement_timeout) {
  // Behind a table someone holds locked (a migration, VACUUM FULL), a warm-up would hold back
  // the start it is meant to speed up: it gives up instead.
  static constexpr statement no_wait{"inbound_warm_up_no_wait",
                                     "SELECT set_config('lock_timeout', '100ms', true)"};
  exec(t, no_wait);
  const auto version = begin_inbound(t, statement_timeout);
  exec(t, apply_mos_sql, "[]", 0.0, "");
  return version;
}

std::vector<inbound_outcome> apply_decisions(pqxx::transaction_base& t,
                                             const std::vector<decided_mo>& batch,
                                             const std::string& claimed_by,
                                             std::chrono::seconds redelivery_window) {
  if (batch.empty()) return {};
  // As a text parameter would: up to a NUL (handsets pad with them; JSON would keep them and
  // PostgreSQL refuse them).
  const auto text = [](const std::string& s) { return s.substr(0, s.find('\0')); };
  auto mos = nlohmann::json::array();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& [mo, r, d] = batch[i];
    const auto nullable = [](bool present, id value) {
      return present ? nlohmann::json(value) : nlohmann::json(nullptr);
    };
    mos.push_back({{"n", i + 1},
                   {"bind", text(mo->bind)},
                   {"source", text(mo->source)},
                   {"destination", text(mo->destination)},
                   {"text", text(mo->text)},
                   {"data_coding", mo->data_coding},
                   {"digest", digest_of(*mo)},
                   {"company", nullable(r != nullptr, r != nullptr ? r->company : 0)},
                   {"decision", keywords::to_string(d->what)},
                   {"keyword", nullable(d->keyword.has_value(), d->keyword ? d->keyword->id : 0)},
                   {"grp", nullable(d->keyword.has_value(), d->keyword ? d->keyword->group_id : 0)},
                   {"reply", text(d->reply)},
                   // Replies leave on the route's bind when it fixes one, else on the MO's.
                   {"reply_bind", text(r != nullptr && r->bind ? *r->bind : mo->bind)}});
  }
  const auto rows =
      exec(t, apply_mos_sql, mos.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
           static_cast<double>(redelivery_window.count()), claimed_by);
  std::vector<inbound_outcome> out(batch.size());
  for (const auto& row : rows) {
    const auto i = row[0].as<std::size_t>() - 1;
    const auto& [mo, r, d] = batch.at(i);
    auto& o = out[i];
    o.inbound_id = row[1].as<id>();
    o.redelivered = row[2].as<bool>();
    if (!row[3].is_null()) {
      o.replies.push_back({row[3].as<id>(), r->company, mo->destination, mo->source, d->reply,
                           r->bind ? *r->bind : mo->bind, 1, 0, row[4].as<std::string>()});
    }
  }
  return out;
}

inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by,
                               std::chrono::seconds redelivery_window) {
  return apply_decisions(t, {{&mo, r, &d}}, claimed_by, redelivery_window).front();
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
