// Contact import into a group (manual: "Importing Contacts", PRODUCT.md §7): the file's rows
// checked by the store's field rules, staged through COPY, then merged with set-based SQL in
// the caller's transaction. All or nothing: a file with any bad row throws import_refused
// listing the bad rows, so the transaction (and with it every change) is rolled back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "store/csv.hpp"
#include "store/errors.hpp"
#include "store/id.hpp"

namespace smsgw::store {

/// What identifies an existing contact (the manual's "Import Key").
enum class import_key { number, name, email, alias, public_id, system_id };

/// `number`, `name`, `email`, `alias`, `publicid`, `systemid` (case-insensitive), else nullopt.
std::optional<import_key> parse_import_key(std::string_view text);
const char* to_string(import_key k);

struct import_options {
  id group_id = 0;
  /// On: rows are merged into the group. Off: the file is the group's membership, and the
  /// members not in it (that the importer can see) leave the group; the contacts are kept.
  bool merge = false;
  std::optional<import_key> key;  ///< nullopt: the company's contact key
  /// ISO 3166 region for numbers written nationally (`0412 …`); empty: only international
  /// numbers (with or without their `+`) are accepted.
  std::string country;
  std::size_t max_listed_errors = 100;
};

/// One bad row: its line in the file (the header is line 1), the column as the file names
/// it ("" for the row as a whole), and why.
struct import_issue {
  std::uint64_t line = 0;
  std::string column;
  std::string reason;
  bool operator==(const import_issue&) const = default;
};

/// The file was refused; nothing changed.
class import_refused : public store_error {
 public:
  import_refused(std::vector<import_issue> issues, std::int64_t count);
  [[nodiscard]] const std::vector<import_issue>& issues() const { return issues_; }
  /// Every bad row found, listed or not.
  [[nodiscard]] std::int64_t count() const { return count_; }

 private:
  std::vector<import_issue> issues_;
  std::int64_t count_;
};

/// What an accepted import did.
struct import_result {
  std::int64_t rows = 0;                ///< data rows read
  std::int64_t created = 0;             ///< new contacts
  std::int64_t updated = 0;             ///< existing contacts whose fields changed
  std::int64_t unchanged = 0;           ///< rows that changed no field (members may be added)
  std::int64_t added_to_groups = 0;     ///< memberships added, in the group and in `Group`
  std::int64_t removed_from_group = 0;  ///< members that left the group (merge off)
};

/// Called now and then with the number of rows read so far.
using import_progress = std::function<void(std::int64_t rows)>;

/// Imports `file` into `o.group_id` as `actor_user`, who needs Editor on the group's domain.
/// Columns (header names case- and space-insensitive): `number`, `name`, `alias`, `email`,
/// `public id`, `system id`, `group` (pipe-delimited names of groups the importer can edit),
/// `type` (`contact`, `user` or `group`; the export's), `group public ids` (the export's,
/// ignored), and the properties enabled on the group's domain. New contacts go into the
/// group's domain. Throws import_refused for bad rows, validation_error for a bad header or
/// options, not_found/access_denied for the group.
import_result import_contacts(pqxx::transaction_base& t, id actor_user, const import_options& o,
                              csv_reader& file, const import_progress& progress = {});

}  // namespace smsgw::store
