#include "store/inbound.hpp"

#include <array>
#include <optional>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <sodium.h>

#include "store/prepared.hpp"

namespace smsgw::store {
namespace {

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

inbound_outcome apply_decision(pqxx::transaction_base& t, const inbound_mo& mo, const route* r,
                               const keywords::decision& d, const std::string& claimed_by,
                               std::chrono::seconds redelivery_window) {
  // store/sql/inbound.sql applies the decision: one round trip.
  static constexpr statement sql{
      "inbound_apply_mo",
      "SELECT inbound_id, redelivered, reply_id, reply_claimed_at "
      "FROM apply_mo($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"};
  const auto keyword_id = d.keyword ? std::optional<id>(d.keyword->id) : std::nullopt;
  const auto group_id = d.keyword ? std::optional<id>(d.keyword->group_id) : std::nullopt;
  const auto company = r != nullptr ? std::optional<id>(r->company) : std::nullopt;
  // Replies leave on the route's bind when it fixes one, else on the MO's.
  const auto& reply_bind = r != nullptr && r->bind ? *r->bind : mo.bind;
  const auto row =
      exec(t, sql, mo.bind, mo.source, mo.destination, mo.text, static_cast<int>(mo.data_coding),
           digest_of(mo), static_cast<double>(redelivery_window.count()), company,
           keywords::to_string(d.what), keyword_id, group_id, d.reply, reply_bind, claimed_by)
          .at(0);
  inbound_outcome out;
  out.inbound_id = row[0].as<id>();
  out.redelivered = row[1].as<bool>();
  if (!row[2].is_null()) {
    out.replies.push_back({row[2].as<id>(), r->company, mo.destination, mo.source, d.reply,
                           reply_bind, 1, 0, row[3].as<std::string>()});
  }
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
