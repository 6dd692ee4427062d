// Delivery receipts. The text format is SMPP 3.4 Appendix B, which is informative only, so
// SMSCs vary: key case, `submit_date` for `submit date`, fields missing or reordered, ids in
// hex where submit_sm_resp gave decimal. The TLVs of SMPP 3.4 §5.3.2 are preferred.
#include "smpp/receipt.hpp"

#include <array>
#include <cctype>
#include <cstddef>
#include <limits>

namespace smsgw::smpp {
namespace {

constexpr std::uint8_t esm_type_mask = 0x3C;  // esm_class bits 2-5, the message type

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// `text` as an unsigned number in `base` (10 or 16); nullopt when empty, when a character
/// is not a digit of that base, or when the value does not fit 64 bits.
std::optional<std::uint64_t> parse_unsigned(std::string_view text, unsigned base) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    const char l = lower(c);
    unsigned digit = 0;
    if (l >= '0' && l <= '9') {
      digit = static_cast<unsigned>(l - '0');
    } else if (base == 16 && l >= 'a' && l <= 'f') {
      digit = static_cast<unsigned>(l - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

/// The fields of a receipt text that smsgw reads; `sub:`, `dlvrd:` and unknown ones are
/// skipped like any other word.
enum class field { id, submit_date, done_date, stat, err, text };
constexpr std::size_t field_count = 6;
static_assert(static_cast<std::size_t>(field::text) + 1 == field_count);

struct key_name {
  std::string_view name;  // compared case-insensitively, followed by ':'
  field which;
};

constexpr std::array<key_name, 8> key_names = {{
    {"id", field::id},
    {"submit date", field::submit_date},
    {"submit_date", field::submit_date},
    {"done date", field::done_date},
    {"done_date", field::done_date},
    {"stat", field::stat},
    {"err", field::err},
    {"text", field::text},
}};

/// The values of the text's fields; the first occurrence of a key wins.
struct text_fields {
  std::array<std::optional<std::string_view>, field_count> values;
  [[nodiscard]] std::optional<std::string_view> get(field f) const {
    return values[static_cast<std::size_t>(f)];
  }
};

/// Splits `id:… sub:… stat:… text:…` into fields. A value ends at white space, except the
/// value of `text:`, which is the rest of the receipt (it quotes the message, so anything
/// after it may be the subscriber's words and is not read as fields).
text_fields read_text(std::string_view s) {
  text_fields out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
      continue;
    }
    const key_name* key = nullptr;
    for (const auto& k : key_names) {
      const std::size_t n = k.name.size();
      if (s.size() - i > n && s[i + n] == ':' && iequals(s.substr(i, n), k.name)) {
        key = &k;
        break;
      }
    }
    if (key == nullptr) {  // an unknown word or field: skip it
      while (i < s.size() && !is_space(s[i])) ++i;
      continue;
    }
    i += key->name.size() + 1;
    if (key->which == field::text) break;
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    auto& slot = out.values[static_cast<std::size_t>(key->which)];
    if (!slot) slot = s.substr(start, i - start);
  }
  return out;
}

/// A C-octet string TLV up to its first NUL (some SMSCs send the NUL, some do not).
std::string_view c_string(std::string_view value) {
  return value.substr(0, value.find('\0'));
}

/// The state with SMPP 3.4 §5.2.28 value `n` (1..8).
std::optional<message_state> state_from_number(std::uint64_t n) {
  if (n < 1 || n > 8) return std::nullopt;
  return static_cast<message_state>(n);
}

std::string to_hex(std::string_view octets) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(octets.size() * 2);
  for (const char c : octets) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

}  // namespace

std::optional<message_state> parse_state(std::string_view text) {
  struct state_name {
    std::string_view name;
    message_state state;
  };
  // Appendix B's abbreviations, then the full names of §5.2.28 that some SMSCs send.
  static constexpr std::array<state_name, 13> names = {{
      {"ENROUTE", message_state::enroute},
      {"DELIVRD", message_state::delivered},
      {"EXPIRED", message_state::expired},
      {"DELETED", message_state::deleted},
      {"UNDELIV", message_state::undeliverable},
      {"ACCEPTD", message_state::accepted},
      {"UNKNOWN", message_state::unknown},
      {"REJECTD", message_state::rejected},
      {"DELIVERED", message_state::delivered},
      {"UNDELIVERABLE", message_state::undeliverable},
      {"ACCEPTED", message_state::accepted},
      {"REJECTED", message_state::rejected},
      {"UNDELIVERED", message_state::undeliverable},
  }};
  for (const auto& n : names) {
    if (iequals(text, n.name)) return n.state;
  }
  const auto number = parse_unsigned(text, 10);
  return number ? state_from_number(*number) : std::nullopt;
}

const char* to_string(message_state s) {
  switch (s) {
    case message_state::enroute: return "ENROUTE";
    case message_state::delivered: return "DELIVRD";
    case message_state::expired: return "EXPIRED";
    case message_state::deleted: return "DELETED";
    case message_state::undeliverable: return "UNDELIV";
    case message_state::accepted: return "ACCEPTD";
    case message_state::unknown: return "UNKNOWN";
    case message_state::rejected: return "REJECTD";
  }
  return "UNKNOWN";
}

bool receipt::matches(std::string_view submitted_id) const {
  // An empty id names no message, even when the other is empty too.
  if (message_id.empty() || submitted_id.empty()) return false;
  if (message_id == submitted_id) return true;
  const auto ours_dec = parse_unsigned(message_id, 10);
  const auto theirs_dec = parse_unsigned(submitted_id, 10);
  // Both decimal: the numbers decide (leading zeros), and reading either as hex would let
  // `100` match `256`.
  if (ours_dec && theirs_dec) return *ours_dec == *theirs_dec;
  const auto ours_hex = parse_unsigned(message_id, 16);
  const auto theirs_hex = parse_unsigned(submitted_id, 16);
  if (ours_hex && theirs_dec && *ours_hex == *theirs_dec) return true;
  if (ours_dec && theirs_hex && *ours_dec == *theirs_hex) return true;
  // Both hex only: equal ignoring case and leading zeros.
  return !ours_dec && !theirs_dec && ours_hex && theirs_hex && *ours_hex == *theirs_hex;
}

bool is_receipt(const sm_body& deliver) {
  const auto type = deliver.esm_class & esm_type_mask;
  // SMSC delivery receipt, SME delivery ack, SME user ack, intermediate notification.
  return type == 0x04 || type == 0x08 || type == 0x10 || type == 0x20;
}

std::optional<receipt> parse_receipt(const sm_body& deliver) {
  std::string_view text = deliver.short_message;
  if (text.empty()) {
    if (const std::string* payload = deliver.find_tlv(tag::message_payload)) text = *payload;
  }
  const text_fields fields = read_text(text);

  receipt r;
  if (const std::string* id = deliver.find_tlv(tag::receipted_message_id)) {
    r.message_id = std::string(c_string(*id));
  }
  if (r.message_id.empty()) {
    if (const auto id = fields.get(field::id)) r.message_id = std::string(*id);
  }
  if (r.message_id.empty()) return std::nullopt;

  const std::string* state = deliver.find_tlv(tag::message_state);
  const auto tlv_state = state != nullptr && state->size() == 1
                             ? state_from_number(static_cast<unsigned char>((*state)[0]))
                             : std::nullopt;
  const auto text_state =
      fields.get(field::stat) ? parse_state(*fields.get(field::stat)) : std::nullopt;
  r.state = tlv_state.value_or(text_state.value_or(message_state::unknown));

  if (const auto err = fields.get(field::err); err && !err->empty()) {
    r.error = std::string(*err);
  } else if (const std::string* code = deliver.find_tlv(tag::network_error_code);
             code != nullptr && code->size() == 3) {
    r.error = to_hex(*code);
  }
  if (const auto d = fields.get(field::submit_date)) r.submit_date = std::string(*d);
  if (const auto d = fields.get(field::done_date)) r.done_date = std::string(*d);
  return r;
}

}  // namespace smsgw::smpp
