// The only translation unit that includes libsmpp34: its headers leak generic macros and
// its diagnostics live in process-wide globals, so every call happens under one mutex.
#include "smpp/codec.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include <cstdint>  // libsmpp34's headers use uint8_t without including it
#include <cstdlib>
extern "C" {
#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
#include <smpp34_heap.h>
}

namespace smsgw::smpp {
namespace {

std::mutex libsmpp34_mutex;  // guards libsmpp34's globals and pack_buffer
std::array<std::uint8_t, max_pdu_size + 64> pack_buffer;  // larger than any PDU (pitfall 2)

// Wire width of the integer TLVs of PDU `command_id` (libsmpp34's per-PDU def_frame/*.tlv
// lists): a parameter of another length is refused (ESME_RINVPARLEN). Every other tag
// travels as raw octets.
int typed_width(std::uint32_t command_id, std::uint16_t t) {
  switch (command_id) {
    case command::deliver_sm:
      switch (t) {
        case 0x0204:
        case 0x020A:
        case 0x020B:
        case 0x020C:
        case 0x1383: return 2;
        case 0x020E:
        case 0x020F:
        case 0x0205:
        case 0x0201:
        case 0x0019:
        case 0x020D:
        case 0x0427:
        case 0x0421:
        case 0x000E: return 1;
        default: return 0;
      }
    case command::submit_sm:
      switch (t) {
        case 0x0204:
        case 0x020A:
        case 0x020B:
        case 0x020C:
        case 0x1203:
        case 0x1383: return 2;
        case 0x000D:
        case 0x0005:
        case 0x020E:
        case 0x020F:
        case 0x0426:
        case 0x0019:
        case 0x0201:
        case 0x0302:
        case 0x0205:
        case 0x1201:
        case 0x1204:
        case 0x0030:
        case 0x0304:
        case 0x020D:
        case 0x1380: return 1;
        default: return 0;
      }
    case command::bind_transceiver_resp:
    case command::bind_transmitter_resp:
    case command::bind_receiver_resp: return t == tag::sc_interface_version ? 1 : 0;
    default: return 0;
  }
}

// libsmpp34 leaks the TLV node it is filling when an unpack fails (DEPENDENCIES.md §7,
// pitfall 9). Its allocations go through these hooks, which remember what each thread
// holds, so that whatever a list does not reach after destroy_tlv() is freed too.
thread_local std::unordered_set<void*> live_allocations;

void* track_malloc(std::size_t n) {
  void* p = std::malloc(n);  // NOLINT(cppcoreguidelines-no-malloc): libsmpp34 frees with free()
  if (p != nullptr) live_allocations.insert(p);
  return p;
}
void* track_realloc(void* p, std::size_t n) {
  // Forgotten before the call: once realloc succeeds, even reading p is undefined (and GCC
  // 12 at -O3 says so); remembered again only when it fails and p still stands.
  const bool known = live_allocations.erase(p) > 0;
  void* q = std::realloc(p, n);  // NOLINT(cppcoreguidelines-no-malloc)
  if (q != nullptr) {
    live_allocations.insert(q);
  } else if (known && n != 0) {
    live_allocations.insert(p);
  }
  return q;
}
void track_free(void* p) {
  live_allocations.erase(p);
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}

void install_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const smpp34_memory_functions hooks{track_malloc, track_realloc, track_free};
    smpp34_set_memory_functions(&hooks);
  });
}

void free_leftovers() {
  for (void* p : live_allocations) std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
  live_allocations.clear();
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

template <std::size_t N>
void put_cstring(std::uint8_t (&dst)[N], const std::string& src, const char* field) {
  if (src.size() >= N || src.find('\0') != std::string::npos) {
    throw std::invalid_argument(std::string(field) + " is longer than " + std::to_string(N - 1) +
                                " octets");
  }
  std::memcpy(dst, src.data(), src.size());
  dst[src.size()] = 0;
}

template <std::size_t N>
std::string get_cstring(const std::uint8_t (&src)[N]) {
  const auto* p = reinterpret_cast<const char*>(src);
  return {p, ::strnlen(p, N)};
}

// --- TLV lists -----------------------------------------------------------------------------

// Owns a libsmpp34 TLV list; its end also frees what a failed unpack left unreachable.
struct tlv_list {
  tlv_t* head = nullptr;
  tlv_list() { install_allocator(); }
  tlv_list(const tlv_list&) = delete;
  tlv_list& operator=(const tlv_list&) = delete;
  ~tlv_list() {
    destroy_tlv(head);
    free_leftovers();
  }
};

// libsmpp34 traces every field it parses into its 2048-byte smpp34_strerror with snprintf
// and writes past its end from about 28 optional parameters on (fuzz_pdu found the crash;
// a full-size submit_sm with 20 traces about 1,650 bytes). So a bind response with more
// than this many is refused before the library sees it, and one to send refused too (the
// optional part of a submit_sm or deliver_sm is ours: write_optional_part).
constexpr std::size_t max_optional_parameters = 20;

void to_tlv_list(std::uint32_t command_id, const std::vector<tlv>& in, tlv_t** head) {
  if (in.size() > max_optional_parameters) {
    throw std::invalid_argument("more than 20 optional parameters");
  }
  // build_tlv prepends: walk backwards so the wire keeps our order.
  for (auto it = in.rbegin(); it != in.rend(); ++it) {
    tlv_t node{};
    node.tag = it->tag;
    node.length = static_cast<std::uint16_t>(it->value.size());
    const auto* v = reinterpret_cast<const std::uint8_t*>(it->value.data());
    const int width = typed_width(command_id, it->tag);
    if (width != 0) {
      if (it->value.size() != static_cast<std::size_t>(width)) {
        throw std::invalid_argument("TLV " + std::to_string(it->tag) + " must be " +
                                    std::to_string(width) + " octets");
      }
      if (width == 1) node.value.val08 = v[0];
      if (width == 2) node.value.val16 = static_cast<std::uint16_t>((v[0] << 8) | v[1]);
      if (width == 4) node.value.val32 = get_u32(v);
    } else {
      if (it->value.size() > MAX_TLV_SIZE) {
        throw std::invalid_argument("TLV value longer than " + std::to_string(MAX_TLV_SIZE));
      }
      std::memcpy(node.value.octet, v, it->value.size());
    }
    build_tlv(head, &node);
  }
}

std::vector<tlv> from_tlv_list(std::uint32_t command_id, const tlv_t* head) {
  std::vector<tlv> out;
  for (const tlv_t* n = head; n != nullptr; n = n->next) {
    tlv t{n->tag, {}};
    const int width = typed_width(command_id, n->tag);
    std::uint8_t be[4];
    put_u32(be, width == 1 ? n->value.val08 : width == 2 ? n->value.val16 : n->value.val32);
    if (width != 0) {
      t.value.assign(reinterpret_cast<const char*>(be + 4 - width),
                     static_cast<std::size_t>(width));
    } else {
      const std::size_t len = std::min<std::size_t>(n->length, MAX_TLV_SIZE);
      t.value.assign(reinterpret_cast<const char*>(n->value.octet), len);
    }
    out.push_back(std::move(t));
  }
  std::reverse(out.begin(), out.end());  // libsmpp34 prepends while unpacking
  return out;
}

// The optional part of a submit_sm or deliver_sm is written (here) and read
// (read_optional_part) by us, not by libsmpp34: it holds a TLV value in 1,024 octets and
// overruns its trace buffer from about 28 parameters, where SMPP 3.4 allows 65,535 octets
// (a long message_payload) and any number of parameters. libsmpp34 handles the mandatory
// fields, and the optional part of the bind responses (one parameter).
void write_optional_part(std::uint32_t command_id, const std::vector<tlv>& tlvs,
                         std::vector<std::uint8_t>& pdu) {
  for (const auto& t : tlvs) {
    const int width = typed_width(command_id, t.tag);
    if (width != 0 && t.value.size() != static_cast<std::size_t>(width)) {
      throw std::invalid_argument("TLV " + std::to_string(t.tag) + " must be " +
                                  std::to_string(width) + " octets");
    }
    if (t.value.size() > 0xFFFF) throw std::invalid_argument("TLV value longer than 65535");
    const auto length = static_cast<std::uint16_t>(t.value.size());
    pdu.insert(pdu.end(),
               {static_cast<std::uint8_t>(t.tag >> 8), static_cast<std::uint8_t>(t.tag),
                static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)});
    pdu.insert(pdu.end(), t.value.begin(), t.value.end());
  }
  if (pdu.size() > max_pdu_size) {
    throw std::invalid_argument(command_name(command_id) + " longer than " +
                                std::to_string(max_pdu_size) + " octets");
  }
  put_u32(pdu.data(), static_cast<std::uint32_t>(pdu.size()));
}

// --- bodies ----------------------------------------------------------------------------------

template <class S>
void fill_sm(S& s, const sm_body& b) {
  put_cstring(s.service_type, b.service_type, "service_type");
  s.source_addr_ton = b.source.ton;
  s.source_addr_npi = b.source.npi;
  put_cstring(s.source_addr, b.source.value, "source_addr");
  s.dest_addr_ton = b.destination.ton;
  s.dest_addr_npi = b.destination.npi;
  put_cstring(s.destination_addr, b.destination.value, "destination_addr");
  s.esm_class = b.esm_class;
  s.protocol_id = b.protocol_id;
  s.priority_flag = b.priority_flag;
  put_cstring(s.schedule_delivery_time, b.schedule_delivery_time, "schedule_delivery_time");
  put_cstring(s.validity_period, b.validity_period, "validity_period");
  s.registered_delivery = b.registered_delivery;
  s.replace_if_present_flag = b.replace_if_present_flag;
  s.data_coding = b.data_coding;
  s.sm_default_msg_id = b.sm_default_msg_id;
  // libsmpp34 packs at most 253 octets (DEPENDENCIES.md §7, pitfall 3).
  if (b.short_message.size() > 253) throw std::invalid_argument("short_message over 253 octets");
  s.sm_length = static_cast<std::uint8_t>(b.short_message.size());
  std::memcpy(s.short_message, b.short_message.data(), b.short_message.size());
}

template <class S>
sm_body read_sm(const S& s) {
  sm_body b;
  b.service_type = get_cstring(s.service_type);
  b.source = {s.source_addr_ton, s.source_addr_npi, get_cstring(s.source_addr)};
  b.destination = {s.dest_addr_ton, s.dest_addr_npi, get_cstring(s.destination_addr)};
  b.esm_class = s.esm_class;
  b.protocol_id = s.protocol_id;
  b.priority_flag = s.priority_flag;
  b.schedule_delivery_time = get_cstring(s.schedule_delivery_time);
  b.validity_period = get_cstring(s.validity_period);
  b.registered_delivery = s.registered_delivery;
  b.replace_if_present_flag = s.replace_if_present_flag;
  b.data_coding = s.data_coding;
  b.sm_default_msg_id = s.sm_default_msg_id;
  b.short_message.assign(reinterpret_cast<const char*>(s.short_message),
                         std::min<std::size_t>(s.sm_length, sizeof(s.short_message)));
  return b;  // its optional part is read by read_optional_part
}

template <class S>
void fill_bind(S& s, const bind_body& b) {
  put_cstring(s.system_id, b.system_id, "system_id");
  put_cstring(s.password, b.password, "password");
  put_cstring(s.system_type, b.system_type, "system_type");
  s.interface_version = b.interface_version;
  s.addr_ton = b.address_range.ton;
  s.addr_npi = b.address_range.npi;
  put_cstring(s.address_range, b.address_range.value, "address_range");
}

template <class S>
bind_body read_bind(const S& s) {
  return {get_cstring(s.system_id), get_cstring(s.password), get_cstring(s.system_type),
          s.interface_version, address{s.addr_ton, s.addr_npi, get_cstring(s.address_range)}};
}

// Maps libsmpp34's trace to the status SMPP 3.4 asks for. The trace lists each field
// read as `[name:value(OK)]` and stops at the one that failed, so the last entry names it
// (`leng ` prefixes length failures; `tag`, `length` and `value.*` are TLV parts).
std::uint32_t status_from_trace(std::string_view trace, std::uint32_t fallback) {
  const auto boundary = trace.rfind("][");
  const auto start = boundary == std::string_view::npos ? trace.find('[') : boundary + 1;
  if (start == std::string_view::npos) return fallback;
  auto field = trace.substr(start + 1, trace.find(':', start) - start - 1);
  if (field.starts_with("leng ")) field.remove_prefix(5);
  struct field_status {
    std::string_view field;
    std::uint32_t status;
  };
  static constexpr field_status table[] = {
      {"source_addr_ton", status::invalid_source_ton},
      {"source_addr_npi", status::invalid_source_npi},
      {"dest_addr_ton", status::invalid_dest_ton},
      {"dest_addr_npi", status::invalid_dest_npi},
      {"addr_ton", status::bind_failed},
      {"addr_npi", status::bind_failed},
      {"source_addr", status::invalid_source_address},
      {"destination_addr", status::invalid_dest_address},
      {"interface_version", status::bind_failed},
      {"system_id", status::invalid_system_id},
      {"password", status::invalid_password},
      {"system_type", 0x53},              // ESME_RINVSYSTYP
      {"service_type", 0x15},             // ESME_RINVSERTYP
      {"esm_class", 0x43},                // ESME_RINVESMCLASS
      {"priority_flag", 0x06},            // ESME_RINVPRTFLG
      {"registered_delivery", 0x07},      // ESME_RINVREGDLVFLG
      {"replace_if_present_flag", 0x54},  // ESME_RINVREPFLAG
      {"schedule_delivery_time", 0x61},   // ESME_RINVSCHED
      {"validity_period", 0x62},          // ESME_RINVEXPIRY
      {"sm_length", status::invalid_message_length},
      {"short_message", status::invalid_message_length},
      {"tag", status::invalid_optional_stream},
      {"length", status::invalid_optional_stream},
  };
  if (field.starts_with("value")) return status::invalid_optional_stream;
  for (const auto& [name, st] : table) {
    if (field == name) return st;
  }
  return fallback;
}

// Runs smpp34_unpack on a copy whose header libsmpp34 accepts: it refuses sequence 0 and
// command_status values it does not know, neither of which matters for a body.
template <class S>
bool unpack(std::uint32_t id, S& s, std::span<const std::uint8_t> bytes, std::string& trace) {
  install_allocator();
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  put_u32(copy.data(), static_cast<std::uint32_t>(copy.size()));
  put_u32(copy.data() + 8, 0);
  if (get_u32(copy.data() + 12) == 0) put_u32(copy.data() + 12, 1);
  std::memset(&s, 0, sizeof s);
  const std::lock_guard lock(libsmpp34_mutex);
  const int rc = smpp34_unpack(id, &s, copy.data(), static_cast<int>(copy.size()));
  if (rc != 0) trace.assign(smpp34_strerror, ::strnlen(smpp34_strerror, sizeof smpp34_strerror));
  return rc == 0;
}

template <class S>
std::vector<std::uint8_t> pack(const pdu& p, S& s) {
  s.command_id = p.command_id;
  s.command_status = status::ok;
  s.sequence_number = p.sequence == 0 ? 1 : p.sequence;
  int len = 0;
  const std::lock_guard lock(libsmpp34_mutex);
  if (smpp34_pack(p.command_id, pack_buffer.data(), static_cast<int>(pack_buffer.size()), &len,
                  &s) != 0) {
    throw std::invalid_argument("libsmpp34 refused " + command_name(p.command_id) + ": " +
                                std::string(smpp34_strerror, ::strnlen(smpp34_strerror, 256)));
  }
  std::vector<std::uint8_t> out(pack_buffer.begin(), pack_buffer.begin() + len);
  put_u32(out.data() + 8, p.status);
  put_u32(out.data() + 12, p.sequence);
  return out;
}

std::vector<std::uint8_t> header_only(const pdu& p) {
  std::vector<std::uint8_t> out(header_size);
  put_u32(out.data(), header_size);
  put_u32(out.data() + 4, p.command_id);
  put_u32(out.data() + 8, p.status);
  put_u32(out.data() + 12, p.sequence);
  return out;
}

template <class S>
std::vector<std::uint8_t> encode_sm(const pdu& p) {
  S s{};
  const auto* b = std::get_if<sm_body>(&p.body);
  if (b == nullptr) throw std::invalid_argument(command_name(p.command_id) + " needs an sm body");
  fill_sm(s, *b);
  s.tlv = nullptr;
  auto out = pack(p, s);
  write_optional_part(p.command_id, b->tlvs, out);
  return out;
}

template <class S>
std::vector<std::uint8_t> encode_bind(const pdu& p) {
  S s{};
  const auto* b = std::get_if<bind_body>(&p.body);
  if (b == nullptr) throw std::invalid_argument(command_name(p.command_id) + " needs a bind body");
  fill_bind(s, *b);
  return pack(p, s);
}

template <class S>
std::vector<std::uint8_t> encode_bind_resp(const pdu& p) {
  S s{};
  tlv_list owner;
  if (const auto* b = std::get_if<bind_resp_body>(&p.body)) {
    put_cstring(s.system_id, b->system_id, "system_id");
    to_tlv_list(p.command_id, b->tlvs, &owner.head);
  }
  s.tlv = owner.head;
  return pack(p, s);
}

template <class S>
tl::expected<pdu, decode_error> decode_with(const header& h, std::span<const std::uint8_t> bytes,
                                            pdu& out, auto&& convert) {
  S s;
  std::string trace;
  const bool ok = unpack(h.command_id, s, bytes, trace);
  tlv_list owner;  // freed on every path, also after a failed unpack
  if constexpr (requires { s.tlv; }) owner.head = s.tlv;
  if (!ok) {
    const std::uint32_t fallback = is_response(h.command_id) ? status::system_error
                                   : h.length == header_size ? status::invalid_command_length
                                                             : status::system_error;
    return tl::unexpected(decode_error{h, status_from_trace(trace, fallback),
                                       "libsmpp34 refused " + command_name(h.command_id)});
  }
  out.body = convert(s);
  return out;
}

}  // namespace

frame check_frame(std::span<const std::uint8_t> buffered) {
  if (buffered.size() < 4) return {frame_state::need_more, 0};
  const std::uint32_t length = get_u32(buffered.data());
  if (length < header_size || length > max_pdu_size) return {frame_state::malformed, length};
  if (buffered.size() < length) return {frame_state::need_more, length};
  return {frame_state::complete, length};
}

header read_header(std::span<const std::uint8_t> bytes) {
  const auto* p = bytes.data();
  return {get_u32(p), get_u32(p + 4), get_u32(p + 8), get_u32(p + 12)};
}

// Reads the mandatory fields of a body: C-octet strings and fixed-size fields, in order.
class field_reader {
 public:
  explicit field_reader(std::span<const std::uint8_t> fields) : rest_(fields) {}
  bool cstring() {
    const auto end = std::find(rest_.begin(), rest_.end(), std::uint8_t{0});
    if (end == rest_.end()) return false;
    rest_ = rest_.subspan(static_cast<std::size_t>(end - rest_.begin()) + 1);
    return true;
  }
  bool skip(std::size_t n) {
    if (rest_.size() < n) return false;
    rest_ = rest_.subspan(n);
    return true;
  }
  [[nodiscard]] std::uint8_t peek() const { return rest_.empty() ? 0 : rest_.front(); }
  [[nodiscard]] std::span<const std::uint8_t> rest() const { return rest_; }

 private:
  std::span<const std::uint8_t> rest_;
};

// The optional part after the mandatory fields of a submit_sm/deliver_sm (read here, see
// write_optional_part) or a bind response (checked here before libsmpp34 reads it: its
// trace of a long or broken optional part overruns its buffer).
struct optional_part {
  bool found = false;      ///< false when the mandatory part is malformed (libsmpp34 refuses
                           ///< that itself, naming the field)
  std::size_t offset = 0;  ///< where it starts in the body: the mandatory part's size
  std::vector<tlv> tlvs;
  std::uint32_t status = status::ok;  ///< why it is refused, if it is
  std::string problem;
};

optional_part read_optional_part(std::uint32_t command_id, std::span<const std::uint8_t> fields) {
  field_reader r(fields);
  const bool sm = command_id == command::submit_sm || command_id == command::deliver_sm;
  if (sm) {
    // service_type, source ton/npi/addr, dest ton/npi/addr, esm_class, protocol_id,
    // priority_flag, schedule_delivery_time, validity_period, registered_delivery,
    // replace_if_present_flag, data_coding, sm_default_msg_id, sm_length, short_message.
    if (!(r.cstring() && r.skip(2) && r.cstring() && r.skip(2) && r.cstring() && r.skip(3) &&
          r.cstring() && r.cstring() && r.skip(4))) {
      return {};
    }
    const std::size_t sm_length = r.peek();
    if (!r.skip(1 + sm_length)) return {};
  } else if (!r.cstring()) {  // system_id
    return {};
  }
  optional_part out;
  out.found = true;
  auto rest = r.rest();
  out.offset = fields.size() - rest.size();
  std::size_t count = 0;
  for (; rest.size() >= 4; ++count) {
    const auto tag = static_cast<std::uint16_t>((rest[0] << 8) | rest[1]);
    const std::size_t length = (std::size_t{rest[2]} << 8) | rest[3];
    if (rest.size() < 4 + length) {
      out.status = status::invalid_optional_stream;
      out.problem = "malformed optional parameters";
      return out;
    }
    // An integer parameter must be as long as its type (and libsmpp34, reading a bind
    // response's, would take the rest of its value for more parameters).
    const int width = typed_width(command_id, tag);
    if (width != 0 && length != static_cast<std::size_t>(width)) {
      char problem[80];
      std::snprintf(problem, sizeof problem, "optional parameter 0x%04X is %zu octets, not %d", tag,
                    length, width);
      out.status = status::invalid_parameter_length;
      out.problem = problem;
      return out;
    }
    if (sm)
      out.tlvs.push_back(
          {tag, std::string(reinterpret_cast<const char*>(rest.data()) + 4, length)});
    rest = rest.subspan(4 + length);
  }
  if (!rest.empty()) {
    out.status = status::invalid_optional_stream;
    out.problem = "malformed optional parameters";
  } else if (!sm && count > max_optional_parameters) {
    out.status = status::invalid_optional_stream;
    out.problem = "more than 20 optional parameters";
  }
  return out;
}

tl::expected<pdu, decode_error> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < header_size) {
    return tl::unexpected(decode_error{{}, status::invalid_command_length, "short PDU"});
  }
  const header h = read_header(bytes);
  if (h.length != bytes.size()) {
    return tl::unexpected(decode_error{h, status::invalid_command_length, "length mismatch"});
  }
  pdu out{h.command_id, h.status, h.sequence, empty_body{}};
  // An error response carries no body worth reading, whatever the status (vendor codes too).
  if (is_response(h.command_id) && h.status != status::ok) return out;
  const bool sm = h.command_id == command::submit_sm || h.command_id == command::deliver_sm;
  const bool bind_resp = h.command_id == command::bind_transceiver_resp ||
                         h.command_id == command::bind_transmitter_resp ||
                         h.command_id == command::bind_receiver_resp;
  optional_part optional;
  if (sm || bind_resp) {
    optional = read_optional_part(h.command_id, bytes.subspan(header_size));
    if (optional.status != status::ok) {
      return tl::unexpected(decode_error{h, optional.status, std::move(optional.problem)});
    }
  }
  // libsmpp34 reads a submit_sm's or deliver_sm's mandatory fields only.
  const auto mandatory = sm && optional.found ? bytes.first(header_size + optional.offset) : bytes;
  const auto with_tlvs = [&optional](sm_body b) {
    b.tlvs = std::move(optional.tlvs);
    return smpp::body{std::move(b)};
  };
  switch (h.command_id) {
    case command::enquire_link:
    case command::enquire_link_resp:
    case command::unbind:
    case command::unbind_resp:
    case command::generic_nack: return out;
    case command::deliver_sm_resp: {
      // Usually one NUL octet; some SMSCs send none, some a message id. Accept all three.
      const auto rest = bytes.subspan(header_size);
      const auto* p = reinterpret_cast<const char*>(rest.data());
      out.body = sm_resp_body{std::string(p, ::strnlen(p, rest.size()))};
      return out;
    }
    case command::submit_sm_resp:
      if (h.length == header_size) {
        out.body = sm_resp_body{};
        return out;
      }
      return decode_with<submit_sm_resp_t>(h, bytes, out, [](const submit_sm_resp_t& s) {
        return smpp::body{sm_resp_body{get_cstring(s.message_id)}};
      });
    case command::submit_sm:
      return decode_with<submit_sm_t>(h, mandatory, out,
                                      [&](const submit_sm_t& s) { return with_tlvs(read_sm(s)); });
    case command::deliver_sm:
      return decode_with<deliver_sm_t>(
          h, mandatory, out, [&](const deliver_sm_t& s) { return with_tlvs(read_sm(s)); });
    case command::bind_transceiver:
      return decode_with<bind_transceiver_t>(
          h, bytes, out, [](const bind_transceiver_t& s) { return smpp::body{read_bind(s)}; });
    case command::bind_transmitter:
      return decode_with<bind_transmitter_t>(
          h, bytes, out, [](const bind_transmitter_t& s) { return smpp::body{read_bind(s)}; });
    case command::bind_receiver:
      return decode_with<bind_receiver_t>(
          h, bytes, out, [](const bind_receiver_t& s) { return smpp::body{read_bind(s)}; });
    case command::bind_transceiver_resp:
    case command::bind_transmitter_resp:
    case command::bind_receiver_resp:
      if (h.length == header_size) {
        out.body = bind_resp_body{};
        return out;
      }
      // The three responses share one layout.
      return decode_with<bind_transceiver_resp_t>(
          h, bytes, out, [&h](const bind_transceiver_resp_t& s) {
            return smpp::body{
                bind_resp_body{get_cstring(s.system_id), from_tlv_list(h.command_id, s.tlv)}};
          });
    default: return tl::unexpected(decode_error{h, status::invalid_command_id, "unknown command"});
  }
}

std::vector<std::uint8_t> encode(const pdu& p) {
  if (is_response(p.command_id) && p.status != status::ok) return header_only(p);
  switch (p.command_id) {
    case command::enquire_link:
    case command::enquire_link_resp:
    case command::unbind:
    case command::unbind_resp:
    case command::generic_nack: return header_only(p);
    case command::submit_sm: return encode_sm<submit_sm_t>(p);
    case command::deliver_sm: return encode_sm<deliver_sm_t>(p);
    case command::submit_sm_resp: {
      submit_sm_resp_t s{};
      if (const auto* b = std::get_if<sm_resp_body>(&p.body)) {
        put_cstring(s.message_id, b->message_id, "message_id");
      }
      return pack(p, s);
    }
    case command::deliver_sm_resp: {
      deliver_sm_resp_t s{};  // message_id is unused: one NUL octet
      return pack(p, s);
    }
    case command::bind_transceiver: return encode_bind<bind_transceiver_t>(p);
    case command::bind_transmitter: return encode_bind<bind_transmitter_t>(p);
    case command::bind_receiver: return encode_bind<bind_receiver_t>(p);
    case command::bind_transceiver_resp: return encode_bind_resp<bind_transceiver_resp_t>(p);
    case command::bind_transmitter_resp: return encode_bind_resp<bind_transmitter_resp_t>(p);
    case command::bind_receiver_resp: return encode_bind_resp<bind_receiver_resp_t>(p);
    default: throw std::invalid_argument("cannot encode " + command_name(p.command_id));
  }
}

pdu error_response(const decode_error& e) {
  const auto id = e.status == status::invalid_command_id || is_response(e.hdr.command_id)
                      ? command::generic_nack
                      : e.hdr.command_id | command::response_bit;
  return pdu{id, e.status, e.hdr.sequence, empty_body{}};
}

}  // namespace smsgw::smpp
