// One SMPP connection, as both ends of a bind run it (the ESME session and the simulator):
// PDUs read off the stream a frame at a time, and PDUs written through one bounded queue.
//
// The writer coalesces what is queued into writes of at most 64 KiB, each of which must end
// within the write timeout: a peer that stops reading fills its socket, then blocks us, and is
// dropped. Past `write_queue_bound` queued bytes the reader stops reading: what we write
// answers what we read, so a peer that sends without reading cannot grow the queue.
// Include only from .cpp files: it brings Asio.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smpp/codec.hpp"
#include "smpp/stream.hpp"

namespace smsgw::smpp {

/// Bytes queued for writing past which reading stops until the writer catches up.
inline constexpr std::size_t write_queue_bound = std::size_t{256} * 1024;

/// What `connection::read` found.
struct inbound {
  enum class kind {
    pdu,          ///< `message` holds it
    undecodable,  ///< a complete frame that is not a valid PDU: `error` says what to answer
    closed,       ///< the link is gone (`why`: the peer, a read error, a malformed frame)
  };
  kind what = kind::closed;
  pdu message;
  decode_error error;
  std::string why;
};

class connection {
 public:
  using clock = std::chrono::steady_clock;

  /// `name` appears in the writer's log lines.
  connection(net::ip::tcp::socket socket, std::chrono::milliseconds write_timeout,
             std::string name);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// The stream, for the TLS handshake and socket options before `start`.
  smpp::stream& io() { return io_; }

  /// Starts the writer on the socket's executor. `self` keeps the connection alive while it
  /// runs (until `close`).
  static void start(const std::shared_ptr<connection>& self);

  /// The next PDU. Reads the socket only when no complete frame is buffered; before reading,
  /// waits while the write queue is past its bound or `hold()` says so (checked every 5 ms).
  net::awaitable<inbound> read(const std::function<bool()>& hold = {});

  /// Queues a PDU for the writer; nothing once closed. `encode` may throw.
  void send(const pdu& p);
  void send_bytes(std::vector<std::uint8_t> bytes);

  /// Closes the socket and wakes the writer; idempotent.
  void close();

  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] bool congested() const { return queued_bytes_ > write_queue_bound; }
  [[nodiscard]] std::size_t queued_bytes() const { return queued_bytes_; }
  /// When the last complete frame arrived.
  [[nodiscard]] clock::time_point last_received() const { return last_received_; }

 private:
  net::awaitable<void> write_loop();
  net::awaitable<void> watch_writes();

  smpp::stream io_;
  std::chrono::milliseconds write_timeout_;
  std::string name_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  net::steady_timer write_signal_;
  net::steady_timer write_deadline_;
  net::steady_timer hold_;
  std::vector<std::uint8_t> buffer_;  // read into; [consumed_, filled_) not handed out yet
  std::size_t consumed_ = 0;
  std::size_t filled_ = 0;
  clock::time_point last_received_ = clock::now();
};

}  // namespace smsgw::smpp
