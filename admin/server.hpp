// The admin HTTP port's transport: accepts connections, reads requests with deadlines and
// a body limit, and hands each to a handler that never sees a socket.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

namespace smsgw::admin {

/// A request as the handler sees it.
struct http_request {
  std::string method;
  std::string target;
  std::string body;
};

/// The handler's answer.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using http_handler = std::function<http_response(const http_request&)>;

/// An HTTP/1.1 server on one address. Created and used on one executor.
class server {
 public:
  server(const boost::asio::any_io_executor& ex, http_handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Listens on host:port (port 0 picks a free one) and starts accepting; throws on bind failure.
  void start(const std::string& host, std::uint16_t port);
  /// The bound port.
  [[nodiscard]] std::uint16_t port() const;
  /// Stops accepting; open connections end after their current request.
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace smsgw::admin
