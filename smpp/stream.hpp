// A TCP connection that may run TLS: what the ESME session and the simulator read from and
// write to, whichever way the bind is configured.
#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace smsgw::smpp {

namespace net = boost::asio;

/// The socket, and over it the TLS stream once `start_tls` made one.
struct stream {
  explicit stream(net::ip::tcp::socket s) : socket(std::move(s)) {}

  /// Wraps the socket in TLS with `ctx` (the handshake is the caller's).
  net::ssl::stream<net::ip::tcp::socket&>& start_tls(net::ssl::context& ctx) {
    tls = std::make_unique<net::ssl::stream<net::ip::tcp::socket&>>(socket, ctx);
    return *tls;
  }
  /// Reads what is available.
  net::awaitable<std::size_t> read_some(net::mutable_buffer b, boost::system::error_code& ec) {
    if (tls)
      co_return co_await tls->async_read_some(b, net::redirect_error(net::use_awaitable, ec));
    co_return co_await socket.async_read_some(b, net::redirect_error(net::use_awaitable, ec));
  }
  /// Writes all of `b`.
  net::awaitable<void> write(net::const_buffer b, boost::system::error_code& ec) {
    if (tls) {
      co_await net::async_write(*tls, b, net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(socket, b, net::redirect_error(net::use_awaitable, ec));
    }
  }

  net::ip::tcp::socket socket;
  std::unique_ptr<net::ssl::stream<net::ip::tcp::socket&>> tls;
};

}  // namespace smsgw::smpp
