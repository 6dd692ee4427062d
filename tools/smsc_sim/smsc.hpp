// A small SMSC for the demo, the tests and the benchmarks: accepts ESME binds, delivers
// MOs to them, records and answers every submit_sm.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::sim {

namespace net = boost::asio;

/// In `smsc_options::submit_script`: answer that submit with ESME_ROK and a message id
/// without its terminating NUL, a response no SMPP 3.4 decoder can read.
inline constexpr std::uint32_t garbled_response = 0xFFFFFFFF;

/// How the simulator behaves; the defaults make a well-behaved SMSC.
struct smsc_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                             ///< 0 picks a free port; see smsc::port()
  std::string system_id;                              ///< empty: any system_id binds
  std::string password;                               ///< checked only when system_id is set
  std::chrono::milliseconds response_timeout{10000};  ///< for deliver_sm_resp
  std::uint32_t refuse_binds = 0;         ///< answer every bind with this status (0: accept)
  std::uint32_t submit_status = 0;        ///< answer submits with this status (0: ESME_ROK)
  std::uint32_t submit_status_count = 0;  ///< only the first N submits get it (0: all)
  /// The answer to the Nth submit (0: accept, garbled_response, or a status); submits past
  /// its end follow submit_status. Takes precedence over submit_status.
  std::vector<std::uint32_t> submit_script;
  std::chrono::milliseconds response_delay{0};  ///< wait before answering a submit
  std::uint32_t drop_after_pdus = 0;  ///< close a connection after it sent N PDUs (0: never)
  bool receipts = false;              ///< send a delivery receipt for every accepted submit
  std::string tls_certificate;        ///< PEM files: serve SMPP over TLS when both are set
  std::string tls_key;
};

/// A submit_sm as received, with the id it was answered with.
struct received_submit {
  std::string source;
  std::string destination;
  std::uint8_t data_coding = 0;
  std::uint8_t esm_class = 0;
  std::string short_message;  ///< as received (a concatenated part starts with its UDH)
  std::string text;           ///< decoded to UTF-8
  std::string message_id;
  std::chrono::steady_clock::time_point at;
};

/// Answer to one injected MO.
struct deliver_result {
  bool sent = false;         ///< false: no client was bound to take it
  bool answered = false;     ///< false: not sent, link lost or deadline
  std::uint32_t status = 0;  ///< deliver_sm_resp command_status
  std::chrono::microseconds latency{0};
};

/// The simulator. All methods but the const accessors run on its executor.
class smsc : public std::enable_shared_from_this<smsc> {
 public:
  smsc(net::any_io_executor ex, smsc_options options);
  ~smsc();
  smsc(const smsc&) = delete;
  smsc& operator=(const smsc&) = delete;

  /// Binds the listening socket (so port() is known) and starts accepting.
  void start();
  /// Closes the listener and every connection.
  void stop();
  [[nodiscard]] std::uint16_t port() const { return port_; }

  /// Delivers an MO (GSM text when it fits, else UCS-2; concatenated parts with UDH when
  /// it needs several) to the first client bound as receiver or transceiver, and returns
  /// the last part's answer. The arguments must outlive the returned awaitable.
  net::awaitable<deliver_result> deliver(const std::string& source, const std::string& destination,
                                         const std::string& text);
  /// Delivers one deliver_sm body exactly as given (tests build parts and receipts with it).
  net::awaitable<deliver_result> deliver_pdu(const smpp::sm_body& body);
  /// Stops answering anything (a half-open link as the ESME sees it), or resumes.
  void freeze(bool frozen) { frozen_ = frozen; }
  /// Closes every client connection (the listener stays open).
  void drop_clients();

  /// Called for every deliver_sm_resp, on the executor, before deliver() resumes.
  void on_deliver_resp(std::function<void(const deliver_result&)> callback);
  /// Called for every submit_sm, on the executor.
  void on_submit(std::function<void(const received_submit&)> callback);

  /// Thread-safe snapshots for tests and the command line.
  [[nodiscard]] std::vector<received_submit> submits() const;
  [[nodiscard]] std::size_t bound_clients() const;
  /// Binds accepted and refused since start.
  [[nodiscard]] std::size_t binds_accepted() const;
  [[nodiscard]] std::size_t binds_refused() const;
  /// Submits answered with an error status.
  [[nodiscard]] std::size_t submits_refused() const;

 private:
  struct client;
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(std::shared_ptr<client> c);
  void handle(const std::shared_ptr<client>& c, smpp::pdu p);
  net::awaitable<void> answer_submit(std::shared_ptr<client> c, smpp::pdu p);
  std::shared_ptr<client> receiving_client() const;

  net::any_io_executor executor_;
  smsc_options options_;
  std::uint16_t port_ = 0;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::function<void(const deliver_result&)> on_deliver_resp_;
  std::function<void(const received_submit&)> on_submit_;
  mutable std::mutex mutex_;  // guards submits_ and bound_
  std::vector<received_submit> submits_;
  std::size_t bound_ = 0;
  std::size_t binds_accepted_ = 0;
  std::size_t binds_refused_ = 0;
  std::size_t submits_refused_ = 0;
  std::uint32_t submits_seen_ = 0;
  std::uint64_t next_message_id_ = 0x1000;
  std::uint16_t next_reference_ = 1;
  bool frozen_ = false;
  std::shared_ptr<void> tls_context_;
};

}  // namespace smsgw::sim
