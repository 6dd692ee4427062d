// The only translation unit that includes Beast. One coroutine per connection reads a
// request, awaits the handler, writes the answer, and loops for keep-alive; requests on one
// connection are answered in the order they came (pipelining), because the next one is read
// only after the previous answer is written.
#include "admin/server.hpp"
#include "logging/component.hpp"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace smsgw::admin {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using net::ip::tcp;

// Bounds of the transport's own, beyond the options: a TLS handshake and the graceful close
// must not hold a connection slot for long.
constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto close_timeout = std::chrono::seconds(2);
constexpr auto write_timeout = std::chrono::seconds(30);
// The console's own files only: no inline script or style, no other origin, no framing.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

spdlog::logger& log() {
  static const auto logger = logging::component("admin");
  return *logger;
}

http_response error_answer(int status, const char* code, const char* message) {
  return {status,
          "application/json",
          std::string(R"({"error":{"code":")") + code + R"(","message":")" + message + "\"}}",
          {},
          {}};
}

// Out of descriptors or memory: the listener backs off and keeps serving the connections it
// has, instead of spinning or giving up.
bool resource_exhausted(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

std::string upload_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

// A file in `dir` that no other process can open and that disappears with its descriptor.
int open_upload_file(const std::string& configured) {
  const std::string dir = upload_dir(configured);
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR)) return fd;
  std::string name = dir + "/smsgwd-upload-XXXXXX";  // file systems without O_TMPFILE
  const int named = ::mkostemp(name.data(), O_CLOEXEC);
  if (named >= 0) ::unlink(name.c_str());
  return named;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Closes a descriptor unless released.
class file_guard {
 public:
  explicit file_guard(int fd) : fd_(fd) {}
  ~file_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_guard(const file_guard&) = delete;
  file_guard& operator=(const file_guard&) = delete;
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

spooled_body::~spooled_body() {
  ::close(fd_);
}

std::size_t spooled_body::read(std::uint64_t offset, char* out, std::size_t n) const {
  for (;;) {
    const ssize_t r = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (r >= 0) return static_cast<std::size_t>(r);
    if (errno != EINTR)
      throw std::runtime_error(std::string("reading an upload: ") + std::strerror(errno));
  }
}

struct server::impl : std::enable_shared_from_this<impl> {
  impl(const net::any_io_executor& ex, http_handler h, server_options o)
      : acceptor(ex), handler(std::move(h)), options(std::move(o)) {
    if (options.tls_certificate) {
      tls.emplace(ssl::context::tls_server);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
      tls->use_certificate_chain_file(*options.tls_certificate);
      tls->use_private_key_file(options.tls_key.value_or(*options.tls_certificate),
                                ssl::context::pem);
    }
  }

  net::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    net::steady_timer pause(acceptor.get_executor());
    bool warned = false;
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      if (active.load() >= options.max_connections) {
        // At the cap: leave new connections in the kernel's backlog until one closes.
        pause.expires_after(std::chrono::milliseconds(10));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      auto socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        if (!warned) log().warn("accept failed, backing off error=\"{}\"", ec.message());
        warned = resource_exhausted(ec);
        pause.expires_after(std::chrono::milliseconds(resource_exhausted(ec) ? 100 : 10));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      warned = false;
      socket.set_option(tcp::no_delay(true), ec);
      ++active;
      net::co_spawn(
          acceptor.get_executor(),
          [self, s = std::make_shared<beast::tcp_stream>(std::move(socket))] {
            return self->connection(s);
          },
          net::detached);
    }
  }

  net::awaitable<void> connection(std::shared_ptr<beast::tcp_stream> owner) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    const auto remote = owner->socket().remote_endpoint(ec);
    const std::string client = ec ? std::string("unknown") : remote.address().to_string();
    try {
      if (tls) {
        beast::ssl_stream<beast::tcp_stream&> stream(*owner, *tls);
        owner->expires_after(handshake_timeout);
        co_await stream.async_handshake(ssl::stream_base::server,
                                        net::redirect_error(net::use_awaitable, ec));
        if (!ec) {
          co_await serve(stream, *owner, client, true);
          owner->expires_after(close_timeout);
          co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
        }
      } else {
        co_await serve(*owner, *owner, client, false);
        owner->socket().shutdown(tcp::socket::shutdown_send, ec);
      }
    } catch (const std::exception& e) {
      log().error("connection failed client={} error=\"{}\"", client, e.what());
    }
    --active;
  }

  template <class Stream>
  net::awaitable<void> serve(Stream& stream, beast::tcp_stream& tcp, const std::string& client,
                             bool secure) {
    beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code ec;
      if (buffer.size() == 0) {
        // Idle between requests: the next one's first byte must come within idle_timeout.
        tcp.expires_after(options.idle_timeout);
        const auto n = co_await stream.async_read_some(buffer.prepare(4096),
                                                       net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;  // closed or idle too long
        buffer.commit(n);
      }
      // From the first byte, the whole request must arrive within read_timeout: a client
      // trickling one byte a minute is dropped.
      tcp.expires_after(options.read_timeout);
      http::request_parser<http::empty_body> header;
      header.header_limit(static_cast<std::uint32_t>(options.header_limit));
      // Beast checks Content-Length against the body limit while it reads the header; the
      // limit depends on the route (an upload's or a JSON body's), so it is checked below.
      header.body_limit(std::numeric_limits<std::uint64_t>::max());
      co_await http::async_read_header(stream, buffer, header,
                                       net::redirect_error(net::use_awaitable, ec));
      http_request request;
      bool keep = false;
      bool head = false;
      unsigned version = 11;
      if (!ec) {
        const auto& req = header.get();
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        request.headers.reserve(16);
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (auto& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          request.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        request.client = client;
        request.secure = secure;
        keep = req.keep_alive();
        head = req.method() == http::verb::head;
        version = req.version();
        const bool upload =
            options.takes_upload && options.takes_upload(request.method, request.target);
        const std::uint64_t limit = upload ? options.upload_limit : options.body_limit;
        if (header.content_length().value_or(0) > limit) {
          ec = http::error::body_limit;  // refused before the client sends it
        } else if (req[http::field::expect] == "100-continue") {
          http::response<http::empty_body> go_on{http::status::continue_, 11};
          co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
        }
        if (!ec && upload) {
          ec = co_await spool(stream, tcp, buffer, header, request);
        } else if (!ec) {
          http::request_parser<http::string_body> whole{std::move(header)};
          whole.body_limit(options.body_limit);
          if (!whole.is_done()) {
            co_await http::async_read(stream, buffer, whole,
                                      net::redirect_error(net::use_awaitable, ec));
          }
          request.body = std::move(whole.get().body());
        }
      }
      if (ec) {
        // Answer what a client can act on; a closed or timed-out peer gets nothing.
        if (ec == http::error::header_limit) {
          co_await write(stream, tcp,
                         error_answer(431, "headers_too_large", "request headers too large"), false,
                         false, secure);
        } else if (ec == http::error::body_limit) {
          co_await write(stream, tcp, error_answer(413, "too_large", "request body too large"),
                         false, false, secure);
        } else if (ec == boost::system::errc::no_space_on_device) {
          co_await write(stream, tcp,
                         error_answer(507, "insufficient_storage", "no room to store the upload"),
                         false, false, secure);
        } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message) {
          co_await write(stream, tcp, error_answer(400, "bad_request", "malformed HTTP request"),
                         false, false, secure);
        }
        co_return;
      }

      http_response answer;
      try {
        answer = co_await handler(request);
      } catch (const std::exception& e) {
        log().error("handler failed method={} path=\"{}\" error=\"{}\"", request.method,
                    request.target.substr(0, request.target.find('?')), e.what());
        answer = error_answer(500, "internal", "internal error");
      }
      if (answer.pieces) {
        if (!co_await write_pieces(stream, tcp, answer, keep, head, version, secure)) co_return;
      } else if (!co_await write(stream, tcp, std::move(answer), keep, head, secure) || !keep) {
        co_return;
      }
    }
  }

  // An upload's body, written to an unlinked temporary file as it arrives: each piece within
  // read_timeout of the last, the whole within upload_timeout. The file reaches the handler
  // as request.upload. Writing to the file is a page-cache copy on the network thread.
  template <class Stream>
  net::awaitable<boost::system::error_code> spool(Stream& stream, beast::tcp_stream& tcp,
                                                  beast::flat_buffer& buffer,
                                                  http::request_parser<http::empty_body>& header,
                                                  http_request& request) {
    http::request_parser<http::buffer_body> parser{std::move(header)};
    parser.body_limit(options.upload_limit);
    boost::system::error_code ec;
    const int fd = open_upload_file(options.upload_dir);
    if (fd < 0) {
      log().error("cannot create an upload file dir={} error=\"{}\"",
                  upload_dir(options.upload_dir), std::strerror(errno));
      co_return boost::system::errc::make_error_code(boost::system::errc::no_space_on_device);
    }
    auto file = std::make_unique<file_guard>(fd);
    std::vector<char> piece(std::size_t{64} * 1024);
    const auto deadline = std::chrono::steady_clock::now() + options.upload_timeout;
    std::uint64_t size = 0;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      const auto left = deadline - std::chrono::steady_clock::now();
      tcp.expires_after(std::min<std::chrono::steady_clock::duration>(options.read_timeout, left));
      co_await http::async_read_some(stream, buffer, parser,
                                     net::redirect_error(net::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return ec;
      const std::size_t n = piece.size() - parser.get().body().size;
      if (!write_all(fd, piece.data(), n)) {
        log().error("cannot write an upload file error=\"{}\"", std::strerror(errno));
        co_return boost::system::errc::make_error_code(boost::system::errc::no_space_on_device);
      }
      size += n;
    }
    request.upload = std::make_shared<spooled_body>(file->release(), size);
    co_return ec;
  }

  // Every answer of the port, the console's pages, the API's JSON and the transport's own
  // errors alike, carries the same protection: a strict Content-Security-Policy (the console
  // runs only its own scripts and styles, never inline ones, and no page frames it), no MIME
  // sniffing, no referrer to other sites; over TLS, HSTS.
  template <class Header>
  static void add_common_headers(Header& res, const http_response& answer, bool secure) {
    res.set(http::field::server, "smsgwd");
    res.set("Content-Security-Policy", content_security_policy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "same-origin");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    if (secure) res.set("Strict-Transport-Security", "max-age=31536000");
    // insert, not set: an answer may carry a header twice (Set-Cookie).
    for (const auto& [name, value] : answer.headers) res.insert(name, value);
  }

  // A body in pieces: chunked for HTTP/1.1, or up to the close for HTTP/1.0. Each piece is
  // asked for once the previous one is written, and must be written within write_timeout.
  // True when the connection may take the next request.
  template <class Stream>
  net::awaitable<bool> write_pieces(Stream& stream, beast::tcp_stream& tcp, http_response& answer,
                                    bool keep, bool head, unsigned version, bool secure) {
    const bool chunked = version >= 11;
    http::response<http::empty_body> res{static_cast<http::status>(answer.status), version};
    add_common_headers(res, answer, secure);
    res.set(http::field::content_type, answer.content_type);
    res.keep_alive(keep && chunked);
    if (chunked) res.chunked(true);
    tcp.expires_after(write_timeout);
    boost::system::error_code ec;
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return false;
    if (head) co_return keep&& chunked;
    for (;;) {
      std::optional<std::string> piece;
      try {
        piece = co_await answer.pieces();
      } catch (const std::exception& e) {
        log().error("streamed answer failed status={} error=\"{}\"", answer.status, e.what());
        co_return false;  // no last chunk: the client sees the answer cut short
      }
      if (!piece) break;
      if (piece->empty()) continue;
      tcp.expires_after(write_timeout);
      if (chunked) {
        co_await net::async_write(stream, http::make_chunk(net::buffer(*piece)),
                                  net::redirect_error(net::use_awaitable, ec));
      } else {
        co_await net::async_write(stream, net::buffer(*piece),
                                  net::redirect_error(net::use_awaitable, ec));
      }
      if (ec) co_return false;
    }
    if (!chunked) co_return false;
    tcp.expires_after(write_timeout);
    co_await net::async_write(stream, http::make_chunk_last(),
                              net::redirect_error(net::use_awaitable, ec));
    co_return !ec && keep;
  }

  template <class Stream>
  net::awaitable<bool> write(Stream& stream, beast::tcp_stream& tcp, http_response answer,
                             bool keep, bool head, bool secure) {
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    add_common_headers(res, answer, secure);
    res.keep_alive(keep);
    if (answer.status != 204 && answer.status != 304) {
      res.set(http::field::content_type, answer.content_type);
      res.content_length(answer.body.size());
      // HEAD: the length a GET would send, and no body.
      if (!head) res.body() = std::move(answer.body);
    }
    tcp.expires_after(write_timeout);
    boost::system::error_code ec;
    http::response_serializer<http::string_body> sr{res};
    co_await http::async_write(stream, sr, net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
  }

  tcp::acceptor acceptor;
  http_handler handler;
  server_options options;
  std::optional<ssl::context> tls;
  std::atomic<std::size_t> active{0};
};

server::server(const boost::asio::any_io_executor& ex, http_handler handler, server_options options)
    : impl_(std::make_shared<impl>(ex, std::move(handler), std::move(options))) {}

server::~server() {
  stop();
}

void server::start(const std::string& host, std::uint16_t port) {
  const tcp::endpoint ep(net::ip::make_address(host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  net::co_spawn(
      impl_->acceptor.get_executor(), [self = impl_] { return self->accept_loop(); },
      net::detached);
}

std::uint16_t server::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::size_t server::connections() const {
  return impl_->active.load();
}

void server::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace smsgw::admin
