// Fuzzes the multipart/form-data scanner. Input: the first byte picks the chunk size (1 to
// 256 bytes), the rest is the body, whose boundary is fixed (RFC 7578's "AaB03x"). Fed in
// chunks it must give what it gives fed whole, and every part it reports must lie in the
// body, a field's value being exactly the body's bytes there.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/multipart.hpp"
#include "fuzz/check.hpp"

namespace admin = smsgw::admin;
namespace fuzz = smsgw::fuzz;

namespace {

constexpr std::string_view boundary = "AaB03x";

// Small, so that the fuzzer reaches every limit.
constexpr admin::form_limits limits{.max_parts = 8, .max_field_bytes = 64, .max_header_bytes = 256};

struct outcome {
  std::optional<std::string> error;
  std::vector<admin::form_part> parts;
};

outcome scan(std::string_view body, std::size_t chunk) {
  admin::form_scanner s{std::string(boundary), limits};
  outcome out;
  // Fed on after a failure too: the scanner must keep answering the first error.
  const auto note = [&](const tl::expected<void, std::string>& r) {
    if (out.error) {
      fuzz::check(!r && r.error() == *out.error, "a failed scanner changed its answer");
    } else if (!r) {
      out.error = r.error();
    }
  };
  for (std::size_t i = 0; i < body.size(); i += chunk) note(s.feed(body.substr(i, chunk)));
  note(s.finish());
  out.parts = s.parts();
  return out;
}

void check_parts(std::string_view body, const std::vector<admin::form_part>& parts) {
  const std::string delimiter = "\r\n--" + std::string(boundary);
  fuzz::check(parts.size() <= limits.max_parts, "more parts than max_parts");
  const admin::form_part* previous = nullptr;
  for (const auto& p : parts) {
    fuzz::check(!p.name.empty(), "a part without a name");
    fuzz::check(p.offset <= body.size() && p.length <= body.size() - p.offset,
                "a part's content lies outside the body");
    fuzz::check(previous == nullptr || p.offset > previous->offset + previous->length,
                "parts out of order or overlapping");
    previous = &p;
    const auto content = body.substr(p.offset, p.length);
    fuzz::check(content.find(delimiter) == std::string_view::npos,
                "a part's content holds the delimiter");
    if (p.filename) {
      fuzz::check(p.value.empty(), "a file part with a value");
    } else {
      fuzz::check(p.value == content, "a field's value is not its bytes in the body");
      fuzz::check(p.value.size() <= limits.max_field_bytes, "a field longer than the limit");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const outcome whole = scan(body, body.size() + 1);
    const outcome chunked = scan(body, chunk);
    fuzz::check(whole.error == chunked.error, "chunks change the error");
    fuzz::check(whole.parts == chunked.parts, "chunks change the parts");
    check_parts(body, whole.parts);
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
