// A `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) read as a stream: the form fields
// and where the uploaded file lies, from a body the server has spooled to a file. Pure: no
// I/O, fed chunks split anywhere, never holding more than one part's headers and one field
// value; file contents are never copied, only their offsets in the body recorded. Fuzzed
// (fuzz/multipart_fuzzer.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace smsgw::admin {

/// The boundary of a `multipart/form-data; boundary=...` Content-Type (quoted or not,
/// parameters in any order, case-insensitive type and parameter name), or nullopt when the
/// type is not multipart/form-data or the boundary is missing, empty, longer than 70 or has
/// characters RFC 2046 forbids.
std::optional<std::string> form_boundary(std::string_view content_type);

/// One part of a form: its name and, for a file, the filename; where its content lies in
/// the body (absolute offsets), and for a field (no filename) its value.
struct form_part {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;  ///< the part's Content-Type, "" when absent
  std::uint64_t offset = 0;  ///< first byte of the content in the whole body
  std::uint64_t length = 0;  ///< bytes of content
  std::string value;         ///< the content of a field part (no filename); empty for files

  friend bool operator==(const form_part&, const form_part&) = default;
};

/// What one form may hold; the scanner's memory is bounded by these, whatever the body size.
struct form_limits {
  std::size_t max_parts = 32;
  std::size_t max_field_bytes = std::size_t{64} * 1024;  ///< a field's value (not files)
  std::size_t max_header_bytes = std::size_t{8} * 1024;  ///< one part's header block
};

/// Fed the body in chunks of any size; `finish()` after the last. Each call returns an
/// error message (and the scanner stays failed) when the body is not a well-formed form:
/// missing or bad Content-Disposition (must be `form-data` with a `name`), a part header
/// block too long, too many parts, a field value too long, no closing delimiter, a delimiter
/// followed by anything but transport padding and a line end or "--" (RFC 2046 keeps the
/// delimiter out of content, so it is never taken for content), etc. Data before the first
/// delimiter (a preamble) and after the close delimiter (an epilogue) is ignored. Parameter
/// values keep their backslash escapes and `%22` as sent.
class form_scanner {
 public:
  /// Throws std::invalid_argument unless `boundary` is one form_boundary() could return.
  explicit form_scanner(std::string boundary, form_limits limits = {});

  /// Scans the next `chunk` bytes of the body.
  tl::expected<void, std::string> feed(std::string_view chunk);
  /// Ends the body: an error unless the close delimiter has been seen.
  tl::expected<void, std::string> finish();
  /// The parts whose content has ended so far, in body order; all of them after finish().
  [[nodiscard]] const std::vector<form_part>& parts() const { return parts_; }

 private:
  enum class state {
    preamble,        ///< before the first delimiter
    after_boundary,  ///< just after a delimiter's boundary: "--", padding or a line end
    padding,         ///< transport padding after the boundary
    line_feed,       ///< the LF of the delimiter line's CRLF
    close_dash,      ///< the second '-' of a close delimiter
    headers,         ///< a part's header block
    content,         ///< a part's content
    epilogue,        ///< after the close delimiter
    failed,
  };

  std::size_t scan_content(std::string_view chunk, std::size_t i);
  std::size_t scan_headers(std::string_view chunk, std::size_t i);
  void delimiter_line(char c);
  void start_part();
  void end_headers(std::uint64_t content_offset);
  void take_content(std::string_view bytes);
  void fail(std::string why);

  std::string delimiter_;  ///< CRLF "--" boundary
  form_limits limits_;
  state state_ = state::preamble;
  /// Bytes of delimiter_ seen at the end of what was fed. The body, and each part's content,
  /// read as if they came after a CRLF, the first `assumed_` bytes of the match, not fed: so
  /// a first delimiter may be at offset 0, and a part may end right after its blank line
  /// (RFC 2046: `body-part := MIME-part-headers [CRLF *OCTET]`).
  std::size_t matched_ = 2;
  std::size_t assumed_ = 2;
  std::uint64_t fed_ = 0;     ///< bytes fed before the current chunk
  std::string header_block_;  ///< the current part's header lines, each ended by '\n'
  std::size_t header_bytes_ = 0;
  form_part part_;  ///< the part being read
  std::vector<form_part> parts_;
  std::string error_;
};

}  // namespace smsgw::admin
