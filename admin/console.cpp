#include "admin/console.hpp"

#include <string>

namespace smsgw::admin {
namespace {

// Whether the client takes gzip: `Accept-Encoding` names it (or `*`) without `q=0`.
bool takes_gzip(const http_request& r) {
  const auto accept = r.header("accept-encoding");
  if (!accept) return false;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    const auto end = rest.find(',');
    auto item = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    std::string coding;
    std::string params;
    const auto semi = item.find(';');
    for (const char c : item.substr(0, semi)) {
      if (c != ' ' && c != '\t') coding += static_cast<char>(c | 0x20);
    }
    if (coding != "gzip" && coding != "*") continue;
    if (semi != std::string_view::npos) {
      for (const char c : item.substr(semi + 1)) {
        if (c != ' ' && c != '\t') params += c;
      }
    }
    return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000";
  }
  return false;
}

http_response redirect(std::string location) {
  http_response res{302, "text/plain; charset=utf-8", "see " + location, {}, {}};
  res.headers.emplace_back("Location", std::move(location));
  return res;
}

}  // namespace

std::optional<http_response> serve_console(const http_request& r, std::string_view path) {
  if (path != "/" && path != "/console" && path.substr(0, 9) != "/console/") return std::nullopt;
  if (r.method != "GET" && r.method != "HEAD") {
    http_response res{405,
                      "application/json",
                      R"({"error":{"code":"method_not_allowed","message":")" + r.method +
                          R"( is not allowed here","details":[]}})",
                      {{"Allow", "GET, HEAD"}},
                      {}};
    return res;
  }
  if (path == "/" || path == "/console") return redirect("/console/");
  const std::string_view name = path == "/console/" ? "/console/index.html" : path;
  for (const auto& a : console_assets()) {
    if (a.path != name) continue;
    http_response res;
    res.content_type = std::string(a.type);
    // Always revalidated (the files change with the daemon, their names do not), and
    // answered 304 when unchanged: one round trip, no body.
    res.headers = {
        {"Cache-Control", "no-cache"}, {"ETag", std::string(a.etag)}, {"Vary", "Accept-Encoding"}};
    if (r.header("if-none-match") == a.etag) {
      res.status = 304;
      return res;
    }
    if (takes_gzip(r)) {
      res.body = std::string(a.gzip);
      res.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      res.body = std::string(a.raw);
    }
    return res;
  }
  return http_response{404,
                       "application/json",
                       R"({"error":{"code":"not_found","message":"no such page","details":[]}})",
                       {},
                       {}};
}

}  // namespace smsgw::admin
