// Requests and answers of the admin port as the handler layer sees them: plain values, no
// socket, no Beast. The transport (server.cpp) fills and writes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace smsgw::admin {

/// A request body the transport wrote to an unlinked temporary file as it arrived (an
/// upload: an import file), so that a body of any size holds no memory. Closed with the last
/// reference.
class spooled_body {
 public:
  spooled_body(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~spooled_body();
  spooled_body(const spooled_body&) = delete;
  spooled_body& operator=(const spooled_body&) = delete;
  [[nodiscard]] std::uint64_t size() const { return size_; }
  /// Up to `n` bytes from `offset` into `out`; how many (0 at the end). Throws on a read error.
  std::size_t read(std::uint64_t offset, char* out, std::size_t n) const;

 private:
  int fd_;
  std::uint64_t size_;
};

/// One HTTP request, read whole (its body within the server's limit), or with its body
/// spooled (`upload`) when the server was told the route takes uploads.
struct http_request {
  std::string method;                                        ///< as sent: `GET`, `POST`, ...
  std::string target;                                        ///< path and query, not decoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased, in order
  std::string body;
  std::shared_ptr<const spooled_body> upload;  ///< set instead of `body` for an upload
  std::string client;                          ///< the peer's address, for logs and login limits
  bool secure = false;                         ///< arrived over TLS

  /// The first header called `name` (lower case), or nullopt.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return std::nullopt;
  }

  /// The Content-Type's media type, lower case, without parameters or spaces ("" when none):
  /// `Multipart/Form-Data; boundary=x` → `multipart/form-data`.
  [[nodiscard]] std::string media_type() const {
    const auto type = header("content-type").value_or("");
    std::string out;
    for (const char c : type.substr(0, type.find(';'))) {
      if (c != ' ' && c != '\t') {
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
    }
    return out;
  }
};

/// A body made piece by piece (an export): each call gives the next piece, nullopt after the
/// last. The transport asks for a piece only once the previous one is written, so a body of
/// any length holds one piece in memory. A throw ends the connection: the answer's status is
/// already sent.
using body_pieces = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

/// The handler's answer. The transport adds Content-Length (or chunks `pieces`), Server and
/// Connection.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
  body_pieces pieces;  ///< when set, the body instead of `body`
};

/// Answers one request. The request outlives the returned coroutine (the transport awaits it).
using http_handler = std::function<boost::asio::awaitable<http_response>(const http_request&)>;

}  // namespace smsgw::admin
