#include "tests/support/http_client.hpp"

#include <sodium.h>

#include <optional>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace smsgw::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

std::string base64(const std::string& in) {
  std::string out(sodium_base64_encoded_len(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the NUL
  return out;
}

}  // namespace

struct http_client::impl {
  impl(std::uint16_t p, const std::string& ca_file) : port(p) {
    if (ca_file.empty()) return;
    tls.emplace(net::ssl::context::tls_client);
    tls->load_verify_file(ca_file);
    tls->set_verify_mode(net::ssl::verify_peer);
  }

  void connect() {
    const tcp::endpoint to(net::ip::make_address("127.0.0.1"), port);
    buffer.clear();
    if (!tls) {
      plain.emplace(io);
      plain->connect(to);
      return;
    }
    secure.emplace(io, *tls);
    beast::get_lowest_layer(*secure).connect(to);
    beast::get_lowest_layer(*secure).expires_after(std::chrono::seconds(30));
    // SNI; SSL_set_tlsext_host_name() is a macro with a C cast.
    static char host[] = "localhost";
    if (SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 host) == 0) {
      throw std::runtime_error("SNI refused");
    }
    secure->set_verify_callback(net::ssl::host_name_verification("localhost"));
    secure->handshake(net::ssl::stream_base::client);
  }

  // One request and its answer on whichever stream is connected.
  template <class Request, class Parser>
  void exchange(const Request& req, Parser& parser) {
    const auto on = [&](auto& stream) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
      http::write(stream, req);
      http::read(stream, buffer, parser);
    };
    if (secure) {
      on(*secure);
    } else {
      on(*plain);
    }
  }

  std::uint16_t port;
  net::io_context io;
  std::optional<net::ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;
};

http_client::http_client(std::uint16_t port, const std::string& ca_file)
    : impl_(std::make_unique<impl>(port, ca_file)) {}
http_client::~http_client() = default;

void http_client::basic(const std::string& username, const std::string& password) {
  authorization_ = "Basic " + base64(username + ":" + password);
}

void http_client::bearer(const std::string& token) {
  authorization_ = "Bearer " + token;
}

http_result http_client::request(const std::string& method, const std::string& target,
                                 const std::string& body, const std::string& content_type) {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->connected) {
        impl_->connect();
        impl_->connected = true;
      }
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));  // as browsers do
      if (!authorization_.empty()) req.set(http::field::authorization, authorization_);
      for (const auto& [name, value] : headers_) req.set(name, value);
      if (!body.empty()) req.set(http::field::content_type, content_type);
      req.body() = body;
      req.prepare_payload();
      req.keep_alive(true);
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      if (method == "HEAD") parser.skip(true);
      impl_->exchange(req, parser);
      auto& res = parser.get();
      http_result out;
      out.status = static_cast<int>(res.result_int());
      for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out.headers[name] = std::string(f.value());
      }
      out.body = std::move(res.body());
      if (!res.keep_alive()) impl_->connected = false;
      return out;
    } catch (const boost::system::system_error&) {
      // The server closed a kept-alive connection between requests: once more, anew.
      impl_->connected = false;
      if (attempt > 0) throw;
    }
  }
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds wait) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.expires_after(wait);
  net::write(stream, net::buffer(bytes));
  std::string out;
  boost::system::error_code ec;
  for (;;) {
    char chunk[4096];
    const auto n = stream.read_some(net::buffer(chunk), ec);
    out.append(chunk, n);
    if (ec) break;
  }
  return out;
}

double metric(std::uint16_t admin_port, const std::string& series) {
  http_client c(admin_port);
  const auto body = c.get("/metrics").body;
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

}  // namespace smsgw::testing
