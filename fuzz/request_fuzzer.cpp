// The admin port's request handling before any store work: the target (path segments and
// query, percent-decoding by uriparser), routing over the API's patterns, and the
// Authorization header. Input: the target, a newline, then the header value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "admin/authorization.hpp"
#include "admin/router.hpp"
#include "admin/target.hpp"
#include "fuzz/check.hpp"

namespace {

const smsgw::admin::router& routes() {
  static const smsgw::admin::router r = [] {
    smsgw::admin::router out;
    for (const char* p :
         {"/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/groups/{id}/members",
          "/api/v1/groups/{id}/members/{type}/{member}", "/api/v1/domains/{id}/accesses/{grantee}",
          "/api/v1/suppressions/{number}"}) {
      out.add("GET", p);
      out.add("DELETE", p);
    }
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const auto target_text = input.substr(0, newline);
  const auto header =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (const auto t = smsgw::admin::parse_target(target_text)) {
    smsgw::fuzz::check(t->segments.size() <= 64, "t->segments.size() <= 64");
    smsgw::fuzz::check(t->query.size() <= 256, "t->query.size() <= 256");
    for (const auto& s : t->segments)
      smsgw::fuzz::check(s.find('\0') == std::string::npos, "s.find('NUL') == std::string::npos");
    const auto m = routes().match("GET", t->segments);
    if (const auto* hit = std::get_if<smsgw::admin::route_match>(&m)) {
      for (const auto& p : hit->params) smsgw::fuzz::check(!p.second.empty(), "empty parameter");
    }
  }
  if (const auto b = smsgw::admin::parse_basic(header)) {
    smsgw::fuzz::check(b->username.find(':') == std::string::npos,
                       "b->username.find(':') == std::string::npos");
    smsgw::fuzz::check(b->username.size() + b->password.size() < header.size(),
                       "b->username.size() + b->password.size() < header.size()");
  }
  if (const auto token = smsgw::admin::parse_bearer(header))
    smsgw::fuzz::check(!token->empty(), "!token->empty()");
  if (const auto cookie = smsgw::admin::parse_cookie(header, "smsgw_session")) {
    smsgw::fuzz::check(cookie->size() < header.size(), "cookie->size() < header.size()");
    smsgw::fuzz::check(cookie->find(';') == std::string::npos, "a cookie value holds a ';'");
  }
  return 0;
}
