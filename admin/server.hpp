// The admin HTTP(S) port's transport: accepts connections, reads requests with deadlines
// and size limits, and hands each to a handler that never sees a socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "admin/http.hpp"

namespace smsgw::admin {

/// Limits and TLS of the port.
struct server_options {
  std::size_t max_connections = 512;      ///< past it, new connections wait in the backlog
  std::chrono::seconds idle_timeout{60};  ///< keep-alive wait for a request's first byte
  std::chrono::seconds read_timeout{30};  ///< from a request's first byte to its last
  std::size_t header_limit = std::size_t{16} * 1024;  ///< request line and headers; past it 431
  std::size_t body_limit = std::size_t{1024} * 1024;  ///< past it 413
  /// Which requests are uploads: their body is spooled to a temporary file (`upload`), up to
  /// `upload_limit`, each piece within read_timeout of the last and the whole within
  /// `upload_timeout`.
  std::function<bool(std::string_view method, std::string_view target)> takes_upload;
  std::uint64_t upload_limit = std::uint64_t{1024} * 1024 * 1024;
  std::chrono::seconds upload_timeout{900};
  std::string upload_dir;                      ///< "" : $TMPDIR, else /tmp
  std::optional<std::string> tls_certificate;  ///< PEM chain file: HTTPS (TLS 1.2+)
  std::optional<std::string> tls_key;          ///< PEM private key file
};

/// An HTTP/1.1 server on one address. Created and used on one executor.
class server {
 public:
  /// Throws when the TLS files cannot be loaded.
  server(const boost::asio::any_io_executor& ex, http_handler handler, server_options options = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Listens on host:port (port 0 picks a free one) and starts accepting; throws on bind failure.
  void start(const std::string& host, std::uint16_t port);
  /// The bound port.
  [[nodiscard]] std::uint16_t port() const;
  /// Open connections now.
  [[nodiscard]] std::size_t connections() const;
  /// Stops accepting; open connections end after their current request.
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace smsgw::admin
