// The company stop list as users change it (the inbound path changes it by SMS, with its
// own consent trail). Every change is audited.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/id.hpp"

namespace smsgw::store {

/// One number on the stop list.
struct suppression {
  std::string number;
  std::string source;  ///< `sms`, `api` or `import`
  std::optional<id> created_by;
  bool operator==(const suppression&) const = default;
};

/// Puts `number` (read with `default_region`) on the actor's company stop list; any user may.
/// False when it was there already. validation_error for a number that is not valid.
bool add_suppression(pqxx::transaction_base& t, id actor_user, std::string_view number,
                     std::string_view default_region);

/// Lifts the suppression of `number`, stored with or without the +. Company and group admins
/// only (access_denied otherwise): the number's owner asked not to be messaged. False when
/// it was not suppressed.
bool remove_suppression(pqxx::transaction_base& t, id actor_user, std::string_view number,
                        std::string_view default_region);

/// One page of the stop list, by number, after `after` ("" from the start).
std::vector<suppression> list_suppressions(pqxx::transaction_base& t, id actor_user,
                                           const std::string& after, int limit);

}  // namespace smsgw::store
