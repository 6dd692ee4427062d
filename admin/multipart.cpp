#include "admin/multipart.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace smsgw::admin {
namespace {

constexpr std::size_t max_boundary = 70;  // RFC 2046 §5.1.1
constexpr std::string_view bad_delimiter =
    "a delimiter is followed by neither a line end nor \"--\"";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Control characters other than HT have no place in a header line; a stray CR or NUL in a
// name would otherwise reach the logs and the store.
bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// bchars of RFC 2046 §5.1.1: a space is allowed, but not last.
bool valid_boundary(std::string_view b) {
  constexpr std::string_view specials = "'()+_,-./:=? ";
  if (b.empty() || b.size() > max_boundary || b.back() == ' ') return false;
  for (const char c : b) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && specials.find(c) == std::string_view::npos) return false;
  }
  return true;
}

/// A header value `type *(";" name "=" value)` as Content-Type and Content-Disposition have
/// (RFC 2045 §5.1, RFC 6266 §4.1): type and parameter names lowercased.
struct header_value {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;

  /// The value of parameter `name`, nullopt when absent; `twice` is set when it repeats.
  [[nodiscard]] std::optional<std::string> param(std::string_view name, bool& twice) const {
    std::optional<std::string> found;
    for (const auto& [k, v] : params) {
      if (k != name) continue;
      if (found) twice = true;
      found = v;
    }
    return found;
  }
};

std::optional<header_value> parse_header_value(std::string_view s) {
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < s.size() && is_space(s[i])) ++i;
  };
  // Lenient tokens, as clients send them: anything up to a space, a control or a `stops`.
  const auto token = [&](std::string_view stops) {
    const std::size_t start = i;
    while (i < s.size() && !is_space(s[i]) && !is_control(s[i]) &&
           stops.find(s[i]) == std::string_view::npos) {
      ++i;
    }
    return s.substr(start, i - start);
  };
  header_value out;
  skip_space();
  out.type = lowercase(token(";"));
  if (out.type.empty()) return std::nullopt;
  for (;;) {
    skip_space();
    if (i == s.size()) return out;
    if (s[i] != ';') return std::nullopt;
    ++i;
    skip_space();
    if (i == s.size()) return out;  // a trailing ';', which some clients send
    std::string name = lowercase(token(";=\""));
    skip_space();
    if (name.empty() || i == s.size() || s[i] != '=') return std::nullopt;
    ++i;
    skip_space();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      // A backslash still escapes the next character, so `\"` does not end the string, but
      // it is kept, as is a %22: browsers send `"` as %22 and a backslash bare (WHATWG), so
      // undoing escapes would change the names they send.
      const std::size_t start = ++i;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      if (i >= s.size()) return std::nullopt;
      value = s.substr(start, i - start);
      ++i;
    } else {
      value = token(";\"");
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
}

// The delimiter search relies on the boundary holding no CR (see scan_content).
std::string delimiter_of(std::string boundary) {
  if (!valid_boundary(boundary)) throw std::invalid_argument("not a multipart boundary");
  return "\r\n--" + std::move(boundary);
}

}  // namespace

std::optional<std::string> form_boundary(std::string_view content_type) {
  const auto v = parse_header_value(content_type);
  if (!v || v->type != "multipart/form-data") return std::nullopt;
  bool twice = false;
  auto boundary = v->param("boundary", twice);
  if (twice || !boundary || !valid_boundary(*boundary)) return std::nullopt;
  return boundary;
}

form_scanner::form_scanner(std::string boundary, form_limits limits)
    : delimiter_(delimiter_of(std::move(boundary))), limits_(limits) {}

tl::expected<void, std::string> form_scanner::feed(std::string_view chunk) {
  std::size_t i = 0;
  while (i < chunk.size() && state_ != state::failed) {
    switch (state_) {
      case state::preamble:
      case state::content: i = scan_content(chunk, i); break;
      case state::headers: i = scan_headers(chunk, i); break;
      case state::epilogue: i = chunk.size(); break;
      case state::after_boundary:
      case state::padding:
      case state::line_feed:
      case state::close_dash: delimiter_line(chunk[i++]); break;
      case state::failed: break;
    }
  }
  fed_ += chunk.size();
  if (state_ == state::failed) return tl::unexpected<std::string>(error_);
  return {};
}

tl::expected<void, std::string> form_scanner::finish() {
  if (state_ == state::preamble) fail("the body has no delimiter");
  if (state_ != state::epilogue && state_ != state::failed) {
    fail("the body ends before the close delimiter");
  }
  if (state_ == state::failed) return tl::unexpected<std::string>(error_);
  return {};
}

std::size_t form_scanner::scan_content(std::string_view chunk, std::size_t i) {
  while (i < chunk.size()) {
    if (matched_ == 0) {
      // Nothing of a delimiter is pending: all up to the next CR is content.
      const std::size_t cr = std::min(chunk.find('\r', i), chunk.size());
      take_content(chunk.substr(i, cr - i));
      i = cr;
      if (i == chunk.size() || state_ == state::failed) return i;
    }
    if (chunk[i] == delimiter_[matched_]) {
      ++i;
      if (++matched_ < delimiter_.size()) continue;
      if (state_ == state::content) {
        part_.length = fed_ + i - (delimiter_.size() - assumed_) - part_.offset;
        parts_.push_back(std::move(part_));
        part_ = {};
      }
      state_ = state::after_boundary;
      return i;
    }
    // A broken match is content. The delimiter holds a CR only as its first byte (a
    // boundary has none), so no later byte of the match can start a new one: only this
    // byte can, and it is looked at again with nothing pending.
    take_content(std::string_view(delimiter_).substr(assumed_, matched_ - assumed_));
    matched_ = 0;
    assumed_ = 0;
    if (state_ == state::failed) return i;
  }
  return i;
}

void form_scanner::delimiter_line(char c) {
  // After a boundary: "--" closes the body; else transport padding and the CRLF (or a bare
  // LF, as in part headers) before the next part's headers.
  switch (state_) {
    case state::after_boundary:
      if (c == '-') {
        state_ = state::close_dash;
        return;
      }
      [[fallthrough]];
    case state::padding:
      if (is_space(c)) {
        state_ = state::padding;
        return;
      }
      if (c == '\r') {
        state_ = state::line_feed;
        return;
      }
      if (c == '\n') return start_part();
      break;
    case state::line_feed:
      if (c == '\n') return start_part();
      break;
    case state::close_dash:
      if (c == '-') {
        state_ = state::epilogue;
        return;
      }
      break;
    default: break;
  }
  fail(std::string(bad_delimiter));
}

void form_scanner::start_part() {
  if (parts_.size() >= limits_.max_parts) return fail("too many parts");
  header_block_.clear();
  header_bytes_ = 0;
  state_ = state::headers;
}

std::size_t form_scanner::scan_headers(std::string_view chunk, std::size_t i) {
  while (i < chunk.size()) {
    const std::size_t lf = chunk.find('\n', i);
    const std::size_t end = lf == std::string_view::npos ? chunk.size() : lf + 1;
    // Counted before it is kept, so the block never grows past the limit.
    header_bytes_ += end - i;
    if (header_bytes_ > limits_.max_header_bytes) {
      fail("a part's header block is too long");
      return end;
    }
    header_block_.append(chunk.substr(i, end - i));
    i = end;
    if (lf == std::string_view::npos) return i;
    // CRLF or a bare LF ends a line; an empty line ends the block.
    header_block_.pop_back();
    if (!header_block_.empty() && header_block_.back() == '\r') header_block_.pop_back();
    if (header_block_.empty() || header_block_.back() == '\n') {
      end_headers(fed_ + i);
      return i;
    }
    header_block_.push_back('\n');
  }
  return i;
}

void form_scanner::end_headers(std::uint64_t content_offset) {
  std::optional<std::string> disposition;
  std::optional<std::string> content_type;
  // Logical lines: a line that starts with a space or tab continues the one before (RFC
  // 5322 §2.2.3 folding).
  std::vector<std::string> lines;
  std::string_view block = header_block_;
  while (!block.empty()) {
    const auto line = block.substr(0, block.find('\n'));
    block.remove_prefix(std::min(block.size(), line.size() + 1));
    if (!line.empty() && is_space(line.front()) && !lines.empty()) {
      lines.back().append(line);
    } else {
      lines.emplace_back(line);
    }
  }
  for (const std::string_view line : lines) {
    const auto colon = line.find(':');
    const auto name = line.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() || name.find_first_of(" \t") != name.npos ||
        std::any_of(line.begin(), line.end(), is_control)) {
      return fail("a part has a malformed header line");
    }
    std::optional<std::string>* slot = iequals(name, "content-disposition") ? &disposition
                                       : iequals(name, "content-type")      ? &content_type
                                                                            : nullptr;
    if (slot == nullptr) continue;
    if (*slot) {
      return fail(slot == &disposition ? "a part has two Content-Disposition headers"
                                       : "a part has two Content-Type headers");
    }
    slot->emplace(trim(line.substr(colon + 1)));
  }
  header_block_.clear();

  if (!disposition) return fail("a part has no Content-Disposition");
  const auto d = parse_header_value(*disposition);
  bool twice = false;
  auto name = d ? d->param("name", twice) : std::nullopt;
  auto filename = d ? d->param("filename", twice) : std::nullopt;
  if (!d || twice) return fail("a part has a malformed Content-Disposition");
  if (d->type != "form-data") return fail("a part's Content-Disposition is not form-data");
  if (!name || name->empty()) return fail("a part's Content-Disposition has no name");
  part_.name = std::move(*name);
  part_.filename = std::move(filename);
  part_.content_type = content_type.value_or("");
  part_.offset = content_offset;
  matched_ = 2;
  assumed_ = 2;
  state_ = state::content;
}

void form_scanner::take_content(std::string_view bytes) {
  // The preamble is dropped, and a file's bytes stay in the body: only fields are kept.
  if (state_ != state::content || part_.filename || bytes.empty()) return;
  if (bytes.size() > limits_.max_field_bytes - part_.value.size()) {
    return fail("a field value is too long");
  }
  part_.value.append(bytes);
}

void form_scanner::fail(std::string why) {
  error_ = std::move(why);
  state_ = state::failed;
}

}  // namespace smsgw::admin
