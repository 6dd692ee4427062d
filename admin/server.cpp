// The only translation unit that includes Beast.
#include "admin/server.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace smsgw::admin {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

constexpr auto read_deadline = std::chrono::seconds(30);
constexpr std::uint64_t body_limit =
    std::uint64_t{64} * 1024 * 1024;  // a million-row CSV import fits

spdlog::logger& log() {
  static const auto logger = [] {
    auto l = spdlog::default_logger()->clone("admin");
    spdlog::register_logger(l);
    return l;
  }();
  return *logger;
}

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
  impl(const net::any_io_executor& ex, http_handler h) : acceptor(ex), handler(std::move(h)) {}

  net::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      net::co_spawn(
          acceptor.get_executor(),
          [self, s = std::make_shared<beast::tcp_stream>(std::move(socket))] {
            return self->session(s);
          },
          net::detached);
    }
  }

  net::awaitable<void> session(std::shared_ptr<beast::tcp_stream> owner) {
    auto self = shared_from_this();
    auto& stream = *owner;
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(body_limit);
      stream.expires_after(read_deadline);
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec == http::error::body_limit) {
        auto res =
            make_response({413, "application/json",
                           R"({"error":{"code":"too_large","message":"request body too large"}})"},
                          false);
        co_await write(stream, res);
        break;
      }
      if (ec) break;  // closed, timed out, or not HTTP: nothing useful to answer
      auto& req = parser.get();
      http_response answer;
      try {
        answer = handler(http_request{std::string(req.method_string()), std::string(req.target()),
                                      std::move(req.body())});
      } catch (const std::exception& e) {
        log().error("handler failed target={} error=\"{}\"", std::string(req.target()), e.what());
        answer = {500, "application/json",
                  R"({"error":{"code":"internal","message":"internal error"}})"};
      }
      const bool keep = req.keep_alive();
      auto res = make_response(std::move(answer), keep);
      if (!co_await write(stream, res) || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  static http::response<http::string_body> make_response(http_response answer, bool keep) {
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    res.set(http::field::server, "smsgwd");
    res.set(http::field::content_type, answer.content_type);
    res.keep_alive(keep);
    res.body() = std::move(answer.body);
    res.prepare_payload();
    return res;
  }

  static net::awaitable<bool> write(beast::tcp_stream& stream,
                                    http::response<http::string_body>& res) {
    stream.expires_after(read_deadline);
    boost::system::error_code ec;
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
  }

  tcp::acceptor acceptor;
  http_handler handler;
};

server::server(const boost::asio::any_io_executor& ex, http_handler handler)
    : impl_(std::make_shared<impl>(ex, std::move(handler))) {}

server::~server() {
  stop();
}

void server::start(const std::string& host, std::uint16_t port) {
  const tcp::endpoint ep(net::ip::make_address(host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  net::co_spawn(
      impl_->acceptor.get_executor(), [self = impl_] { return self->accept_loop(); },
      net::detached);
}

std::uint16_t server::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void server::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace smsgw::admin
