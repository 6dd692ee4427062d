#include "admin/target.hpp"

#include <memory>

#include <uriparser/Uri.h>

namespace smsgw::admin {
namespace {

constexpr std::size_t max_segments = 64;
constexpr std::size_t max_params = 256;

std::string decode_segment(const UriTextRangeA& r) {
  std::string s(r.first, r.afterLast);
  if (s.empty()) return s;
  // Path segments: %XX only; a + is a plus (numbers such as +61412... appear in paths).
  const char* end = uriUnescapeInPlaceExA(s.data(), URI_FALSE, URI_BR_DONT_TOUCH);
  s.resize(static_cast<std::size_t>(end - s.data()));
  return s;
}

tl::unexpected<std::string> refuse(std::string why) {
  return tl::unexpected<std::string>(std::move(why));
}

}  // namespace

std::optional<std::string> target::param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

tl::expected<target, std::string> parse_target(std::string_view text) {
  if (text.empty() || text.front() != '/') return refuse("the target must start with /");
  if (text.find("%00") != std::string_view::npos) {
    return refuse("the target holds an encoded NUL byte");
  }
  // uriparser reads "//x" as an authority: an origin-form target never has one.
  if (text.size() > 1 && text[1] == '/') return refuse("the target starts with //");
  UriUriA uri;
  const char* error_pos = nullptr;
  if (uriParseSingleUriExA(&uri, text.data(), text.data() + text.size(), &error_pos) !=
      URI_SUCCESS) {
    return refuse("malformed target at position " +
                  std::to_string(error_pos ? error_pos - text.data() : 0));
  }
  const std::unique_ptr<UriUriA, void (*)(UriUriA*)> guard(&uri, uriFreeUriMembersA);
  target t;
  for (auto* seg = uri.pathHead; seg != nullptr; seg = seg->next) {
    if (t.segments.size() == max_segments) return refuse("too many path segments");
    t.segments.push_back(decode_segment(seg->text));
  }
  if (uri.query.first != nullptr && uri.query.first != uri.query.afterLast) {
    UriQueryListA* list = nullptr;
    int count = 0;
    if (uriDissectQueryMallocA(&list, &count, uri.query.first, uri.query.afterLast) !=
        URI_SUCCESS) {
      return refuse("malformed query string");
    }
    const std::unique_ptr<UriQueryListA, void (*)(UriQueryListA*)> free_list(list,
                                                                             uriFreeQueryListA);
    if (static_cast<std::size_t>(count) > max_params) {
      return refuse("too many query parameters");
    }
    for (auto* q = list; q != nullptr; q = q->next) {
      t.query.emplace_back(q->key ? q->key : "", q->value ? q->value : "");
    }
  }
  return t;
}

}  // namespace smsgw::admin
