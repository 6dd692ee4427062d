// Which route a method and path name: patterns such as `/api/v1/contacts/{id}` matched
// segment by segment. Pure: it knows route numbers, not handlers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace smsgw::admin {

/// A route's captured path parameters, in pattern order (`{id}` → {"id", "42"}).
using path_params = std::vector<std::pair<std::string, std::string>>;

/// A matched route.
struct route_match {
  std::size_t route = 0;  ///< the number add() returned
  path_params params;
};

/// The path names routes, none for this method: the methods it has (for 405 and OPTIONS).
struct method_mismatch {
  std::vector<std::string> allowed;
};

/// No route has this path.
struct no_route {};

class router {
 public:
  /// Adds `method pattern` (segments literal or `{name}`); returns its number (0, 1, ...).
  std::size_t add(std::string method, std::string_view pattern);

  /// The route for `method` and decoded `segments`. A `HEAD` matches a `GET` route.
  [[nodiscard]] std::variant<route_match, method_mismatch, no_route> match(
      std::string_view method, const std::vector<std::string>& segments) const;

  /// The method and pattern of route `n`, as added.
  [[nodiscard]] const std::string& method(std::size_t n) const { return routes_[n].method; }
  [[nodiscard]] const std::string& pattern(std::size_t n) const { return routes_[n].pattern; }
  [[nodiscard]] std::size_t size() const { return routes_.size(); }

 private:
  struct entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
  };
  static bool fits(const entry& e, const std::vector<std::string>& segments, path_params* out);
  std::vector<entry> routes_;
};

}  // namespace smsgw::admin
