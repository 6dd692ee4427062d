#include "smpp/session.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <optional>
#include <random>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "smpp/codec.hpp"
#include "smpp/connection.hpp"
#include "logging/component.hpp"

namespace smsgw::smpp {
namespace {

using net::ip::tcp;
using clock = std::chrono::steady_clock;

spdlog::logger& log() {
  static const auto logger = logging::component("smpp");
  return *logger;
}

// Waits on a timer used as a signal; an error (cancel) is the normal wake-up.
net::awaitable<boost::system::error_code> wait(net::steady_timer& t) {
  boost::system::error_code ec;
  co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

}  // namespace

std::string label(const session_options& o) {
  switch (o.type) {
    case bind_type::transceiver: return o.name;
    case bind_type::receiver: return o.name + "/rx";
    case bind_type::transmitter: return o.name + "/tx";
  }
  return o.name;
}

const char* to_string(session_state s) {
  switch (s) {
    case session_state::disconnected: return "disconnected";
    case session_state::connecting: return "connecting";
    case session_state::binding: return "binding";
    case session_state::bound: return "bound";
    case session_state::unbinding: return "unbinding";
    case session_state::stopped: return "stopped";
  }
  return "unknown";
}

/// One TCP connection and what lives exactly as long as it.
struct session::link {
  link(const net::any_io_executor& ex, std::chrono::milliseconds write_timeout,
       const std::string& name)
      : conn(std::make_shared<connection>(tcp::socket(ex), write_timeout, name)),
        keep_alive_timer(ex) {}

  void close() {
    conn->close();
    keep_alive_timer.cancel();
  }
  [[nodiscard]] bool closed() const { return conn->closed(); }

  std::shared_ptr<connection> conn;
  net::steady_timer keep_alive_timer;
};

/// A submit waiting for a window slot; its timer is its deadline and its wake-up.
struct session::slot_waiter {
  slot_waiter(const net::any_io_executor& ex, clock::time_point until) : timer(ex, until) {}
  net::steady_timer timer;
  bool listed = true;    // in `waiting_`
  bool granted = false;  // woken by a freed slot kept for it (else: a state change, a deadline)
};

/// A request waiting for its response; the timer is both its deadline and its wake-up.
struct session::pending {
  explicit pending(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::uint32_t sequence = 0;
  bool queued = false;  // false: the link was closed, nothing was written
  std::optional<pdu> response;
  std::optional<std::string> unreadable;  // a response came, but could not be decoded
};

namespace {

// The bind's send rate, with bursts of a tenth of a second's worth.
token_bucket bind_bucket(std::uint32_t throughput) {
  return token_bucket(throughput, std::max<std::uint32_t>(1, throughput / 10));
}

}  // namespace

session::session(net::any_io_executor ex, session_options options, deliver_handler on_deliver)
    : executor_(std::move(ex)),
      options_(std::move(options)),
      on_deliver_(std::move(on_deliver)),
      backoff_timer_(executor_),
      label_(label(options_)),
      rate_(bind_bucket(options_.throughput)),
      per_sender_(options_.throughput_per_sender),
      backoff_(options_.throttle_initial, options_.throttle_max) {
  if (options_.tls) {
    auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    if (options_.tls->ca_file.empty()) {
      ctx->set_default_verify_paths();
    } else {
      ctx->load_verify_file(options_.tls->ca_file);
    }
    if (options_.tls->verify) {
      ctx->set_verify_mode(net::ssl::verify_peer);
      const auto& name =
          options_.tls->server_name.empty() ? options_.host : options_.tls->server_name;
      ctx->set_verify_callback(net::ssl::host_name_verification(name));
    } else {
      ctx->set_verify_mode(net::ssl::verify_none);
    }
    tls_context_ = ctx;
  }
}

session::~session() = default;

void session::start() {
  net::co_spawn(
      executor_, [self = shared_from_this()] { return self->run(); }, net::detached);
}

void session::on_state_change(std::function<void(session_state)> callback) {
  on_state_ = std::move(callback);
}

void session::set_state(session_state s) {
  if (s == state_) return;
  log().info("state bind={} from={} to={}", label_, to_string(state_), to_string(s));
  state_ = s;
  state_since_ = clock::now();
  wake_waiters();
  if (on_state_) on_state_(s);
}

bool session::wedged(clock::time_point now) const {
  constexpr auto margin = std::chrono::seconds(30);
  const auto in_state = now - state_since_;
  switch (state_) {
    case session_state::connecting:
    case session_state::binding:
    case session_state::unbinding: return in_state > options_.response_timeout + margin;
    case session_state::disconnected: {
      const auto longest_backoff = std::chrono::duration_cast<std::chrono::milliseconds>(
          options_.reconnect_max * (1.0 + options_.reconnect_jitter));
      return !stopping_ && in_state > longest_backoff + margin;
    }
    case session_state::bound: {
      const auto l = link_;
      return l && !l->closed() &&
             now - l->conn->last_received() >
                 options_.enquire_link_interval + options_.response_timeout + margin;
    }
    case session_state::stopped: return false;
  }
  return false;
}

std::uint32_t session::next_sequence() {
  sequence_ = sequence_ >= 0x7FFFFFFF ? 1 : sequence_ + 1;
  return sequence_;
}

std::chrono::milliseconds session::backoff_delay(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const double base = std::min<double>(static_cast<double>(options_.reconnect_max.count()),
                                       static_cast<double>(options_.reconnect_initial.count()) *
                                           std::pow(2.0, std::min(attempt, 30)));
  std::uniform_real_distribution<double> spread(-options_.reconnect_jitter,
                                                options_.reconnect_jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * (1.0 + spread(rng))));
}

net::awaitable<void> session::run() {
  auto self = shared_from_this();
  int attempt = 0;
  while (!stopping_) {
    auto l = std::make_shared<link>(executor_, options_.response_timeout, label_);
    link_ = l;
    bool bound = false;
    try {
      bound = co_await connect_and_bind(l);
      if (bound) {
        attempt = 0;
        co_await serve(l);
      }
    } catch (const std::exception& e) {
      log().error("session failed bind={} error=\"{}\"", label_, e.what());
    }
    l->close();
    link_.reset();
    fail_pending();
    if (stopping_) break;
    set_state(session_state::disconnected);
    const auto delay = backoff_delay(attempt++);
    log().info("reconnecting bind={} in_ms={}", label_, delay.count());
    backoff_timer_.expires_after(delay);
    co_await wait(backoff_timer_);
  }
  set_state(session_state::stopped);
}

net::awaitable<bool> session::connect_and_bind(const std::shared_ptr<link>& l) {
  set_state(session_state::connecting);
  // One deadline covers resolve, connect and the bind response.
  auto deadline = std::make_shared<net::steady_timer>(executor_, options_.response_timeout);
  auto finished = std::make_shared<bool>(false);
  net::co_spawn(
      executor_,
      [deadline, finished, l]() -> net::awaitable<void> {
        // Expiry and the bind answer can land in the same turn: a finished bind is kept.
        if (!co_await wait(*deadline) && !*finished) l->close();
      },
      net::detached);
  struct cancel_on_exit {
    std::shared_ptr<net::steady_timer> t;
    std::shared_ptr<bool> finished;
    ~cancel_on_exit() {
      *finished = true;
      t->cancel();
    }
  } guard{deadline, finished};

  boost::system::error_code ec;
  tcp::resolver resolver(executor_);
  const auto endpoints = co_await resolver.async_resolve(
      options_.host, std::to_string(options_.port), net::redirect_error(net::use_awaitable, ec));
  if (!ec)
    co_await net::async_connect(l->conn->io().socket, endpoints,
                                net::redirect_error(net::use_awaitable, ec));
  if (ec || l->closed()) {
    log().warn("connect failed bind={} host={} port={} error=\"{}\"", label_, options_.host,
               options_.port, ec ? ec.message() : "deadline");
    co_return false;
  }
  l->conn->io().socket.set_option(tcp::no_delay(true),
                                  ec);  // replies are small and latency matters
  if (tls_context_) {
    auto& ctx = *std::static_pointer_cast<net::ssl::context>(tls_context_);
    auto& tls = l->conn->io().start_tls(ctx);
    const auto& name =
        options_.tls->server_name.empty() ? options_.host : options_.tls->server_name;
    // SNI; SSL_set_tlsext_host_name() is a macro with a C cast.
    SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
    co_await tls.async_handshake(net::ssl::stream_base::client,
                                 net::redirect_error(net::use_awaitable, ec));
    if (ec || l->closed()) {
      log().error("tls handshake failed bind={} host={} error=\"{}\"", label_, options_.host,
                  ec ? ec.message() : "deadline");
      co_return false;
    }
  }

  set_state(session_state::binding);
  const std::uint32_t bind_id = options_.type == bind_type::transceiver ? command::bind_transceiver
                                : options_.type == bind_type::receiver  ? command::bind_receiver
                                                                        : command::bind_transmitter;
  pdu bind{bind_id, status::ok, next_sequence(),
           bind_body{options_.system_id, options_.password, options_.system_type, 0x34,
                     address{0, 0, options_.address_range}}};
  connection::start(l->conn);
  l->conn->send(bind);
  while (!l->closed()) {
    auto in = co_await l->conn->read();
    if (in.what == inbound::kind::closed) {
      log().warn("bind failed bind={} error=\"{}\"", label_, in.why.empty() ? "no answer" : in.why);
      co_return false;
    }
    if (in.what != inbound::kind::pdu) continue;
    const auto& answer = in.message;
    if (answer.command_id == command::enquire_link) {
      l->conn->send(make_response(answer, status::ok));
      continue;
    }
    if (answer.command_id != (bind_id | command::response_bit) &&
        answer.command_id != command::generic_nack) {
      continue;  // nothing else is valid before the bind answer
    }
    if (answer.status != status::ok) {
      log().error("bind refused bind={} system_id={} status={}", label_, options_.system_id,
                  status_name(answer.status));
      co_return false;
    }
    const auto* bound_as = std::get_if<bind_resp_body>(&answer.body);
    log().info("bound bind={} system_id={} smsc_system_id={}", label_, options_.system_id,
               bound_as != nullptr ? bound_as->system_id : "");
    set_state(session_state::bound);
    co_return true;
  }
  log().warn("bind failed bind={} error=\"deadline\"", label_);
  co_return false;
}

net::awaitable<void> session::serve(const std::shared_ptr<link>& l) {
  auto self = shared_from_this();
  net::co_spawn(
      executor_, [self, l] { return self->keep_alive(l); }, net::detached);
  // Back-pressure on MOs: reading pauses while too many are being handled.
  const std::function<bool()> busy = [this] { return inflight_mo_ >= options_.max_inflight_mo; };
  while (!l->closed()) {
    auto in = co_await l->conn->read(busy);
    if (in.what == inbound::kind::closed) {
      if (!in.why.empty()) log().warn("connection lost bind={} error=\"{}\"", label_, in.why);
      break;
    }
    if (in.what == inbound::kind::pdu) {
      handle(l, std::move(in.message));
      continue;
    }
    const auto& e = in.error;
    log().warn("undecodable pdu bind={} command={} sequence={} status={} reason=\"{}\"", label_,
               command_name(e.hdr.command_id), e.hdr.sequence, status_name(e.status), e.reason);
    if (is_response(e.hdr.command_id)) {
      fail_unreadable(e);
    } else {
      send(l, error_response(e));
    }
  }
  l->close();
}

void session::handle(const std::shared_ptr<link>& l, pdu p) {
  if (is_response(p.command_id)) {
    const auto it = pending_.find(p.sequence);
    if (it == pending_.end()) {
      log().warn("unexpected response bind={} command={} sequence={}", label_,
                 command_name(p.command_id), p.sequence);
      return;
    }
    it->second->response = std::move(p);
    it->second->timer.cancel();
    pending_.erase(it);
    release_slot();
    return;
  }
  switch (p.command_id) {
    case command::enquire_link: send(l, make_response(p, status::ok)); return;
    case command::deliver_sm:
      if (options_.type == bind_type::transmitter) {
        send(l, make_response(p, status::invalid_bind_status));
        return;
      }
      if (refusing_) {
        log().debug("deliver_sm refused, draining bind={} sequence={}", label_, p.sequence);
        send(l, make_response(p, status::temporary_app_error, sm_resp_body{}));
        return;
      }
      ++inflight_mo_;
      net::co_spawn(
          executor_,
          [self = shared_from_this(), l, p = std::move(p)]() mutable {
            return self->handle_deliver(l, std::move(p));
          },
          net::detached);
      return;
    case command::unbind:
      log().info("unbind from smsc bind={}", label_);
      send(l, make_response(p, status::ok));
      set_state(session_state::unbinding);
      // Let the writer flush the answer, then the reader sees the close.
      net::co_spawn(
          executor_,
          [l]() -> net::awaitable<void> {
            net::steady_timer t(l->conn->io().socket.get_executor(),
                                std::chrono::milliseconds(100));
            co_await wait(t);
            l->close();
          },
          net::detached);
      return;
    default: send(l, make_response(p, status::invalid_command_id)); return;
  }
}

void session::fail_unreadable(const decode_error& e) {
  // The request it answers is settled: the SMSC saw it. What it said is unknown.
  const auto it = pending_.find(e.hdr.sequence);
  if (it == pending_.end()) return;
  it->second->unreadable = e.reason;
  it->second->timer.cancel();
  pending_.erase(it);
  release_slot();
}

net::awaitable<void> session::handle_deliver(std::shared_ptr<link> l, pdu request) {
  std::uint32_t result = status::temporary_app_error;
  try {
    result = co_await on_deliver_(std::get<sm_body>(request.body));
  } catch (const std::exception& e) {
    log().error("deliver handler failed bind={} sequence={} error=\"{}\"", label_, request.sequence,
                e.what());
  }
  --inflight_mo_;
  if (l->closed()) {
    // The SMSC will redeliver: the answer cannot reach it on a new link.
    log().warn("deliver_sm_resp dropped, link closed bind={} sequence={}", label_,
               request.sequence);
    co_return;
  }
  send(l, make_response(request, result, sm_resp_body{}));
}

void session::send(const std::shared_ptr<link>& l, const pdu& p) {
  l->conn->send(p);
}

net::awaitable<void> session::keep_alive(std::shared_ptr<link> l) {
  while (!l->closed()) {
    l->keep_alive_timer.expires_at(l->conn->last_received() + options_.enquire_link_interval);
    co_await wait(l->keep_alive_timer);
    if (l->closed()) break;
    if (clock::now() - l->conn->last_received() < options_.enquire_link_interval) continue;
    auto answer = send_request(l, pdu{command::enquire_link, status::ok, 0, empty_body{}});
    co_await await_response(*answer);
    // While reading is paused for back-pressure the answer may sit unread: not a dead link.
    if (!answer->response && !l->closed() && inflight_mo_ < options_.max_inflight_mo &&
        !l->conn->congested()) {
      // Half-open TCP: the peer is gone but the socket does not know yet.
      log().error("enquire_link unanswered, dropping link bind={}", label_);
      l->close();
    }
  }
}

std::shared_ptr<session::pending> session::send_request(const std::shared_ptr<link>& l, pdu p) {
  auto waiter = std::make_shared<pending>(executor_);
  p.sequence = next_sequence();
  auto bytes = encode(p);  // may throw: before anything is registered
  waiter->sequence = p.sequence;
  waiter->timer.expires_after(options_.response_timeout);
  pending_.emplace(p.sequence, waiter);
  if (!l->closed()) {
    l->conn->send_bytes(std::move(bytes));
    waiter->queued = true;
  }
  return waiter;
}

net::awaitable<void> session::await_response(pending& waiter) {
  co_await wait(waiter.timer);
  if (pending_.erase(waiter.sequence) != 0) release_slot();  // timed out: a slot is free
}

net::awaitable<void> session::pace(const std::string& sender) {
  // The later of: the SMSC's throttling pause, the bind's rate, the sender's rate.
  const auto now = clock::now();
  auto at = std::max(now, backoff_.paused_until());
  at = std::max(at, now + rate_.reserve(now));
  at = std::max(at, now + per_sender_.reserve(sender, now));
  if (at > now) {
    net::steady_timer t(executor_, at);
    co_await wait(t);
  }
}

void session::set_limits(std::uint32_t window, std::uint32_t throughput,
                         std::uint32_t throughput_per_sender) {
  if (throughput != options_.throughput) rate_ = bind_bucket(throughput);
  if (throughput_per_sender != options_.throughput_per_sender) {
    per_sender_ = sender_buckets(throughput_per_sender);
  }
  const bool wider = window > options_.window;
  options_.window = window;
  options_.throughput = throughput;
  options_.throughput_per_sender = throughput_per_sender;
  if (wider) wake_waiters();  // the new slots go to those waiting
  log().info("limits applied bind={} window={} throughput={} throughput_per_sender={}", label_,
             window, throughput, throughput_per_sender);
}

bool session::slot_free() const {
  return state_ == session_state::bound &&
         pending_.size() + reserved_ + promised_ < options_.window;
}

void session::release_slot() {
  if (waiting_.empty()) return;
  auto* first = waiting_.front();
  waiting_.pop_front();
  first->listed = false;
  first->granted = true;
  ++promised_;
  first->timer.cancel();
}

void session::wake_waiters() {
  for (auto* w : waiting_) {
    w->listed = false;
    w->timer.cancel();
  }
  waiting_.clear();
}

net::awaitable<bool> session::take_slot(clock::time_point until) {
  // One timer per waiter, and a freed slot wakes only the waiter it is kept for: with
  // hundreds of rows waiting on a window of ten, each response wakes one of them, not all.
  bool granted = false;
  while (!stopping_ && !submits_closed_) {
    if (slot_free() && (granted || waiting_.empty())) {
      ++reserved_;
      co_return true;
    }
    if (clock::now() >= until) break;
    slot_waiter w(executor_, until);
    const auto at = waiting_.insert(waiting_.end(), &w);
    co_await wait(w.timer);
    if (w.listed) waiting_.erase(at);  // its deadline came first
    granted = w.granted;
    if (granted) --promised_;
  }
  if (granted) release_slot();  // a slot kept for us that we will not use
  co_return false;
}

net::awaitable<submit_result> session::submit(const sm_body& message, clock::time_point deadline) {
  auto self = shared_from_this();
  using outcome = submit_result::outcome;
  if (!can_submit()) co_return submit_result{};
  for (int attempt = 0;;) {
    // Waiting for the bind or a window slot is bounded by the response timeout and the
    // caller's deadline: a message that cannot leave now goes back to the outbox instead of
    // waiting here unseen.
    if (!co_await take_slot(std::min(deadline, clock::now() + options_.response_timeout))) {
      co_return submit_result{};
    }
    // The slot is held while pacing, so the rate's tokens go out in the order they were
    // taken and none is spent by a submit that then finds the window full.
    co_await pace(message.source.value);
    --reserved_;
    auto l = link_;
    if (stopping_ || submits_closed_ || clock::now() >= deadline) {
      release_slot();
      co_return submit_result{};
    }
    if (!l || l->closed() || state_ != session_state::bound) {
      release_slot();
      continue;  // the link went while pacing: wait for the next one
    }
    std::shared_ptr<pending> waiter;
    try {
      waiter = send_request(l, pdu{command::submit_sm, status::ok, 0, message});
    } catch (...) {
      release_slot();  // not representable: nothing took the slot
      throw;
    }
    co_await await_response(*waiter);
    if (waiter->unreadable) {
      co_return submit_result{outcome::in_doubt, status::ok, {}, *waiter->unreadable};
    }
    if (!waiter->response) {
      co_return submit_result{
          waiter->queued ? outcome::unanswered : outcome::not_sent, status::ok, {}, {}};
    }
    const auto& resp = *waiter->response;
    if (resp.status == status::throttled || resp.status == status::message_queue_full) {
      // The SMSC asks us to slow down: pause the whole bind, then resend this one, unless
      // the pause outlasts the retries or the caller's deadline: then it is handed back.
      const auto until = backoff_.throttled(clock::now());
      log().warn(
          "throttled by smsc bind={} status={} pause_ms={} attempt={}", label_,
          status_name(resp.status),
          std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count(),
          attempt + 1);
      if (++attempt < options_.throttle_retries && until < deadline) continue;
      co_return submit_result{outcome::rejected, resp.status, {}, {}};
    }
    if (resp.command_id == command::generic_nack || resp.status != status::ok) {
      co_return submit_result{outcome::rejected, resp.status, {}, {}};
    }
    backoff_.recovered();
    const auto* answer = std::get_if<sm_resp_body>(&resp.body);
    co_return submit_result{
        outcome::accepted, status::ok, answer != nullptr ? answer->message_id : std::string{}, {}};
  }
}

void session::fail_pending() {
  // Waking each waiter without a response hands its request back as not sent.
  for (auto& [seq, p] : pending_) p->timer.cancel();
  pending_.clear();
  wake_waiters();
}

net::awaitable<void> session::stop(std::chrono::milliseconds drain) {
  auto self = shared_from_this();
  stopping_ = true;
  refusing_ = true;
  submits_closed_ = true;
  wake_waiters();
  backoff_timer_.cancel();
  const auto until = clock::now() + drain;
  net::steady_timer poll(executor_);
  while ((!pending_.empty() || inflight_mo_ > 0) && clock::now() < until) {
    poll.expires_after(std::chrono::milliseconds(10));
    co_await wait(poll);
  }
  if (auto l = link_; l && !l->closed() && state_ == session_state::bound) {
    set_state(session_state::unbinding);
    auto answer = send_request(l, pdu{command::unbind, status::ok, 0, empty_body{}});
    answer->timer.expires_after(
        std::min<std::chrono::milliseconds>(options_.response_timeout, std::chrono::seconds(2)));
    co_await await_response(*answer);
    log().info("unbound bind={} answered={}", label_, answer->response.has_value());
    l->close();
  } else if (l) {
    l->close();
  }
}

}  // namespace smsgw::smpp
