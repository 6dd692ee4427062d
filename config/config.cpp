#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace smsgw::config {
namespace {

/// Thrown while reading the tree; parse() turns it into its error result.
struct failure {
  error err;
};

/// A node, its key path and the (1-based) line to blame for it.
struct field {
  YAML::Node node;
  std::string path;
  int line = 0;
};

[[noreturn]] void fail(const field& f, std::string message) {
  throw failure{error{f.path, f.line, std::move(message)}};
}

/// yaml-cpp marks an empty (null) value at the next token, so such a node takes `fallback`.
int line_of(const YAML::Node& node, int fallback) {
  return node.IsNull() ? fallback : node.Mark().line + 1;
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

/// One YAML map: its keys are checked once (known, unique), then values are read by name.
class map_reader {
 public:
  map_reader(field self, std::initializer_list<std::string_view> known) : self_(std::move(self)) {
    if (!self_.node.IsMap()) fail(self_, "expected a map");
    for (const auto& entry : self_.node) {
      field f{entry.second, self_.path, entry.first.Mark().line + 1};
      if (!entry.first.IsScalar()) fail(f, "expected a plain key");
      const std::string& name = entry.first.Scalar();
      f.path = join(self_.path, name);
      if (std::find(known.begin(), known.end(), name) == known.end()) fail(f, "unknown key");
      if (find(name) != nullptr) fail(f, "duplicate key");
      f.line = line_of(f.node, f.line);
      fields_.emplace_back(name, std::move(f));
    }
  }

  /// The value under `name`, or nullptr when the key is absent.
  [[nodiscard]] const field* find(std::string_view name) const {
    const auto it = std::find_if(fields_.begin(), fields_.end(),
                                 [&](const auto& entry) { return entry.first == name; });
    return it == fields_.end() ? nullptr : &it->second;
  }

  /// The value under `name`; a missing key is blamed on this map's line.
  [[nodiscard]] const field& require(std::string_view name) const {
    if (const field* f = find(name)) return *f;
    fail(field{{}, join(self_.path, name), self_.line}, "required key is missing");
  }

  /// Sets `out` to `convert(value)` when the key is present; keeps the default otherwise.
  template <typename T, typename Convert>
  void optional(std::string_view name, T& out, Convert convert) const {
    if (const field* f = find(name)) out = convert(*f);
  }

  /// Sets `out` to `convert(value)`; a missing key is an error.
  template <typename T, typename Convert>
  void required(std::string_view name, T& out, Convert convert) const {
    out = convert(require(name));
  }

 private:
  field self_;
  std::vector<std::pair<std::string, field>> fields_;
};

// Converters: each takes a field and returns a typed value or fails on that field.

/// A quoted or `!!str` scalar, which is a string even when it reads like a number.
bool is_string_scalar(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

/// Any scalar, as written.
std::string any_text(const field& f) {
  if (!f.node.IsScalar()) fail(f, "expected a string");
  return f.node.Scalar();
}

/// A scalar for which `ok` holds; `rule` says what is expected otherwise.
template <typename Predicate>
auto text_if(Predicate ok, std::string rule) {
  return [ok, rule = std::move(rule)](const field& f) {
    std::string text = any_text(f);
    if (!ok(text)) fail(f, rule);
    return text;
  };
}

/// A scalar of `min`..`max` characters.
auto text(std::size_t min, std::size_t max = std::string::npos) {
  std::string rule = "must not be empty";
  if (max != std::string::npos) {
    rule = (min == 0 ? "must be at most " : "must be " + std::to_string(min) + " to ") +
           std::to_string(max) + " characters";
  }
  return text_if([=](const std::string& s) { return s.size() >= min && s.size() <= max; },
                 std::move(rule));
}

/// A plain decimal integer in `min`..`max`, converted to `T` (an integer or a duration).
template <typename T>
auto integer(std::uint64_t min, std::uint64_t max) {
  return [=](const field& f) {
    if (!f.node.IsScalar() || is_string_scalar(f.node)) fail(f, "expected an integer");
    const std::string& s = f.node.Scalar();
    const bool negative = s.starts_with('-');
    std::uint64_t value = 0;
    const auto [end, ec] =
        std::from_chars(s.data() + (negative ? 1 : 0), s.data() + s.size(), value);
    if (ec == std::errc::invalid_argument || end != s.data() + s.size()) {
      fail(f, "expected an integer");
    }
    if (negative || ec == std::errc::result_out_of_range || value < min || value > max) {
      fail(f, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return static_cast<T>(value);
  };
}

/// A plain decimal number in `min`..`max`.
auto number(double min, double max) {
  return [=](const field& f) {
    if (!f.node.IsScalar() || is_string_scalar(f.node)) fail(f, "expected a number");
    const std::string& s = f.node.Scalar();
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::invalid_argument || end != s.data() + s.size())
      fail(f, "expected a number");
    if (ec != std::errc{} || !(value >= min && value <= max)) {
      std::array<char, 32> lo{};
      std::array<char, 32> hi{};
      const auto lo_end = std::to_chars(lo.data(), lo.data() + lo.size(), min).ptr;
      const auto hi_end = std::to_chars(hi.data(), hi.data() + hi.size(), max).ptr;
      fail(f, "must be between " + std::string(lo.data(), lo_end) + " and " +
                  std::string(hi.data(), hi_end));
    }
    return value;
  };
}

/// `true` or `false`.
bool boolean(const field& f) {
  if (!f.node.IsScalar() || is_string_scalar(f.node)) fail(f, "expected true or false");
  const std::string& s = f.node.Scalar();
  if (s != "true" && s != "false") fail(f, "expected true or false");
  return s == "true";
}

/// One of the names in `table`, as its enumerator.
template <typename E, std::size_t N>
auto one_of(const std::array<std::pair<std::string_view, E>, N>& table) {
  return [&table](const field& f) {
    const std::string text = any_text(f);
    std::string names;
    for (const auto& [name, value] : table) {
      if (name == text) return value;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    fail(f, "must be one of: " + names);
  };
}

constexpr std::array<std::pair<std::string_view, bind_mode>, 2> bind_modes{{
    {"transceiver", bind_mode::transceiver},
    {"receiver_transmitter", bind_mode::receiver_transmitter},
}};

constexpr std::array<std::pair<std::string_view, log_level>, 7> log_levels{{
    {"trace", log_level::trace},
    {"debug", log_level::debug},
    {"info", log_level::info},
    {"warn", log_level::warn},
    {"error", log_level::error},
    {"critical", log_level::critical},
    {"off", log_level::off},
}};

bool is_bind_name(const std::string& s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool is_country(const std::string& s) {
  return s.size() == 2 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Sections, each a converter too.

backoff read_backoff(const field& self) {
  const map_reader r(self, {"initial_ms", "max_ms", "jitter"});
  backoff b;
  r.optional("initial_ms", b.initial, integer<std::chrono::milliseconds>(10, 600'000));
  const auto max_floor = static_cast<std::uint64_t>(b.initial.count());
  r.optional("max_ms", b.max, integer<std::chrono::milliseconds>(max_floor, 3'600'000));
  r.optional("jitter", b.jitter, number(0, 1));
  if (b.max < b.initial) {  // only when max_ms is absent and initial_ms exceeds its default
    fail(r.require("initial_ms"), "must not exceed max_ms (" + std::to_string(b.max.count()) + ")");
  }
  return b;
}

smsc_tls read_smsc_tls(const field& self) {
  const map_reader r(self, {"ca_file", "server_name", "verify"});
  smsc_tls t;
  r.optional("ca_file", t.ca_file, text(1));
  r.optional("server_name", t.server_name, text(1));
  r.optional("verify", t.verify, boolean);
  return t;
}

smsc_bind read_bind(const field& self, const std::vector<smsc_bind>& earlier) {
  const map_reader r(
      self, {"name", "host", "port", "system_id", "password", "system_type", "address_range",
             "bind_mode", "window", "throughput", "throughput_per_sender", "use_message_payload",
             "concat_16bit", "enquire_link_interval", "response_timeout", "reconnect", "tls"});
  smsc_bind b;
  r.required("name", b.name, text_if(is_bind_name, "must be 1 to 32 of A-Z a-z 0-9 _ . -"));
  if (std::any_of(earlier.begin(), earlier.end(),
                  [&](const auto& e) { return e.name == b.name; })) {
    fail(r.require("name"), "duplicate bind name \"" + b.name + "\"");
  }
  r.required("host", b.host, text(1));
  r.optional("port", b.port, integer<std::uint16_t>(1, 65535));
  r.required("system_id", b.system_id, text(1, 15));
  r.required("password", b.password, text(0, 8));
  r.optional("system_type", b.system_type, text(0, 12));
  r.optional("address_range", b.address_range, text(0, 40));
  r.optional("bind_mode", b.mode, one_of(bind_modes));
  r.optional("window", b.window, integer<std::uint32_t>(1, 1000));
  r.optional("throughput", b.throughput, integer<std::uint32_t>(0, 100'000));
  r.optional("throughput_per_sender", b.throughput_per_sender, integer<std::uint32_t>(0, 100'000));
  r.optional("use_message_payload", b.use_message_payload, boolean);
  r.optional("concat_16bit", b.concat_16bit, boolean);
  r.optional("enquire_link_interval", b.enquire_link_interval,
             integer<std::chrono::seconds>(1, 3600));
  r.optional("response_timeout", b.response_timeout, integer<std::chrono::seconds>(1, 600));
  r.optional("reconnect", b.reconnect, read_backoff);
  r.optional("tls", b.tls, read_smsc_tls);
  return b;
}

std::vector<smsc_bind> read_binds(const field& self) {
  if (!self.node.IsSequence()) fail(self, "expected a sequence");
  if (self.node.size() == 0) fail(self, "must list at least one bind");
  std::vector<smsc_bind> binds;
  for (const YAML::Node& item : self.node) {
    const std::string path = self.path + "[" + std::to_string(binds.size()) + "]";
    binds.push_back(read_bind(field{item, path, line_of(item, self.line)}, binds));
  }
  return binds;
}

store read_store(const field& self) {
  const map_reader r(self, {"dsn", "pool_size", "connect_timeout", "statement_timeout_ms"});
  store s;
  r.required("dsn", s.dsn, any_text);
  r.optional("pool_size", s.pool_size, integer<std::uint32_t>(1, 64));
  r.optional("connect_timeout", s.connect_timeout, integer<std::chrono::seconds>(1, 300));
  r.optional("statement_timeout_ms", s.statement_timeout,
             integer<std::chrono::milliseconds>(100, 600'000));
  return s;
}

tls_files read_tls(const field& self) {
  const map_reader r(self, {"certificate", "key"});
  tls_files t;
  r.required("certificate", t.certificate, text(1));
  r.required("key", t.key, text(1));
  return t;
}

admin read_admin(const field& self) {
  const map_reader r(self, {"listen", "tls", "pool_size", "max_connections", "idle_timeout",
                            "read_timeout", "upload_limit_mb"});
  admin a;
  const auto is_endpoint = [](const std::string& s) { return parse_endpoint(s).has_value(); };
  r.optional("listen", a.listen, text_if(is_endpoint, "expected host:port or [address]:port"));
  r.optional("tls", a.tls, read_tls);
  r.optional("pool_size", a.pool_size, integer<std::uint32_t>(1, 64));
  r.optional("max_connections", a.max_connections, integer<std::uint32_t>(1, 100000));
  r.optional("idle_timeout", a.idle_timeout, integer<std::chrono::seconds>(1, 3600));
  r.optional("read_timeout", a.read_timeout, integer<std::chrono::seconds>(1, 3600));
  r.optional("upload_limit_mb", a.upload_limit_mb, integer<std::uint32_t>(1, 65536));
  return a;
}

outbox read_outbox(const field& self) {
  const map_reader r(self, {"max_attempts", "validity"});
  outbox o;
  r.optional("max_attempts", o.max_attempts, integer<std::uint32_t>(1, 1000));
  r.optional("validity", o.validity, integer<std::chrono::seconds>(60, 2'592'000));
  return o;
}

inbound read_inbound(const field& self) {
  const map_reader r(self,
                     {"batch_size", "batch_wait_us", "commits_in_flight", "redelivery_window"});
  inbound i;
  r.optional("batch_size", i.batch_size, integer<std::uint32_t>(1, 10000));
  r.optional("batch_wait_us", i.batch_wait, integer<std::chrono::microseconds>(0, 100'000));
  r.optional("commits_in_flight", i.commits_in_flight, integer<std::uint32_t>(1, 64));
  r.optional("redelivery_window", i.redelivery_window, integer<std::chrono::seconds>(60, 604'800));
  return i;
}

daemon_config read_config(const field& self) {
  const map_reader r(self, {"store", "admin", "smsc", "outbox", "inbound", "default_country",
                            "reassembly_timeout", "stop_timeout", "log_level"});
  daemon_config c;
  r.required("store", c.db, read_store);
  r.optional("admin", c.admin_port, read_admin);
  r.required("smsc", c.smsc, read_binds);
  r.optional("default_country", c.default_country,
             text_if(is_country, "must be two upper-case letters"));
  r.optional("reassembly_timeout", c.reassembly_timeout, integer<std::chrono::seconds>(10, 86'400));
  r.optional("outbox", c.delivery, read_outbox);
  r.optional("inbound", c.mo, read_inbound);
  r.optional("stop_timeout", c.stop_timeout, integer<std::chrono::seconds>(1, 300));
  r.optional("log_level", c.level, one_of(log_levels));
  return c;
}

struct file_closer {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

/// The whole file, or the errno that stopped reading it.
tl::expected<std::string, int> read_file(const std::string& path) {
  const std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) return tl::unexpected(errno);
  std::string text;
  std::array<char, 4096> buffer{};
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get())) {
    text.append(buffer.data(), n);
  }
  if (std::ferror(file.get()) != 0) return tl::unexpected(errno);
  return text;
}

// Counts documents without building them, stopping at the second: yaml-cpp 0.7's LoadAll
// never returns on some inputs (a leading `,` makes it append empty documents forever).
class document_counter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) second_line_ = mark.line + 1;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  [[nodiscard]] int documents() const { return documents_; }
  [[nodiscard]] int second_line() const { return second_line_; }

 private:
  int documents_ = 0;
  int second_line_ = 0;
};

}  // namespace

std::string error::describe(const std::string& file) const {
  return file + ":" + std::to_string(line) + ": " + (key.empty() ? "" : key + ": ") + message;
}

tl::expected<daemon_config, error> parse(const std::string& yaml_text) {
  try {
    std::istringstream in(yaml_text);
    YAML::Parser parser(in);
    document_counter counter;
    while (counter.documents() < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.documents() > 1) {
      return tl::unexpected(error{"", counter.second_line(), "expected a single document"});
    }
    const YAML::Node document = YAML::Load(yaml_text);
    if (counter.documents() == 0 || document.IsNull()) {
      return tl::unexpected(error{"", 0, "the document is empty"});
    }
    return read_config(field{document, "", document.Mark().line + 1});
  } catch (const failure& f) {
    return tl::unexpected(f.err);
  } catch (const YAML::Exception& e) {
    return tl::unexpected(error{"", e.mark.line + 1, e.msg});
  }
}

tl::expected<daemon_config, error> load(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return tl::unexpected(
        error{"", 0, "cannot read file: " + std::generic_category().message(text.error())});
  }
  return parse(*text);
}

std::optional<endpoint> parse_endpoint(const std::string& text) {
  std::string_view rest = text;
  std::string_view host;
  if (rest.starts_with('[')) {  // [v6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (host.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    host = rest.substr(0, rest.find(':'));
    rest.remove_prefix(host.size());
  }
  const bool bad_host = host.empty() || host.find_first_of(" \t[]") != std::string_view::npos;
  if (bad_host || !rest.starts_with(':')) return std::nullopt;
  rest.remove_prefix(1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
  if (ec != std::errc{} || end != rest.data() + rest.size() || port > 65535) {
    return std::nullopt;
  }
  return endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace smsgw::config
