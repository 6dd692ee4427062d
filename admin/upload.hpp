// An upload as the import routes read it: the spooled body (admin::spooled_body) as a
// multipart form — its small fields in memory, the file as a range of the spooled file —
// or, sent as text/csv, the body itself as the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "admin/http.hpp"
#include "store/csv.hpp"

namespace smsgw::admin {

struct upload_form {
  std::map<std::string, std::string> fields;  ///< the form's fields (no file), by name
  std::optional<std::uint64_t> file_offset;   ///< where the `file` part lies in the body
  std::uint64_t file_length = 0;
  [[nodiscard]] std::optional<std::string> field(const std::string& name) const {
    const auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  }
};

/// The upload of `r` as a form: `multipart/form-data` scanned for its parts (400 naming the
/// problem when it is malformed, or when a field appears twice or a part other than `file`
/// is a file); `text/csv` (or `application/octet-stream`) taken whole as the file. Any other
/// type: 415. Reads the spooled body (`r.upload`, which must be set) once, a piece at a time.
upload_form read_upload(const http_request& r);

/// A CSV source over `length` bytes of `body` from `offset`; `body` must outlive it.
store::csv_reader::source upload_source(const spooled_body& body, std::uint64_t offset,
                                        std::uint64_t length);

}  // namespace smsgw::admin
