// The ESME side of one SMPP bind: connect, bind, keep alive, window, reconnect.
//
// Everything runs as C++20 coroutines on one executor (no locks): the link's reader and
// bounded writer (smpp/connection.hpp), a keep-alive loop, and the callers' submits, each
// waiting on its own timer: for a window slot (first come, first served), then for its
// response. A session never throws at its callers: a submit comes
// back with what is known of it — accepted, rejected, never sent, sent but unanswered, or
// answered unreadably (in doubt) — and the caller decides what may be sent again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smpp/pdu.hpp"
#include "smpp/throttle.hpp"

namespace smsgw::smpp {

namespace net = boost::asio;

struct decode_error;  // smpp/codec.hpp

/// Which bind PDU a session sends.
enum class bind_type { transceiver, receiver, transmitter };

/// TLS to the SMSC.
struct tls_options {
  std::string ca_file;      ///< PEM trust bundle; empty: the system's
  std::string server_name;  ///< checked against the certificate; empty: host
  bool verify = true;
};

/// Everything a session needs to know about its SMSC account.
struct session_options {
  std::string name;  ///< the bind's name (config), in every log line
  bind_type type = bind_type::transceiver;
  std::string host;
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password;
  std::string system_type;
  std::string address_range;
  std::uint32_t window = 10;                ///< outstanding requests
  std::uint32_t throughput = 0;             ///< submits per second, 0 = unlimited
  std::uint32_t throughput_per_sender = 0;  ///< submits per second per source, 0 = unlimited
  std::uint32_t max_inflight_mo = 64;       ///< deliver_sm being handled before reading pauses
  bool use_message_payload = false;         ///< long texts as one message_payload submit
  bool concat_16bit = false;                ///< 16-bit references in concatenated submits
  std::optional<tls_options> tls;
  std::chrono::milliseconds throttle_initial{1000};  ///< pause after ESME_RTHROTTLED/RMSGQFUL
  std::chrono::milliseconds throttle_max{30000};
  int throttle_retries = 5;  ///< resends of one throttled submit before it is handed back
  std::chrono::milliseconds enquire_link_interval{30000};
  std::chrono::milliseconds response_timeout{10000};
  std::chrono::milliseconds reconnect_initial{1000};
  std::chrono::milliseconds reconnect_max{60000};
  double reconnect_jitter = 0.2;
};

/// `carrier-a` for a transceiver, `carrier-a/rx` and `carrier-a/tx` for a pair.
std::string label(const session_options& o);

/// Connection state, as logged and reported to /readyz.
enum class session_state { disconnected, connecting, binding, bound, unbinding, stopped };
const char* to_string(session_state s);

/// Outcome of one submit_sm.
struct submit_result {
  enum class outcome {
    accepted,    ///< submit_sm_resp ESME_ROK; `message_id` is the SMSC's id
    rejected,    ///< submit_sm_resp with an error `status` (throttling handed back included)
    not_sent,    ///< never written (no bind, no window slot before the deadline, shutdown)
    unanswered,  ///< written, but no response came (link dropped, timeout): it may have
                 ///< reached the SMSC, so sending it again may deliver it twice
    in_doubt,    ///< a response came but could not be read (`reason`): it reached the SMSC
                 ///< and was probably accepted; it must not be sent again automatically
  };
  outcome what = outcome::not_sent;
  std::uint32_t status = status::ok;
  std::string message_id;
  std::string reason;  ///< for in_doubt: why the response could not be read
};

/// Answers a deliver_sm: returns the deliver_sm_resp command_status (ESME_ROK once the
/// message's effects are durable, ESME_RX_T_APPN to make the SMSC redeliver).
using deliver_handler = std::function<net::awaitable<std::uint32_t>(const sm_body&)>;

/// One ESME bind. Create, set the handler, then `start()` on the executor.
class session : public std::enable_shared_from_this<session> {
 public:
  session(net::any_io_executor ex, session_options options, deliver_handler on_deliver);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Starts connecting and keeps the bind up, reconnecting with backoff, until `stop()`.
  void start();

  /// Sends a submit_sm once bound and a window slot is free, and waits for its response.
  /// Nothing is written after `deadline` (waits for the bind, the window, the rate and
  /// throttling pauses end there); once written, the response is awaited for up to the
  /// response timeout. So a submit takes at most `deadline` plus one response timeout.
  /// Must be awaited on the session's executor; `message` must outlive it.
  net::awaitable<submit_result> submit(const sm_body& message,
                                       std::chrono::steady_clock::time_point deadline =
                                           std::chrono::steady_clock::time_point::max());

  /// From now on answers every deliver_sm with ESME_RX_T_APPN without handing it on: the
  /// SMSC keeps the message and delivers it again later (a draining daemon takes no new MOs).
  void refuse_deliveries() { refusing_ = true; }
  /// From now on writes no submit: those waiting for the bind or a window slot come back
  /// not sent; those written still get their responses (a draining daemon lets its window
  /// empty and leaves the rest in the outbox).
  void close_submits() {
    submits_closed_ = true;
    wake_waiters();
  }
  /// Applies a new window and send rates to the live bind (a reload): a wider window lets
  /// waiting submits in at once, a narrower one writes none until fewer are outstanding.
  void set_limits(std::uint32_t window, std::uint32_t throughput,
                  std::uint32_t throughput_per_sender);
  /// deliver_sm taken and not answered yet.
  [[nodiscard]] std::uint32_t deliveries_in_hand() const { return inflight_mo_; }

  /// Stops: no new submits or MOs, waits up to `drain` for outstanding submits and for the
  /// answers to MOs in hand, unbinds cleanly, closes.
  net::awaitable<void> stop(std::chrono::milliseconds drain);

  /// Called on every state change (on the session's executor).
  void on_state_change(std::function<void(session_state)> callback);

  [[nodiscard]] session_state state() const { return state_; }
  /// True when the state machine has sat in one state longer than its own deadlines allow
  /// (with a margin), or a bound link has gone silent past its keep-alive: for the watchdog.
  [[nodiscard]] bool wedged(std::chrono::steady_clock::time_point now) const;
  /// True for transceivers and transmitters: submits may go through this session.
  [[nodiscard]] bool can_submit() const { return options_.type != bind_type::receiver; }
  [[nodiscard]] const session_options& options() const { return options_; }
  [[nodiscard]] std::size_t outstanding() const { return pending_.size(); }

 private:
  struct link;
  struct pending;
  struct slot_waiter;

  net::awaitable<void> run();
  // Coroutines here take references to objects their caller keeps alive while awaiting
  // (GCC 12 mishandles temporaries passed by value to a coroutine inside co_await).
  net::awaitable<bool> connect_and_bind(const std::shared_ptr<link>& l);
  net::awaitable<void> serve(const std::shared_ptr<link>& l);
  net::awaitable<void> keep_alive(std::shared_ptr<link> l);
  net::awaitable<void> handle_deliver(std::shared_ptr<link> l, pdu request);
  std::shared_ptr<pending> send_request(const std::shared_ptr<link>& l, pdu p);
  net::awaitable<void> await_response(pending& waiter);
  net::awaitable<void> pace(const std::string& sender);
  /// Takes a window slot (a reservation, until the request is written) once bound, in the
  /// order submits asked; false when `until` passes or the session stops first.
  net::awaitable<bool> take_slot(std::chrono::steady_clock::time_point until);
  [[nodiscard]] bool slot_free() const;
  void release_slot();  // a slot freed: the longest waiter gets it
  void wake_waiters();  // the state changed: every waiter looks again
  void handle(const std::shared_ptr<link>& l, pdu p);
  void send(const std::shared_ptr<link>& l, const pdu& p);
  void fail_pending();
  void fail_unreadable(const decode_error& e);
  void set_state(session_state s);
  std::uint32_t next_sequence();
  std::chrono::milliseconds backoff_delay(int attempt);

  net::any_io_executor executor_;
  session_options options_;
  deliver_handler on_deliver_;
  std::function<void(session_state)> on_state_;
  session_state state_ = session_state::disconnected;
  std::chrono::steady_clock::time_point state_since_ = std::chrono::steady_clock::now();
  bool stopping_ = false;
  bool refusing_ = false;        // deliver_sm answered ESME_RX_T_APPN, not handed on
  bool submits_closed_ = false;  // no submit written any more
  std::uint32_t sequence_ = 0;
  std::uint32_t inflight_mo_ = 0;
  std::shared_ptr<link> link_;
  std::unordered_map<std::uint32_t, std::shared_ptr<pending>> pending_;
  std::list<slot_waiter*> waiting_;  // submits waiting for a window slot, oldest first
  std::uint32_t reserved_ = 0;       // slots taken by submits not written yet
  std::uint32_t promised_ = 0;       // slots given to woken waiters not yet running
  net::steady_timer backoff_timer_;
  std::string label_;
  token_bucket rate_;
  sender_buckets per_sender_;
  throttle_backoff backoff_;
  std::shared_ptr<void> tls_context_;  // net::ssl::context, kept out of this header
};

}  // namespace smsgw::smpp
