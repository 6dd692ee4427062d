// A group's members as the manual's export file (manual: "Exporting Contacts"): its columns in
// its order, the domain's optional columns after them, one page of members at a time so that
// a group of any size exports with flat memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "store/groups.hpp"
#include "store/id.hpp"

namespace smsgw::store {

/// Which columns an export has: `Type`, `Name`, `Number`, `Alias`, `Public Id` (with public
/// ids), `Group`, `Group Public Ids` (with public ids), then `Email` when the group's domain
/// shows that column, then each property (custom field) the domain enables, by its name.
struct export_layout {
  id group_id = 0;
  bool public_ids = false;
  bool email = false;
  std::vector<std::string> properties;
  [[nodiscard]] std::vector<std::string> header() const;
};

/// The layout of `group`'s export as `reader` sees it; not_found when the group is not visible.
export_layout plan_export(pqxx::transaction_base& t, id reader, id group_id, bool public_ids);

/// One page of the export: each direct member the reader can view (groups, users, contacts;
/// by type, then id) as the layout's fields. A member's `Group` lists the groups it is in that
/// the reader can view, by name, pipe-delimited, with their public ids in the same order.
struct export_page {
  std::vector<std::vector<std::string>> rows;
  std::optional<member_cursor> next;  ///< nullopt: the last page
};
export_page export_members(pqxx::transaction_base& t, id reader, const export_layout& layout,
                           std::optional<member_cursor> from, int limit);

}  // namespace smsgw::store
