// CSV as the manual's import and export files use it (RFC 4180, read leniently where Excel
// and hand-edited files differ from it): a streaming reader with a bound on each record, and
// the writer of one record. Pure: no I/O of its own, fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace smsgw::store {

/// One CSV record: every field quoted, quotes doubled, CRLF at the end (RFC 4180).
std::string csv_record(const std::vector<std::string>& fields);

/// Where and why a file is not CSV.
struct csv_error {
  std::uint64_t line = 0;  ///< 1-based line of the input where the problem is
  std::string reason;
  bool operator==(const csv_error&) const = default;
};

/// Bounds on what one record may hold, so a file without line breaks (or with an unclosed
/// quote) cannot grow memory.
struct csv_limits {
  std::size_t max_record_bytes = std::size_t{64} * 1024;
  std::size_t max_fields = 256;
};

/// Reads records from a source of bytes: fields separated by commas, records by CRLF, LF or
/// CR; a field may be quoted (`"a ""b"", c"`, with line breaks inside), and spaces around a
/// quoted field are ignored (the manual's own example has `, "G0001"`). A UTF-8 BOM at the
/// start is skipped; a UTF-16 one is refused with a hint. Empty lines are skipped (Excel
/// leaves them at the end). The text of fields is not checked here: the field rules do it.
class csv_reader {
 public:
  /// Fills `buffer` with up to `capacity` bytes and returns how many; 0 at the end. May throw:
  /// the exception passes through next().
  using source = std::function<std::size_t(char* buffer, std::size_t capacity)>;

  explicit csv_reader(source read, csv_limits limits = {});

  /// The next record into `fields` (replaced); false at the end of the input. After an error
  /// the reader is done: later calls return the same error.
  tl::expected<bool, csv_error> next(std::vector<std::string>& fields);

  /// The line the record last returned by next() starts on.
  [[nodiscard]] std::uint64_t record_line() const { return record_line_; }
  /// Bytes consumed so far.
  [[nodiscard]] std::uint64_t bytes_read() const { return consumed_; }

 private:
  bool fill(std::size_t at_least);
  int peek();
  int get();
  void end_line();
  tl::expected<bool, csv_error> fail(std::uint64_t line, std::string reason);

  source read_;
  csv_limits limits_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  std::uint64_t line_ = 1;
  std::uint64_t record_line_ = 0;
  std::uint64_t consumed_ = 0;
  std::optional<csv_error> failed_;
};

/// A source reading the bytes of `text` (tests, fuzzing); `text` must outlive the reader.
csv_reader::source csv_text_source(std::string_view text);

}  // namespace smsgw::store
