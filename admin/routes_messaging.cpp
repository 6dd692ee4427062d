// /api/v1/numbers, /api/v1/keywords, /api/v1/suppressions and /api/v1/messages (sending).
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "smpp/concat.hpp"
#include "smpp/text.hpp"
#include "store/access.hpp"
#include "store/expansion.hpp"
#include "store/numbers.hpp"
#include "store/suppressions.hpp"

namespace smsgw::admin {
namespace {

nlohmann::json number_json(const store::number_info& n) {
  return {{"id", n.number_id},
          {"number", n.number},
          {"kind", n.kind},
          {"bind", n.bind},
          {"default_reply", n.default_reply},
          {"help_reply", n.help_reply}};
}

http_response list_numbers(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_numbers(k.tx, k.actor(), k.id_cursor(), limit + 1), limit,
      [](const store::number_info& n) { return n.number_id; }, number_json);
}

http_response create_number(call& k) {
  body_fields b(k.json());
  store::new_number_request n;
  n.number = b.required("number", b.text("number"));
  n.kind = b.required("kind", b.text("kind"));
  if (auto bind = b.text("bind"); bind && !bind->empty()) n.bind = std::move(bind);
  n.default_reply = b.text("default_reply").value_or("");
  n.help_reply = b.text("help_reply").value_or("");
  b.finish();
  return json_answer(201, number_json(store::create_number(k.tx, k.actor(), n, k.region)));
}

http_response get_number(call& k) {
  return json_answer(200, number_json(store::get_number(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch_number(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::number_patch p;
  if (const auto bind = b.text("bind")) {
    p.bind = bind->empty() ? std::optional<std::string>() : *bind;
  }
  p.default_reply = b.text("default_reply");
  p.help_reply = b.text("help_reply");
  b.finish();
  return json_answer(200, number_json(store::update_number(k.tx, k.actor(), id, p)));
}

http_response delete_number(call& k) {
  store::delete_number(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

const char* tail_name(keywords::tail_policy t) {
  return t == keywords::tail_policy::ignore ? "ignore" : "unmatched";
}

keywords::tail_policy tail_of(const std::string& s) {
  if (s == "ignore") return keywords::tail_policy::ignore;
  if (s == "unmatched") return keywords::tail_policy::unmatched;
  throw store::validation_error("tail", "must be unmatched or ignore");
}

nlohmann::json keyword_json(const store::keyword_info& w) {
  return {{"id", w.keyword_id},
          {"number", w.number},
          {"number_id", w.number_id},
          {"keyword", w.keyword},
          {"group_id", w.group_id},
          {"optin_message", w.optin_message},
          {"optout_message", w.optout_message},
          {"help_message", w.help_message},
          {"tail", tail_name(w.tail)}};
}

std::optional<store::id> id_query(const call& k, std::string_view name) {
  const auto v = k.query(name);
  if (!v) return std::nullopt;
  try {
    std::size_t used = 0;
    const auto n = std::stoll(*v, &used);
    if (used == v->size() && n > 0) return n;
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): answered below
  }
  throw api_error(400, "bad_request", std::string(name) + " must be an id");
}

http_response list_keywords(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_keywords(k.tx, k.actor(), id_query(k, "number_id"), id_query(k, "group_id"),
                           k.id_cursor(), limit + 1),
      limit, [](const store::keyword_info& w) { return w.keyword_id; }, keyword_json);
}

http_response create_keyword(call& k) {
  body_fields b(k.json());
  store::new_keyword_request w;
  const auto number = b.text("number");
  const auto number_id = b.id("number_id");
  w.keyword = b.required("keyword", b.text("keyword"));
  w.group_id = b.required("group_id", b.id("group_id"));
  w.optin_message = b.text("optin_message").value_or("");
  w.optout_message = b.text("optout_message").value_or("");
  w.help_message = b.text("help_message").value_or("");
  const auto tail = b.text("tail");
  b.finish();
  if (tail) w.tail = tail_of(*tail);
  // The number as dialled ("4040") or its id.
  if (number_id) {
    w.number_id = *number_id;
  } else if (number) {
    const auto found = store::find_number(k.tx, k.actor(), *number, k.region);
    if (!found) throw store::validation_error("number", "is not a number of the company");
    w.number_id = found->number_id;
  } else {
    throw store::validation_error("number", "is required");
  }
  return json_answer(201, keyword_json(store::create_keyword(k.tx, k.actor(), w)));
}

http_response get_keyword(call& k) {
  return json_answer(200, keyword_json(store::get_keyword(k.tx, k.actor(), k.path_id("id"))));
}

http_response patch_keyword(call& k) {
  const auto id = k.path_id("id");
  body_fields b(k.json());
  store::keyword_patch p;
  p.keyword = b.text("keyword");
  p.group_id = b.id("group_id");
  p.optin_message = b.text("optin_message");
  p.optout_message = b.text("optout_message");
  p.help_message = b.text("help_message");
  const auto tail = b.text("tail");
  b.finish();
  if (tail) p.tail = tail_of(*tail);
  return json_answer(200, keyword_json(store::update_keyword(k.tx, k.actor(), id, p)));
}

http_response delete_keyword(call& k) {
  store::delete_keyword(k.tx, k.actor(), k.path_id("id"));
  return no_content();
}

http_response list_suppressions(call& k) {
  const int limit = k.limit();
  return page_of(
      store::list_suppressions(k.tx, k.actor(), k.query("cursor").value_or(""), limit + 1), limit,
      [](const store::suppression& s) { return s.number; },
      [](const store::suppression& s) {
        return nlohmann::json{
            {"number", s.number}, {"source", s.source}, {"created_by", s.created_by}};
      });
}

http_response add_suppression(call& k) {
  body_fields b(k.json());
  const auto number = b.required("number", b.text("number"));
  b.finish();
  const bool added = store::add_suppression(k.tx, k.actor(), number, k.region);
  return json_answer(added ? 201 : 200, {{"number", number}, {"added", added}});
}

http_response lift_suppression(call& k) {
  if (!store::remove_suppression(k.tx, k.actor(), k.path_text("number"), k.region)) {
    throw api_error(404, "not_found", "the number is not on the stop list");
  }
  return no_content();
}

http_response send(call& k) {
  body_fields b(k.json());
  store::outgoing_message m;
  m.source = b.required("from", b.text("from"));
  m.text = b.required("text", b.text("text"));
  const auto to = b.required("to", b.object("to"));
  b.finish();
  store::send_request r;
  body_fields t(to);
  r.groups = t.ids("groups").value_or(std::vector<store::id>{});
  r.contacts = t.ids("contacts").value_or(std::vector<store::id>{});
  r.numbers = t.texts("numbers").value_or(std::vector<std::string>{});
  try {
    t.finish();
  } catch (store::validation_error& e) {
    auto issues = e.issues();
    for (auto& i : issues) i.field = "to." + i.field;
    throw store::validation_error(std::move(issues));
  }
  if (r.groups.empty() && r.contacts.empty() && r.numbers.empty()) {
    throw store::validation_error("to", "name at least one group, contact or number");
  }
  if (!store::sender_allowed(k.tx, k.caller.company, m.source, k.region)) {
    throw store::validation_error("from",
                                  "is neither a number of the company nor one of its sender ids");
  }
  const auto q = store::queue_send(k.tx, k.actor(), m, r, k.region);
  return json_answer(201, {{"id", q.message_id},
                           {"recipients", q.recipients},
                           {"left_out",
                            {{"suppressed", q.left.suppressed},
                             {"not_visible", q.left.not_visible},
                             {"invalid", q.left.invalid},
                             {"duplicate", q.left.duplicate}}}});
}

// How the gateway will send a text: its alphabet, length and parts, computed by the same
// encoder and splitter the dispatcher uses (the console's live counter asks here rather than
// keeping a copy of GSM 03.38). Parts as an 8-bit concatenation reference splits them.
http_response preview(call& k) {
  body_fields b(k.json());
  const auto text = b.required("text", b.text("text"));
  b.finish();
  const auto encoded = smpp::encode_text(text);
  const bool gsm = encoded.data_coding == smpp::coding::smsc_default;
  std::size_t parts = 0;
  try {
    parts = encoded.units == 0 ? 1 : smpp::split(encoded, {}).size();
  } catch (const std::length_error&) {
    throw store::validation_error("text", "is longer than 255 SMS parts");
  }
  return json_answer(200, {{"encoding", gsm ? "gsm" : "ucs2"},
                           {"units", encoded.units},
                           {"parts", parts},
                           {"per_part", parts <= 1 ? (gsm ? 160 : 70) : (gsm ? 153 : 67)}});
}

}  // namespace

void add_messaging_routes(route_table& t) {
  t.add("GET", "/api/v1/numbers", list_numbers);
  t.add("POST", "/api/v1/numbers", create_number);
  t.add("GET", "/api/v1/numbers/{id}", get_number);
  t.add("PATCH", "/api/v1/numbers/{id}", patch_number);
  t.add("DELETE", "/api/v1/numbers/{id}", delete_number);
  t.add("GET", "/api/v1/keywords", list_keywords);
  t.add("POST", "/api/v1/keywords", create_keyword);
  t.add("GET", "/api/v1/keywords/{id}", get_keyword);
  t.add("PATCH", "/api/v1/keywords/{id}", patch_keyword);
  t.add("DELETE", "/api/v1/keywords/{id}", delete_keyword);
  t.add("GET", "/api/v1/suppressions", list_suppressions);
  t.add("POST", "/api/v1/suppressions", add_suppression);
  t.add("DELETE", "/api/v1/suppressions/{number}", lift_suppression);
  t.add("POST", "/api/v1/messages", send);
  t.add("POST", "/api/v1/messages/preview", preview);
  add_log_routes(t);
}

}  // namespace smsgw::admin
