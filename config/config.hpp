// Typed configuration of smsgwd, read from one YAML file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace smsgw::config {

/// How an ESME binds to its SMSC.
enum class bind_mode { transceiver, receiver_transmitter };

/// Log verbosity, as spdlog names it.
enum class log_level { trace, debug, info, warn, error, critical, off };

/// Reconnect backoff: the first delay doubles up to `max`, with +-`jitter` (0..1) randomness.
struct backoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};
  double jitter = 0.2;
  friend bool operator==(const backoff&, const backoff&) = default;
};

/// TLS to the SMSC. Certificate verification is on unless explicitly turned off.
struct smsc_tls {
  std::string ca_file;      ///< PEM bundle; empty: the system's trust store
  std::string server_name;  ///< name checked in the certificate; empty: the bind's host
  bool verify = true;
  friend bool operator==(const smsc_tls&, const smsc_tls&) = default;
};

/// One SMPP bind to one SMSC account.
struct smsc_bind {
  std::string name;  ///< unique among binds; names the bind in logs and numbers
  std::string host;
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password;
  std::string system_type;
  std::string address_range;  ///< sent in the bind, 0..40 characters
  bind_mode mode = bind_mode::transceiver;
  std::uint32_t window = 10;                ///< outstanding requests, 1..1000
  std::uint32_t throughput = 0;             ///< messages per second, 0 = unlimited
  std::uint32_t throughput_per_sender = 0;  ///< per source address, 0 = unlimited
  bool use_message_payload = false;         ///< long texts in one message_payload TLV
  bool concat_16bit = false;                ///< 16-bit concatenation references in long submits
  std::chrono::seconds enquire_link_interval{30};  ///< idle keep-alive, 1..3600 s
  std::chrono::seconds response_timeout{10};       ///< deadline for any response, 1..600 s
  backoff reconnect;
  std::optional<smsc_tls> tls;
  friend bool operator==(const smsc_bind&, const smsc_bind&) = default;
};

/// Optional TLS for the admin port: both files or neither.
struct tls_files {
  std::string certificate;
  std::string key;
  friend bool operator==(const tls_files&, const tls_files&) = default;
};

/// The admin HTTP port.
struct admin {
  std::string listen = "127.0.0.1:8080";  ///< host:port
  std::optional<tls_files> tls;
  std::uint32_t pool_size = 2;            ///< database connections of the API, 1..64
  std::uint32_t max_connections = 512;    ///< open HTTP connections, 1..100000
  std::chrono::seconds idle_timeout{60};  ///< keep-alive wait for the next request, 1..3600 s
  std::chrono::seconds read_timeout{30};  ///< to read one whole request, 1..3600 s
  std::uint32_t upload_limit_mb = 1024;   ///< an import file's upload, 1..65536 MiB
  friend bool operator==(const admin&, const admin&) = default;
};

/// The PostgreSQL contact store.
struct store {
  std::string dsn;              ///< libpq connection string; "" uses the PG* environment
  std::uint32_t pool_size = 4;  ///< connections, 1..64
  std::chrono::seconds connect_timeout{5};            ///< to open a connection, 1..300 s
  std::chrono::milliseconds statement_timeout{5000};  ///< each MO-path statement, 100..600000 ms
  friend bool operator==(const store&, const store&) = default;
};

/// How long an outbox row is tried before it ends `expired`.
struct outbox {
  std::uint32_t max_attempts = 10;         ///< submits that may have left, 1..1000
  std::chrono::seconds validity{172'800};  ///< from the row's creation, 60 s..30 days
  friend bool operator==(const outbox&, const outbox&) = default;
};

/// How MOs and receipts are committed (those that arrive together share a transaction),
/// and how long a redelivered MO is recognised.
struct inbound {
  std::uint32_t batch_size = 100;  ///< MOs and receipts in one transaction, 1..10000
  /// How long a batch waits for more while another commit is in flight, 0..100000 us.
  std::chrono::microseconds batch_wait{0};
  /// Transactions at once, 1..64; store.pool_size bounds it too (the outbox needs some).
  std::uint32_t commits_in_flight = 2;
  /// How long after an MO the same MO again is a redelivery, 60..604800 s.
  std::chrono::seconds redelivery_window{86'400};
  friend bool operator==(const inbound&, const inbound&) = default;
};

/// The whole file.
struct daemon_config {
  store db;
  admin admin_port;
  std::vector<smsc_bind> smsc;                   ///< at least one
  std::string default_country = "US";            ///< ISO 3166 alpha-2, for national numbers
  std::chrono::seconds reassembly_timeout{600};  ///< an incomplete multipart MO expires
  outbox delivery;
  inbound mo;
  std::chrono::seconds stop_timeout{10};  ///< SIGTERM: drain, unbind and exit within it
  log_level level = log_level::info;
  friend bool operator==(const daemon_config&, const daemon_config&) = default;
};

/// Why a file was refused: the key path (e.g. `smsc[0].port`), its line (1-based, 0 when
/// the file itself is the problem) and what is wrong.
struct error {
  std::string key;
  int line = 0;
  std::string message;
  /// `FILE:LINE: KEY: MESSAGE`, the form printed by `--check-config`.
  [[nodiscard]] std::string describe(const std::string& file) const;
};

/// Parses YAML text. Unknown keys, wrong types, out-of-range values and missing required
/// keys are errors naming the key and its line; the first error is returned.
tl::expected<daemon_config, error> parse(const std::string& yaml_text);

/// Reads and parses a file; an unreadable file is an error with line 0.
tl::expected<daemon_config, error> load(const std::string& path);

/// Parses `host:port` (`[v6]:port` too; port 0 means any free port); nullopt when malformed.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<endpoint> parse_endpoint(const std::string& text);

}  // namespace smsgw::config
