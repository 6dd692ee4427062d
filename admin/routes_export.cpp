// Moving contacts out: GET /api/v1/groups/{id}/export, the manual's export file (text/csv),
// streamed a page of members at a time, each page its own read transaction on the API's
// database threads, so a million-member group exports with flat memory. (Import joins this
// file.)
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <pqxx/pqxx>

#include "admin/call.hpp"
#include "store/csv.hpp"
#include "store/export.hpp"
#include "store/runner.hpp"

namespace smsgw::admin {
namespace {

namespace net = boost::asio;

// Members per piece of the answer (and per transaction).
constexpr int export_page_size = 1000;

// Where an export stands between pieces. The export is not one snapshot: a member added or
// removed while it runs may or may not be in the file, as with any paged read.
struct export_state {
  store::db_runner& db;
  store::id reader;
  store::export_layout layout;
  std::optional<store::member_cursor> next;
  bool header_sent = false;
  bool done = false;
};

// The next piece: the header line first, then one page of members as CSV records.
net::awaitable<std::optional<std::string>> next_piece(export_state& s) {
  if (!s.header_sent) {
    s.header_sent = true;
    co_return store::csv_record(s.layout.header());
  }
  if (s.done) co_return std::nullopt;
  auto* state = &s;
  co_return co_await s.db.run([state](pqxx::connection& c) {
    pqxx::read_transaction t(c);
    auto page =
        store::export_members(t, state->reader, state->layout, state->next, export_page_size);
    state->next = page.next;
    state->done = !page.next;
    std::string out;
    for (const auto& row : page.rows) out += store::csv_record(row);
    return std::optional<std::string>(std::move(out));
  });
}

http_response export_group(call& k) {
  const auto flag = k.query("public_ids").value_or("false");
  if (flag != "true" && flag != "false") {
    throw api_error(400, "bad_request", "public_ids must be true or false");
  }
  const auto id = k.path_id("id");
  // Visibility is checked here, in the request's transaction: a group the caller cannot
  // view is 404 before any byte of the file.
  auto state = std::make_shared<export_state>(export_state{
      k.db, k.actor(), store::plan_export(k.tx, k.actor(), id, flag == "true"), std::nullopt});
  http_response res;
  res.content_type = "text/csv; charset=utf-8";
  res.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"group-" + std::to_string(id) + ".csv\"");
  res.pieces = [state]() { return next_piece(*state); };
  return res;
}

}  // namespace

void add_export_routes(route_table& t) {
  t.add("GET", "/api/v1/groups/{id}/export", export_group);
}

}  // namespace smsgw::admin
