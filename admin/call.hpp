// What a route handler is given and how it answers: the request, its path parameters, the
// authenticated caller and the transaction its store work runs in. Handlers run on a
// database thread, never on the network thread, and never see a socket.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/http.hpp"
#include "admin/router.hpp"
#include "admin/target.hpp"
#include "store/errors.hpp"
#include "store/id.hpp"
#include "store/users.hpp"

// Optional fields are JSON null when unset (nlohmann/json 3.11.2 has no std::optional support
// of its own; this is the serializer its documentation gives).
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) {
      j = *v;
    } else {
      j = nullptr;
    }
  }
};
}  // namespace nlohmann

namespace smsgw::store {
class db_runner;  // store/runner.hpp: Asio, kept out of this widely included header
}

namespace smsgw::admin {

/// An answer that is not a store error: 400 (bad query or cursor), 415, 404 for a path the
/// caller may not use. Thrown by handlers, turned into the error body by the api.
class api_error : public std::runtime_error {
 public:
  api_error(int status, std::string code, const std::string& message,
            nlohmann::json details = nlohmann::json::array())
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        details_(std::move(details)) {}
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& code() const { return code_; }
  [[nodiscard]] const nlohmann::json& details() const { return details_; }

 private:
  int status_;
  std::string code_;
  nlohmann::json details_;
};

/// Reads the fields of a JSON object body by name and type. Every type mismatch and, on
/// finish(), every field nobody asked for is collected; finish() throws them all as one
/// validation_error (422).
class body_fields {
 public:
  /// `body` must be an object (422 otherwise, on finish()).
  explicit body_fields(const nlohmann::json& body);
  explicit body_fields(nlohmann::json&&) = delete;  ///< it keeps a reference: no temporaries

  /// A string field; JSON null reads as "" (clears an optional text field).
  std::optional<std::string> text(const std::string& name);
  /// An integer id field.
  std::optional<store::id> id(const std::string& name);
  /// A boolean field.
  std::optional<bool> flag(const std::string& name);
  /// An array of ids.
  std::optional<std::vector<store::id>> ids(const std::string& name);
  /// An array of strings.
  std::optional<std::vector<std::string>> texts(const std::string& name);
  /// An object of string values.
  std::optional<std::map<std::string, std::string>> text_map(const std::string& name);
  /// A nested object, read with its own body_fields (prefix: `to.`).
  std::optional<nlohmann::json> object(const std::string& name);
  /// Marks `name` missing when absent (`required`).
  template <class T>
  T required(const std::string& name, std::optional<T> value) {
    if (!value) {
      if (!present(name)) issues_.push_back({name, "is required"});
      return T{};
    }
    return std::move(*value);
  }
  /// Whether the body has the field at all.
  [[nodiscard]] bool present(const std::string& name) const;
  /// Throws validation_error with every issue, unknown fields included.
  void finish();

 private:
  const nlohmann::json* take(const std::string& name);
  void wrong_type(const std::string& name, const char* expected);
  const nlohmann::json& body_;
  std::vector<std::string> taken_;
  std::vector<store::field_issue> issues_;
};

struct upload_form;  // admin/upload.hpp
class import_jobs;   // admin/import_jobs.hpp
}  // namespace smsgw::admin
namespace smsgw::store {
struct session_limits;  // store/tokens.hpp
}  // namespace smsgw::store
namespace smsgw::admin {

/// One request being handled.
struct call {
  call(const http_request& r, const target& w, const path_params& p, pqxx::transaction_base& t,
       const store::credentials& c, const std::string& reg, store::db_runner& d)
      : request(r), where(w), params(p), tx(t), caller(c), region(reg), db(d) {}

  const http_request& request;
  const target& where;
  const path_params& params;
  pqxx::transaction_base& tx;
  const store::credentials& caller;
  const std::string& region;  ///< default_country, for national numbers
  /// The API's database threads, for an answer streamed in pieces after this transaction
  /// (each piece its own transaction there); never to be awaited inside the handler.
  store::db_runner& db;
  /// The request's upload read as a form, for the routes that take one; nullptr otherwise.
  const upload_form* form = nullptr;
  /// The daemon's running imports (set by the api for every request).
  import_jobs* imports = nullptr;
  /// The console sessions' lifetimes (set by the api for every request).
  const store::session_limits* sessions = nullptr;

  /// The caller's user id (the store's `actor_user`).
  [[nodiscard]] store::id actor() const { return caller.user_id; }
  /// Path parameter `name` as an id; 404 when it is not a positive number.
  [[nodiscard]] store::id path_id(std::string_view name) const;
  /// Path parameter `name` as text.
  [[nodiscard]] const std::string& path_text(std::string_view name) const;
  /// The body parsed as JSON (400 with the byte position when it is not JSON; an empty body
  /// is an empty object).
  [[nodiscard]] const nlohmann::json& json() const;
  /// Query parameter `name`.
  [[nodiscard]] std::optional<std::string> query(std::string_view name) const {
    return where.param(name);
  }
  /// `?limit=` (1..1000, default 50); 400 otherwise.
  [[nodiscard]] int limit() const;
  /// `?cursor=` as an id (0 from the start); 400 when it is not one.
  [[nodiscard]] store::id id_cursor() const;

 private:
  mutable std::optional<nlohmann::json> parsed_;
};

/// A JSON answer.
http_response json_answer(int status, const nlohmann::json& body);
/// 204, no body.
http_response no_content();
/// `{"items": [...], "next_cursor": c}` beside the fields of `head`; `next` nullopt gives
/// `null` (the last page).
http_response page_answer(nlohmann::json items, const std::optional<std::string>& next,
                          nlohmann::json head = nlohmann::json::object());

/// One page of `rows`, read with `limit + 1`: the extra row only says that a next page exists,
/// and the cursor is `cursor_of` the last row kept (an id or a text). `head` as in page_answer.
template <class Row, class CursorOf, class ToJson>
http_response page_of(std::vector<Row> rows, int limit, CursorOf cursor_of, ToJson to_json,
                      nlohmann::json head = nlohmann::json::object()) {
  std::optional<std::string> next;
  if (rows.size() > static_cast<std::size_t>(limit)) {
    rows.resize(static_cast<std::size_t>(limit));
    const auto cursor = cursor_of(rows.back());
    if constexpr (std::is_arithmetic_v<decltype(cursor)>) {
      next = std::to_string(cursor);
    } else {
      next = std::string(cursor);
    }
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : rows) items.push_back(to_json(r));
  return page_answer(std::move(items), next, std::move(head));
}

/// A route handler.
using route_fn = std::function<http_response(call&)>;

/// The routes of the API: patterns with their handlers. Each resource family adds its own
/// (admin/routes_*.cpp).
struct route_table {
  /// How a route takes its request: JSON with the Authorization header, or an upload (the
  /// body spooled by the transport and read as a form) whose caller may also sign in with
  /// the form's `username` and `password` fields (the manual's HTTP POST import).
  /// `sign_in`: JSON whose `username` and `password` authenticate it (the console's sign-in).
  enum class kind { json, upload, upload_form_login, sign_in };
  static bool takes_upload(kind k) { return k == kind::upload || k == kind::upload_form_login; }
  router paths;
  std::vector<route_fn> handlers;  ///< by route number; empty for routes the api answers
                                   ///< itself (ops endpoints)
  std::vector<kind> kinds;         ///< by route number
  void add(std::string method, std::string_view pattern, route_fn fn = {}, kind k = kind::json) {
    paths.add(std::move(method), pattern);
    handlers.push_back(std::move(fn));
    kinds.push_back(k);
  }
};

void add_directory_routes(route_table& t);  ///< me, company, users, tokens
void add_domain_routes(route_table& t);     ///< domains, accesses, merge
void add_contact_routes(route_table& t);    ///< contacts
void add_group_routes(route_table& t);      ///< groups, members
void add_messaging_routes(route_table& t);  ///< numbers, keywords, suppressions, sends
void add_log_routes(route_table& t);        ///< inbound log, consents, message status
void add_export_routes(route_table& t);     ///< a group's export file (streamed)
void add_import_routes(route_table& t);     ///< a group's import (uploads), the manual's /import,
                                            ///< the running imports

}  // namespace smsgw::admin
