#include "admin/router.hpp"

#include <algorithm>

namespace smsgw::admin {
namespace {

bool is_param(std::string_view s) {
  return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

}  // namespace

std::size_t router::add(std::string method, std::string_view pattern) {
  entry e{std::move(method), std::string(pattern), {}};
  std::size_t start = 1;  // after the leading '/'
  while (start <= pattern.size()) {
    const auto end = std::min(pattern.find('/', start), pattern.size());
    e.segments.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  routes_.push_back(std::move(e));
  return routes_.size() - 1;
}

bool router::fits(const entry& e, const std::vector<std::string>& segments, path_params* out) {
  if (e.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_param(e.segments[i])) {
      if (segments[i].empty()) return false;
      if (out) out->emplace_back(e.segments[i].substr(1, e.segments[i].size() - 2), segments[i]);
    } else if (e.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

std::variant<route_match, method_mismatch, no_route> router::match(
    std::string_view method, const std::vector<std::string>& segments) const {
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  method_mismatch mismatch;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& e = routes_[i];
    if (!fits(e, segments, nullptr)) continue;
    if (e.method == wanted) {
      route_match m{i, {}};
      fits(e, segments, &m.params);
      return m;
    }
    if (std::find(mismatch.allowed.begin(), mismatch.allowed.end(), e.method) ==
        mismatch.allowed.end()) {
      mismatch.allowed.push_back(e.method);
    }
  }
  if (mismatch.allowed.empty()) return no_route{};
  return mismatch;
}

}  // namespace smsgw::admin
