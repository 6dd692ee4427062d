#include "tools/smsc_sim/smsc.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <list>
#include <optional>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "smpp/codec.hpp"
#include "smpp/concat.hpp"
#include "smpp/connection.hpp"
#include "smpp/text.hpp"
#include "logging/component.hpp"

namespace smsgw::sim {
namespace {

using net::ip::tcp;
using clock = std::chrono::steady_clock;

spdlog::logger& log() {
  static const auto logger = logging::component("smsc-sim");
  return *logger;
}

net::awaitable<void> wait(net::steady_timer& t) {
  boost::system::error_code ec;
  co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
}

// The receipt an SMSC sends for a delivered message: SMPP 3.4 Appendix B text plus the
// receipted_message_id and message_state TLVs.
smpp::sm_body receipt_for(const received_submit& r) {
  smpp::sm_body b;
  b.source = {1, 1, r.destination};
  b.destination = {0, 0, r.source};
  b.esm_class = 0x04;
  b.short_message = "id:" + r.message_id + " sub:001 dlvrd:001 submit date:2611271200 " +
                    "done date:2611271200 stat:DELIVRD err:000 text:" + r.text.substr(0, 20);
  if (b.short_message.size() > 253) b.short_message.resize(253);
  b.tlvs.push_back({smpp::tag::receipted_message_id, r.message_id + std::string(1, '\0')});
  b.tlvs.push_back({smpp::tag::message_state, std::string(1, '\x02')});
  return b;
}

}  // namespace

struct smsc::client {
  client(tcp::socket s, std::chrono::milliseconds write_timeout)
      : conn(std::make_shared<smpp::connection>(std::move(s), write_timeout, "smsc-sim")) {}
  void close() { conn->close(); }
  [[nodiscard]] bool closed() const { return conn->closed(); }
  void send(const smpp::pdu& p) { conn->send(p); }
  void send_bytes(std::vector<std::uint8_t> bytes) { conn->send_bytes(std::move(bytes)); }
  struct waiter {
    explicit waiter(const net::any_io_executor& ex) : timer(ex) {}
    net::steady_timer timer;
    std::optional<smpp::pdu> response;
  };
  std::shared_ptr<smpp::connection> conn;
  std::unordered_map<std::uint32_t, std::shared_ptr<waiter>> waiting;
  std::string system_id;
  std::uint32_t bind_id = 0;
  std::uint32_t pdus_received = 0;
  bool bound = false;
  std::uint32_t sequence = 0;
};

struct smsc::impl {
  explicit impl(const net::any_io_executor& ex) : acceptor(ex) {}
  tcp::acceptor acceptor;
  std::list<std::shared_ptr<client>> clients;
};

smsc::smsc(net::any_io_executor ex, smsc_options options)
    : executor_(std::move(ex)),
      options_(std::move(options)),
      impl_(std::make_unique<impl>(executor_)) {
  if (!options_.tls_certificate.empty() && !options_.tls_key.empty()) {
    auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    ctx->use_certificate_chain_file(options_.tls_certificate);
    ctx->use_private_key_file(options_.tls_key, net::ssl::context::pem);
    tls_context_ = ctx;
  }
}

smsc::~smsc() = default;

void smsc::start() {
  const tcp::endpoint ep(net::ip::make_address(options_.host), options_.port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(
      executor_, [self = shared_from_this()] { return self->accept_loop(); }, net::detached);
}

void smsc::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  drop_clients();
}

void smsc::drop_clients() {
  for (auto& c : impl_->clients) c->close();
}

void smsc::on_deliver_resp(std::function<void(const deliver_result&)> callback) {
  on_deliver_resp_ = std::move(callback);
}

void smsc::on_submit(std::function<void(const received_submit&)> callback) {
  on_submit_ = std::move(callback);
}

std::vector<received_submit> smsc::submits() const {
  const std::lock_guard lock(mutex_);
  return submits_;
}

std::size_t smsc::bound_clients() const {
  const std::lock_guard lock(mutex_);
  return bound_;
}

std::size_t smsc::binds_accepted() const {
  const std::lock_guard lock(mutex_);
  return binds_accepted_;
}

std::size_t smsc::binds_refused() const {
  const std::lock_guard lock(mutex_);
  return binds_refused_;
}

std::size_t smsc::submits_refused() const {
  const std::lock_guard lock(mutex_);
  return submits_refused_;
}

net::awaitable<void> smsc::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    boost::system::error_code ec;
    tcp::socket s =
        co_await impl_->acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    s.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<client>(std::move(s), options_.response_timeout);
    impl_->clients.push_back(c);
    net::co_spawn(
        executor_, [self, c] { return self->serve(c); }, net::detached);
  }
}

net::awaitable<void> smsc::serve(std::shared_ptr<client> c) {
  auto self = shared_from_this();
  if (tls_context_) {
    auto& tls = c->conn->io().start_tls(*std::static_pointer_cast<net::ssl::context>(tls_context_));
    boost::system::error_code ec;
    co_await tls.async_handshake(net::ssl::stream_base::server,
                                 net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      log().warn("tls handshake failed error=\"{}\"", ec.message());
      c->close();
      impl_->clients.remove(c);
      co_return;
    }
  }
  smpp::connection::start(c->conn);
  while (!c->closed()) {
    auto in = co_await c->conn->read();
    if (in.what == smpp::inbound::kind::closed) break;
    ++c->pdus_received;
    if (frozen_) continue;  // a dead peer: reads everything, answers nothing
    if (in.what == smpp::inbound::kind::pdu) {
      handle(c, std::move(in.message));
    } else if (!smpp::is_response(in.error.hdr.command_id)) {
      c->send(smpp::error_response(in.error));
    }
    if (options_.drop_after_pdus != 0 && c->pdus_received >= options_.drop_after_pdus) {
      log().info("dropping connection after pdus={}", c->pdus_received);
      break;
    }
  }
  if (c->bound) {
    const std::lock_guard lock(mutex_);
    --bound_;
  }
  c->bound = false;
  c->close();
  for (auto& [seq, w] : c->waiting) w->timer.cancel();
  impl_->clients.remove(c);
  log().info("client gone system_id={}", c->system_id);
}

void smsc::handle(const std::shared_ptr<client>& c, smpp::pdu p) {
  using namespace smpp;
  if (is_response(p.command_id)) {
    if (auto it = c->waiting.find(p.sequence); it != c->waiting.end()) {
      it->second->response = std::move(p);
      it->second->timer.cancel();
      c->waiting.erase(it);
    }
    return;
  }
  switch (p.command_id) {
    case command::bind_transceiver:
    case command::bind_receiver:
    case command::bind_transmitter: {
      const auto& b = std::get<bind_body>(p.body);
      std::uint32_t st = status::ok;
      if (c->bound) {
        st = status::already_bound;
      } else if (options_.refuse_binds != 0) {
        st = options_.refuse_binds;
      } else if (!options_.system_id.empty() && b.system_id != options_.system_id) {
        st = status::invalid_system_id;
      } else if (!options_.system_id.empty() && b.password != options_.password) {
        st = status::invalid_password;
      }
      c->send(make_response(p, st, bind_resp_body{"smsc-sim", {}}));
      const std::lock_guard lock(mutex_);
      if (st == status::ok) {
        c->bound = true;
        c->bind_id = p.command_id;
        c->system_id = b.system_id;
        ++bound_;
        ++binds_accepted_;
      } else {
        ++binds_refused_;
      }
      log().info("bind command={} system_id={} status={}", command_name(p.command_id), b.system_id,
                 status_name(st));
      return;
    }
    case command::enquire_link: c->send(make_response(p, status::ok)); return;
    case command::unbind: {
      // An unbound client gets no more deliver_sm, as SMPP 3.4 §4.2 has it.
      c->send(make_response(p, status::ok));
      log().info("unbind system_id={}", c->system_id);
      const std::lock_guard lock(mutex_);
      if (c->bound) --bound_;
      c->bound = false;
      return;
    }
    case command::submit_sm:
      if (!c->bound || c->bind_id == command::bind_receiver) {
        c->send(make_response(p, status::invalid_bind_status));
        return;
      }
      net::co_spawn(
          executor_,
          [self = shared_from_this(), c, p = std::move(p)]() mutable {
            return self->answer_submit(c, std::move(p));
          },
          net::detached);
      return;
    default: c->send(make_response(p, status::invalid_command_id)); return;
  }
}

net::awaitable<void> smsc::answer_submit(std::shared_ptr<client> c, smpp::pdu p) {
  auto self = shared_from_this();
  if (options_.response_delay.count() > 0) {
    net::steady_timer t(executor_, options_.response_delay);
    co_await wait(t);
  }
  const auto& b = std::get<smpp::sm_body>(p.body);
  const std::uint32_t seen = submits_seen_++;
  std::uint32_t answer = 0;
  if (seen < options_.submit_script.size()) {
    answer = options_.submit_script[seen];
  } else if (options_.submit_status_count == 0 || seen < options_.submit_status_count) {
    answer = options_.submit_status;
  }
  if (answer != 0 && answer != garbled_response) {
    c->send(smpp::make_response(p, answer));
    const std::lock_guard lock(mutex_);
    ++submits_refused_;
    co_return;
  }
  received_submit r;
  r.source = b.source.value;
  r.destination = b.destination.value;
  r.data_coding = b.data_coding;
  r.esm_class = b.esm_class;
  r.short_message = b.short_message;
  const auto octets = smpp::read_octets(b);
  r.text = smpp::decode_text(b.data_coding, octets.value ? octets.value->octets : b.short_message);
  std::array<char, 17> id{};
  std::snprintf(id.data(), id.size(), "%llx", static_cast<unsigned long long>(next_message_id_++));
  r.message_id = id.data();
  r.at = clock::now();
  if (answer == garbled_response) {
    // submit_sm_resp, ESME_ROK, the id's bytes and no NUL after them.
    std::vector<std::uint8_t> bytes(smpp::header_size + r.message_id.size());
    std::copy(r.message_id.begin(), r.message_id.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(smpp::header_size));
    const std::array<std::uint32_t, 4> fields{static_cast<std::uint32_t>(bytes.size()),
                                              smpp::command::submit_sm_resp, 0, p.sequence};
    for (std::size_t i = 0; i < fields.size(); ++i) {
      for (std::size_t k = 0; k < 4; ++k) {
        bytes[i * 4 + k] = static_cast<std::uint8_t>(fields[i] >> (8 * (3 - k)));
      }
    }
    c->send_bytes(std::move(bytes));
  } else {
    c->send(smpp::make_response(p, smpp::status::ok, smpp::sm_resp_body{r.message_id}));
  }
  if (on_submit_) on_submit_(r);
  if (options_.receipts) {
    net::co_spawn(
        executor_,
        [self, body = receipt_for(r)]() -> net::awaitable<void> {
          co_await self->deliver_pdu(body);
        },
        net::detached);
  }
  const std::lock_guard lock(mutex_);
  submits_.push_back(std::move(r));
}

std::shared_ptr<smsc::client> smsc::receiving_client() const {
  for (const auto& c : impl_->clients) {
    if (c->bound && !c->closed() && c->bind_id != smpp::command::bind_transmitter) return c;
  }
  return nullptr;
}

net::awaitable<deliver_result> smsc::deliver(const std::string& source,
                                             const std::string& destination,
                                             const std::string& text) {
  auto self = shared_from_this();
  const auto encoded = smpp::encode_text(text);
  const auto parts = smpp::split(encoded, {false, next_reference_++});
  deliver_result last;
  for (const auto& part : parts) {
    smpp::sm_body body;
    body.source = {1, 1, source};
    body.destination = {0, 0, destination};
    body.data_coding = encoded.data_coding;
    body.esm_class = part.udhi ? smpp::esm_udhi : 0;
    body.short_message = part.short_message;
    last = co_await deliver_pdu(body);
    if (!last.answered || last.status != smpp::status::ok) break;
  }
  co_return last;
}

net::awaitable<deliver_result> smsc::deliver_pdu(const smpp::sm_body& body) {
  auto self = shared_from_this();
  const auto target = receiving_client();
  if (!target) co_return deliver_result{};
  target->sequence = target->sequence >= 0x7FFFFFFF ? 1 : target->sequence + 1;
  const auto seq = target->sequence;
  auto w = std::make_shared<client::waiter>(executor_);
  w->timer.expires_after(options_.response_timeout);
  target->waiting.emplace(seq, w);
  const auto started = clock::now();
  const smpp::pdu request{smpp::command::deliver_sm, smpp::status::ok, seq, body};
  target->send(request);
  co_await wait(w->timer);
  target->waiting.erase(seq);
  deliver_result r;
  r.sent = true;
  r.answered = w->response.has_value();
  r.status = r.answered ? w->response->status : 0;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
  if (on_deliver_resp_) on_deliver_resp_(r);
  co_return r;
}

}  // namespace smsgw::sim
