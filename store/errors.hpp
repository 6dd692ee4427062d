// The typed failures of the contact store. Each is an exception: it aborts the caller's
// transaction, which is what every one of them needs. The admin API maps them to HTTP
// statuses (403, 404, 400/422, 409).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace smsgw::store {

/// Base of every failure below.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The user may see the object but lacks the access the change needs (Editor, admin).
class access_denied : public store_error {
 public:
  using store_error::store_error;
};

/// No such object in the user's company, or one the user may not see: the two are never
/// told apart, so an object's existence stays hidden.
class not_found : public store_error {
 public:
  using store_error::store_error;
};

/// One rejected field: its name as in the API (`name`, `number`, `tags.city`) and why.
struct field_issue {
  std::string field;
  std::string reason;
  bool operator==(const field_issue&) const = default;
};

/// Input that breaks a rule of the manual; lists every rejected field.
class validation_error : public store_error {
 public:
  /// `issues` must not be empty; the message is its first issue.
  explicit validation_error(std::vector<field_issue> issues);
  /// A single issue.
  validation_error(std::string field, std::string reason);
  [[nodiscard]] const std::vector<field_issue>& issues() const { return issues_; }

 private:
  std::vector<field_issue> issues_;
};

/// The change clashes with existing data: a duplicate key, a membership cycle, a domain
/// that is not empty, a member its group's type does not allow.
class conflict : public store_error {
 public:
  using store_error::store_error;
};

}  // namespace smsgw::store
