// Fuzzes the CSV reader: the input read in chunks of any size gives the same records (or the
// same error) as read whole; no record exceeds the limits; and every record written back
// with csv_record reads back as the same fields. Input: one byte choosing the chunk size,
// then the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.hpp"
#include "store/csv.hpp"

namespace store = smsgw::store;
namespace fuzz = smsgw::fuzz;

namespace {

constexpr store::csv_limits small{512, 16};

struct outcome {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::uint64_t> lines;
  std::optional<store::csv_error> error;
  bool operator==(const outcome&) const = default;
};

outcome read(std::string_view text, std::size_t chunk, store::csv_limits limits = small) {
  outcome out;
  auto whole = store::csv_text_source(text);
  store::csv_reader reader(
      [&](char* buffer, std::size_t capacity) { return whole(buffer, std::min(capacity, chunk)); },
      limits);
  std::vector<std::string> fields;
  for (;;) {
    const auto more = reader.next(fields);
    if (!more) {
      out.error = more.error();
      fuzz::check(more.error().line >= 1, "an error without a line");
      return out;
    }
    if (!*more) return out;
    fuzz::check(!fields.empty() && fields.size() <= limits.max_fields, "field count out of bounds");
    std::size_t bytes = 0;
    for (const auto& f : fields) bytes += f.size();
    fuzz::check(bytes <= limits.max_record_bytes, "record over its byte limit");
    fuzz::check(out.lines.empty() || reader.record_line() > out.lines.back(), "lines go back");
    out.rows.push_back(fields);
    out.lines.push_back(reader.record_line());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const outcome whole = read(text, 1 << 20);
    fuzz::check(read(text, chunk) == whole, "chunked reading differs from whole reading");
    std::string written;
    for (const auto& r : whole.rows) written += store::csv_record(r);
    // Quoting adds bytes: read the written records back without the small limits.
    const outcome again = read(written, 1 << 20, store::csv_limits{});
    fuzz::check(!again.error, "a written record does not read back");
    fuzz::check(again.rows == whole.rows, "written records read back differently");
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
