#include "admin/upload.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "admin/call.hpp"
#include "admin/multipart.hpp"

namespace smsgw::admin {
namespace {

constexpr std::size_t piece_size = std::size_t{64} * 1024;

}  // namespace

upload_form read_upload(const http_request& r) {
  upload_form form;
  if (!r.upload) throw std::logic_error("an import route without an upload");
  const std::uint64_t size = r.upload->size();
  const std::string type(r.header("content-type").value_or(""));
  const std::string media = r.media_type();
  if (media == "text/csv" || media == "application/octet-stream" || media == "text/plain") {
    form.file_offset = 0;
    form.file_length = size;
    return form;
  }
  if (media != "multipart/form-data") {
    throw api_error(415, "unsupported_media_type",
                    "send the file as multipart/form-data (field `file`) or as text/csv");
  }
  const auto boundary = form_boundary(type);
  if (!boundary) throw api_error(400, "bad_request", "the multipart body has no valid boundary");
  form_scanner scanner(*boundary);
  std::vector<char> piece(piece_size);
  for (std::uint64_t at = 0; at < size;) {
    const std::size_t n = r.upload->read(at, piece.data(), piece.size());
    if (n == 0) break;
    if (auto fed = scanner.feed(std::string_view(piece.data(), n)); !fed) {
      throw api_error(400, "bad_request", "malformed multipart body: " + fed.error());
    }
    at += n;
  }
  if (auto done = scanner.finish(); !done) {
    throw api_error(400, "bad_request", "malformed multipart body: " + done.error());
  }
  for (const auto& p : scanner.parts()) {
    if (p.filename || p.name == "file") {
      if (p.name != "file") {
        throw api_error(400, "bad_request",
                        "the file must be sent as the field `file`, not `" + p.name + "`");
      }
      if (form.file_offset) throw api_error(400, "bad_request", "send one file");
      form.file_offset = p.offset;
      form.file_length = p.length;
      continue;
    }
    if (!form.fields.emplace(p.name, p.value).second) {
      throw api_error(400, "bad_request", "the field `" + p.name + "` appears twice");
    }
  }
  return form;
}

store::csv_reader::source upload_source(const spooled_body& body, std::uint64_t offset,
                                        std::uint64_t length) {
  return [&body, at = offset, end = offset + length](char* buffer, std::size_t capacity) mutable {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end - at));
    if (want == 0) return std::size_t{0};
    const std::size_t n = body.read(at, buffer, want);
    at += n;
    return n;
  };
}

}  // namespace smsgw::admin
