#include "store/parts.hpp"

#include "store/prepared.hpp"

namespace smsgw::store {
namespace {

// One lock per message; hashtext collisions only serialise unrelated messages briefly.
void lock(pqxx::transaction_base& t, const part_key& k) {
  static constexpr statement sql{
      "parts_lock",
      "SELECT pg_advisory_xact_lock(hashtext($1 || chr(31) || $2 || chr(31) || $3 || chr(31) || "
      "$4::text || chr(31) || $5::text))"};
  exec(t, sql, k.bind, k.source, k.destination, static_cast<int>(k.reference),
       static_cast<int>(k.total));
}

}  // namespace

std::vector<stored_part> store_part(pqxx::transaction_base& t, const part_key& k,
                                    std::uint8_t index, std::uint8_t data_coding,
                                    const std::string& octets) {
  static constexpr statement insert_sql{
      "parts_insert",
      "INSERT INTO inbound_parts (bind, source, destination, reference, total, index, "
      "data_coding, octets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"};
  static constexpr statement read_sql{
      "parts_read",
      "SELECT index, data_coding, octets FROM inbound_parts WHERE bind = $1 AND source = $2 "
      "AND destination = $3 AND reference = $4 AND total = $5 ORDER BY index"};
  lock(t, k);
  exec(t, insert_sql, k.bind, k.source, k.destination, static_cast<int>(k.reference),
       static_cast<int>(k.total), static_cast<int>(index), static_cast<int>(data_coding),
       pqxx::binarystring(octets));
  std::vector<stored_part> out;
  for (const auto& r : exec(t, read_sql, k.bind, k.source, k.destination,
                            static_cast<int>(k.reference), static_cast<int>(k.total))) {
    const pqxx::binarystring bytes(r[2]);
    out.push_back({static_cast<std::uint8_t>(r[0].as<int>()),
                   static_cast<std::uint8_t>(r[1].as<int>()), bytes.str()});
  }
  return out;
}

void delete_parts(pqxx::transaction_base& t, const part_key& k) {
  static constexpr statement sql{
      "parts_delete",
      "DELETE FROM inbound_parts WHERE bind = $1 AND source = $2 AND destination = $3 "
      "AND reference = $4 AND total = $5"};
  exec(t, sql, k.bind, k.source, k.destination, static_cast<int>(k.reference),
       static_cast<int>(k.total));
}

std::vector<expired_message> expire_parts(pqxx::transaction_base& t, std::chrono::seconds age) {
  std::vector<expired_message> out;
  for (const auto& r : t.exec_params(
           "WITH old AS (SELECT bind, source, destination, reference, total FROM inbound_parts "
           "  GROUP BY 1, 2, 3, 4, 5 HAVING min(received_at) < now() - make_interval(secs => $1)), "
           "gone AS (DELETE FROM inbound_parts p USING old o WHERE p.bind = o.bind "
           "  AND p.source = o.source AND p.destination = o.destination "
           "  AND p.reference = o.reference AND p.total = o.total "
           "  RETURNING p.bind, p.source, p.destination, p.reference, p.total) "
           "SELECT bind, source, destination, reference, total, count(*) FROM gone "
           "GROUP BY bind, source, destination, reference, total",
           static_cast<double>(age.count()))) {
    out.push_back(
        {{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          static_cast<std::uint16_t>(r[3].as<int>()), static_cast<std::uint8_t>(r[4].as<int>())},
         r[5].as<int>()});
  }
  return out;
}

}  // namespace smsgw::store
