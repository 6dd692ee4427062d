// What happened: /api/v1/inbound (each MO with its decision), /api/v1/consents and the
// per-recipient status of a sent message.
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "store/logs.hpp"

namespace smsgw::admin {
namespace {

http_response inbound(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_inbound(k.tx, k.actor(), k.query("since"), k.query("number"), k.id_cursor(),
                          limit + 1, k.region),
      limit, [](const store::inbound_entry& e) { return e.entry_id; },
      [](const store::inbound_entry& e) {
        return nlohmann::json{{"id", e.entry_id},
                              {"bind", e.bind},
                              {"source", e.source},
                              {"destination", e.destination},
                              {"text", e.text},
                              {"decision", e.decision},
                              {"keyword_id", e.keyword_id},
                              {"received_at", e.received_at},
                              {"reason", e.reason}};
      });
}

http_response consents(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_consents(k.tx, k.actor(), k.query("number"), k.id_cursor(), limit + 1, k.region),
      limit, [](const store::consent_entry& e) { return e.entry_id; },
      [](const store::consent_entry& e) {
        return nlohmann::json{{"id", e.entry_id},
                              {"number", e.number},
                              {"action", e.action},
                              {"contact_id", e.contact_id},
                              {"group_id", e.group_id},
                              {"keyword_id", e.keyword_id},
                              {"inbound_id", e.inbound_id},
                              {"text", e.text},
                              {"actor_user_id", e.actor_user_id},
                              {"at", e.at}};
      });
}

http_response message(call& k) {
  const auto id = k.path_id("id");
  const auto m = store::get_message(k.tx, k.actor(), id);
  const int limit = k.limit();
  nlohmann::json head = {{"id", m.message_id},
                         {"from", m.source},
                         {"text", m.text},
                         {"recipients", m.recipients},
                         {"left_out",
                          {{"suppressed", m.left.suppressed},
                           {"not_visible", m.left.not_visible},
                           {"invalid", m.left.invalid},
                           {"duplicate", m.left.duplicate}}},
                         {"created_at", m.created_at}};
  return page_of(
      store::list_message_recipients(k.tx, k.actor(), id, k.id_cursor(), limit + 1), limit,
      [](const store::recipient_status& r) { return r.outbox_id; },
      [](const store::recipient_status& r) {
        return nlohmann::json{{"id", r.outbox_id},
                              {"number", r.destination},
                              {"status", r.status},
                              {"smsc_message_id", r.smsc_message_id},
                              {"smsc_status", r.smsc_status},
                              {"error", r.error},
                              {"updated_at", r.updated_at}};
      },
      std::move(head));
}

}  // namespace

void add_log_routes(route_table& t) {
  t.add("GET", "/api/v1/inbound", inbound);
  t.add("GET", "/api/v1/consents", consents);
  t.add("GET", "/api/v1/messages/{id}", message);
}

}  // namespace smsgw::admin
