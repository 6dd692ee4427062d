#include "store/csv.hpp"

#include <algorithm>
#include <cstring>

namespace smsgw::store {
namespace {

constexpr std::size_t buffer_size = std::size_t{64} * 1024;
constexpr int end_of_input = -1;

bool is_blank(int c) {
  return c == ' ' || c == '\t';
}

bool ends_line(int c) {
  return c == '\r' || c == '\n';
}

}  // namespace

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : fields[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

csv_reader::csv_reader(source read, csv_limits limits)
    : read_(std::move(read)), limits_(limits), buffer_(buffer_size) {}

// Reads until the buffer holds `at_least` unread bytes or the input ends; false when it holds
// none.
bool csv_reader::fill(std::size_t at_least) {
  if (end_ - pos_ >= at_least) return true;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  while (!eof_ && end_ < at_least) {
    const std::size_t n = read_(buffer_.data() + end_, buffer_.size() - end_);
    if (n == 0) eof_ = true;
    end_ += n;
  }
  return end_ > pos_;
}

int csv_reader::peek() {
  if (pos_ == end_ && !fill(1)) return end_of_input;
  return static_cast<unsigned char>(buffer_[pos_]);
}

int csv_reader::get() {
  const int c = peek();
  if (c != end_of_input) {
    ++pos_;
    ++consumed_;
  }
  return c;
}

// Consumes one line break (CRLF, LF or CR) if one is next.
void csv_reader::end_line() {
  const int c = peek();
  if (!ends_line(c)) return;
  get();
  if (c == '\r' && peek() == '\n') get();
  ++line_;
}

tl::expected<bool, csv_error> csv_reader::fail(std::uint64_t line, std::string reason) {
  failed_ = csv_error{line, std::move(reason)};
  return tl::unexpected(*failed_);
}

tl::expected<bool, csv_error> csv_reader::next(std::vector<std::string>& fields) {
  if (failed_) return tl::unexpected(*failed_);
  if (!started_) {
    started_ = true;
    fill(3);
    const std::string_view start(buffer_.data() + pos_, end_ - pos_);
    if (start.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ += 3;
      consumed_ += 3;
    } else if (start.substr(0, 2) == "\xFF\xFE" || start.substr(0, 2) == "\xFE\xFF") {
      return fail(1, "the file is UTF-16; save it as \"CSV UTF-8\"");
    }
  }
  fields.clear();
  while (ends_line(peek())) end_line();  // empty lines
  if (peek() == end_of_input) return false;

  record_line_ = line_;
  const std::uint64_t record_start = consumed_;
  const auto too_long = [&] { return consumed_ - record_start > limits_.max_record_bytes; };
  const std::string too_long_reason =
      "a record is longer than " + std::to_string(limits_.max_record_bytes) + " bytes";
  std::string field;
  for (;;) {
    if (fields.size() == limits_.max_fields) {
      return fail(record_line_,
                  "a record has more than " + std::to_string(limits_.max_fields) + " fields");
    }
    field.clear();
    while (is_blank(peek())) {
      field += static_cast<char>(get());
      if (too_long()) return fail(record_line_, too_long_reason);
    }
    if (peek() == '"') {
      get();
      field.clear();  // spaces before a quoted field are not part of it
      const std::uint64_t opened = line_;
      for (;;) {
        const int c = get();
        if (c == end_of_input) return fail(opened, "a quoted field is not closed");
        if (c == '"') {
          if (peek() != '"') break;
          get();
        } else if (c == '\r' || c == '\n') {
          if (c == '\r' && peek() == '\n') {
            get();
            field += '\r';
            field += '\n';
            ++line_;
            continue;
          }
          ++line_;
        }
        field += static_cast<char>(c);
        if (too_long()) return fail(record_line_, too_long_reason);
      }
      while (is_blank(peek())) get();
      const int after = peek();
      if (after != ',' && after != end_of_input && !ends_line(after)) {
        return fail(line_, "text after the closing quote of a field");
      }
    } else {
      // Unquoted: take the run up to the next special byte straight from the buffer.
      for (;;) {
        if (pos_ == end_ && !fill(1)) break;
        const char* begin = buffer_.data() + pos_;
        const char* stop =
            std::find_if(begin, static_cast<const char*>(buffer_.data() + end_),
                         [](char c) { return c == ',' || c == '\r' || c == '\n' || c == '"'; });
        field.append(begin, stop);
        consumed_ += static_cast<std::uint64_t>(stop - begin);
        pos_ += static_cast<std::size_t>(stop - begin);
        if (too_long()) return fail(record_line_, too_long_reason);
        if (pos_ < end_) break;
      }
      if (peek() == '"') {
        return fail(
            line_, "a quote inside an unquoted field (quote the whole field and double the quote)");
      }
    }
    fields.push_back(field);
    if (peek() == ',') {
      get();
      continue;
    }
    end_line();
    return true;
  }
}

csv_reader::source csv_text_source(std::string_view text) {
  return [text, at = std::size_t{0}](char* buffer, std::size_t capacity) mutable {
    const std::size_t n = std::min(capacity, text.size() - at);
    if (n > 0) std::memcpy(buffer, text.data() + at, n);
    at += n;
    return n;
  };
}

}  // namespace smsgw::store
