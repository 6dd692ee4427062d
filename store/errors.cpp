#include "store/errors.hpp"

#include <utility>

namespace smsgw::store {

validation_error::validation_error(std::vector<field_issue> issues)
    : store_error(issues.empty() ? std::string("invalid input")
                                 : issues.front().field + ": " + issues.front().reason),
      issues_(std::move(issues)) {}

validation_error::validation_error(std::string field, std::string reason)
    : validation_error(std::vector<field_issue>{{std::move(field), std::move(reason)}}) {}

}  // namespace smsgw::store
