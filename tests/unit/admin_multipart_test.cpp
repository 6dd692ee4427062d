// multipart/form-data bodies: the boundary from the Content-Type, and the scanner fed whole,
// byte by byte and split at every point, with each of its refusals.
#include <algorithm>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "admin/multipart.hpp"

namespace smsgw::admin {

// So that a failing comparison shows the part, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const form_part& p, std::ostream* os) {
  *os << "{name=" << p.name << " filename=" << p.filename.value_or("(none)")
      << " content_type=" << p.content_type << " offset=" << p.offset << " length=" << p.length
      << " value=" << p.value << "}";
}

}  // namespace smsgw::admin

using namespace smsgw::admin;  // NOLINT(google-build-using-namespace): tests of one library
using namespace std::string_literals;

namespace {

using scan_result = tl::expected<std::vector<form_part>, std::string>;

const std::string boundary = "------------------------a1b2c3d4e5f60718";

const std::string csv =
    "number,first_name,last_name\r\n61412345678,Ada,Lovelace\r\n61498765432,Alan,Turing\r\n";

// What curl 7.88 sends for
//   curl -F username=foo -F password=bar -F 'absid=G#272478' -F key=number -F merge=true
//        -F 'file=@test.csv;type=text/csv'
// (without `;type=` curl 7.88 labels a .csv application/octet-stream).
const std::string curl_body =
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"username\"\r\n"
    "\r\n"
    "foo\r\n"
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"password\"\r\n"
    "\r\n"
    "bar\r\n"
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"absid\"\r\n"
    "\r\n"
    "G#272478\r\n"
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"key\"\r\n"
    "\r\n"
    "number\r\n"
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"merge\"\r\n"
    "\r\n"
    "true\r\n"
    "--------------------------a1b2c3d4e5f60718\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"test.csv\"\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n" +
    csv +
    "\r\n"
    "--------------------------a1b2c3d4e5f60718--\r\n";

/// `body` fed in chunks of `chunk` bytes (0: whole), then finish().
scan_result scan(std::string_view body, std::size_t chunk = 0, form_limits limits = {}) {
  form_scanner s(boundary, limits);
  if (chunk == 0) chunk = std::max<std::size_t>(body.size(), 1);
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (auto r = s.feed(body.substr(i, chunk)); !r) return tl::unexpected(r.error());
  }
  if (auto r = s.finish(); !r) return tl::unexpected(r.error());
  return s.parts();
}

/// `body` fed as two chunks split at `at`.
scan_result scan_split(std::string_view body, std::size_t at, form_limits limits = {}) {
  form_scanner s(boundary, limits);
  for (const auto piece : {body.substr(0, at), body.substr(at)}) {
    if (auto r = s.feed(piece); !r) return tl::unexpected(r.error());
  }
  if (auto r = s.finish(); !r) return tl::unexpected(r.error());
  return s.parts();
}

/// The result for `body` fed whole, after checking that every other way of feeding it,
/// byte by byte, in small chunks and split in two anywhere, gives the same.
scan_result scan_every_way(std::string_view body, form_limits limits = {}) {
  auto whole = scan(body, 0, limits);
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    EXPECT_EQ(scan(body, chunk, limits), whole) << "in chunks of " << chunk;
  }
  EXPECT_EQ(scan(body, std::size_t{64} * 1024, limits), whole);
  for (std::size_t at = 0; at <= body.size(); ++at) {
    EXPECT_EQ(scan_split(body, at, limits), whole) << "split at " << at;
  }
  return whole;
}

/// The error for `body`, however it is fed.
std::string error_of(std::string_view body, form_limits limits = {}) {
  const auto r = scan_every_way(body, limits);
  return r ? "(no error)" : r.error();
}

/// A body of one part with these headers and content.
std::string one_part(std::string_view headers, std::string_view content) {
  return "--" + boundary + "\r\n" + std::string(headers) + "\r\n" + std::string(content) +
         "\r\n--" + boundary + "--\r\n";
}

form_part field(std::string name, std::string value, std::uint64_t offset) {
  form_part p;
  p.name = std::move(name);
  p.length = value.size();
  p.value = std::move(value);
  p.offset = offset;
  return p;
}

}  // namespace

TEST(FormBoundary, ReadsTheBoundaryParameter) {
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=" + boundary), boundary);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=\"AaB03x\""), "AaB03x");
  EXPECT_EQ(form_boundary("Multipart/Form-Data; BOUNDARY=AaB03x"), "AaB03x");
  EXPECT_EQ(form_boundary("multipart/form-data; charset=utf-8; boundary=AaB03x"), "AaB03x");
  EXPECT_EQ(form_boundary("multipart/form-data;boundary=AaB03x;charset=utf-8"), "AaB03x");
  EXPECT_EQ(form_boundary(" multipart/form-data ; boundary = AaB03x ; "), "AaB03x");
  // Quoted, a boundary may hold every bchar, a space among them.
  EXPECT_EQ(form_boundary(R"(multipart/form-data; boundary="a b'()+_,-./:=?")"), "a b'()+_,-./:=?");
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=" + std::string(70, 'x')),
            std::string(70, 'x'));
}

TEST(FormBoundary, RefusesOtherTypesAndBadBoundaries) {
  EXPECT_EQ(form_boundary("multipart/mixed; boundary=AaB03x"), std::nullopt);
  EXPECT_EQ(form_boundary("application/x-www-form-urlencoded"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data-x; boundary=AaB03x"), std::nullopt);
  EXPECT_EQ(form_boundary(""), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; charset=utf-8"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary="), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=\"\""), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=a@b"), std::nullopt);
  EXPECT_EQ(form_boundary(R"(multipart/form-data; boundary="a\"b")"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=\"ab \""), std::nullopt);  // last
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=\"AaB03x"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary=a; boundary=b"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data boundary=AaB03x"), std::nullopt);
  EXPECT_EQ(form_boundary("multipart/form-data; boundary"), std::nullopt);
}

TEST(FormScanner, RefusesABadBoundary) {
  EXPECT_THROW(form_scanner(""), std::invalid_argument);
  EXPECT_THROW(form_scanner("a\r\nb"), std::invalid_argument);
  EXPECT_THROW(form_scanner(std::string(71, 'x')), std::invalid_argument);
}

TEST(FormScanner, ReadsWhatCurlSends) {
  const auto parts = scan_every_way(curl_body);
  ASSERT_TRUE(parts) << parts.error();
  const auto at = [&](std::string_view s) { return curl_body.find(s); };
  form_part file;
  file.name = "file";
  file.filename = "test.csv";
  file.content_type = "text/csv";
  file.offset = at("number,first_name");
  file.length = csv.size();
  EXPECT_EQ(*parts, (std::vector<form_part>{field("username", "foo", at("foo\r\n")),
                                            field("password", "bar", at("bar\r\n")),
                                            field("absid", "G#272478", at("G#272478")),
                                            field("key", "number", at("number\r\n")),
                                            field("merge", "true", at("true\r\n")), file}));
  EXPECT_EQ(file.offset, 634U);
  EXPECT_EQ(curl_body.substr(file.offset, file.length), csv);
}

TEST(FormScanner, FindsOnlyTheWholeDelimiterInContent) {
  // Every near miss of CRLF "--" boundary, and CRs that restart a match midway.
  const std::string near_misses = "a\r\n--" + boundary.substr(0, boundary.size() - 1) + "x" +
                                  "\r\n-\r\r\n--" + boundary.substr(0, 5) + "\n--" + boundary +
                                  "\r--" + boundary + "\r\n-" + boundary + "\r\n" + boundary +
                                  "\r\r\r";
  ASSERT_EQ(near_misses.find("\r\n--" + boundary), std::string::npos);
  const std::string body = one_part(
      "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n", near_misses);
  const auto parts = scan_every_way(body);
  ASSERT_TRUE(parts) << parts.error();
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ(body.substr(parts->front().offset, parts->front().length), near_misses);
  EXPECT_EQ(parts->front().value, "");

  // The same as a field: the bytes of a broken match are kept in its value.
  const auto as_field =
      scan_every_way(one_part("Content-Disposition: form-data; name=\"note\"\r\n", near_misses));
  ASSERT_TRUE(as_field) << as_field.error();
  EXPECT_EQ(as_field->front().value, near_misses);
}

TEST(FormScanner, EmptyParts) {
  // curl's empty file: the blank line, no content, then the delimiter's CRLF.
  const std::string body = one_part(
      "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
      "Content-Type: application/octet-stream\r\n",
      "");
  const auto parts = scan_every_way(body);
  ASSERT_TRUE(parts) << parts.error();
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ(parts->front().filename, "");
  EXPECT_EQ(parts->front().content_type, "application/octet-stream");
  EXPECT_EQ(parts->front().offset, body.find("\r\n\r\n") + 4);
  EXPECT_EQ(parts->front().length, 0U);

  // RFC 2046's `MIME-part-headers [CRLF *OCTET]`: the headers' blank line is the delimiter's
  // CRLF.
  const std::string bare =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=a\r\n\r\n--" + boundary + "--";
  const auto no_content = scan_every_way(bare);
  ASSERT_TRUE(no_content) << no_content.error();
  EXPECT_EQ(*no_content, (std::vector<form_part>{field("a", "", bare.find("\r\n\r\n") + 4)}));
}

TEST(FormScanner, IgnoresPreambleAndEpilogue) {
  const std::string preamble =
      "This is a preamble.\r\n-" + boundary + "\r\n--" + boundary.substr(1);
  const std::string body =
      preamble + "\r\n" + curl_body + "an epilogue\r\n--" + boundary + "\r\njunk";
  const auto parts = scan_every_way(body);
  ASSERT_TRUE(parts) << parts.error();
  ASSERT_EQ(parts->size(), 6U);
  EXPECT_EQ(parts->front().value, "foo");
  EXPECT_EQ(body.substr(parts->back().offset, parts->back().length), csv);

  // The first delimiter after a preamble needs its CRLF; at offset 0 it does not.
  EXPECT_EQ(scan_every_way("\r\n" + curl_body)->size(), 6U);
  EXPECT_EQ(error_of("x--" + boundary + "--"), "the body has no delimiter");
}

TEST(FormScanner, LenientWhereClientsDiffer) {
  // Transport padding, bare LFs, header names in any case, folded and unknown headers,
  // unquoted parameters and a trailing ';'.
  const std::string body = "--" + boundary + " \t\n" +
                           "content-disposition: FORM-DATA;\n"
                           "\tname=unquoted; filename=\"a\\\"b%22c.csv\";\n" +
                           "X-Other: whatever\n" + "CONTENT-TYPE:text/csv \n" + "\n" + "1,2" +
                           "\r\n--" + boundary + "\t\r\n" +
                           "Content-Disposition: form-data; filename*=UTF-8''x; name=\"n\"\r\n" +
                           "\r\n" + "v" + "\r\n--" + boundary + "--";
  const auto parts = scan_every_way(body);
  ASSERT_TRUE(parts) << parts.error();
  ASSERT_EQ(parts->size(), 2U);
  const auto& file = parts->front();
  EXPECT_EQ(file.name, "unquoted");
  EXPECT_EQ(file.filename, "a\\\"b%22c.csv");  // escapes and %22 as sent
  EXPECT_EQ(file.content_type, "text/csv");
  EXPECT_EQ(body.substr(file.offset, file.length), "1,2");
  EXPECT_EQ(parts->back(), field("n", "v", body.rfind("v\r\n")));
}

TEST(FormScanner, RefusesBadParts) {
  const auto part = [](std::string_view headers) { return error_of(one_part(headers, "x")); };
  EXPECT_EQ(part(""), "a part has no Content-Disposition");
  EXPECT_EQ(part("Content-Type: text/plain\r\n"), "a part has no Content-Disposition");
  EXPECT_EQ(part("Content-Disposition: attachment; name=\"a\"\r\n"),
            "a part's Content-Disposition is not form-data");
  EXPECT_EQ(part("Content-Disposition: form-data\r\n"), "a part's Content-Disposition has no name");
  EXPECT_EQ(part("Content-Disposition: form-data; filename=\"a.csv\"\r\n"),
            "a part's Content-Disposition has no name");
  EXPECT_EQ(part("Content-Disposition: form-data; name=\"\"\r\n"),
            "a part's Content-Disposition has no name");
  EXPECT_EQ(part("Content-Disposition: form-data; name=\"a\r\n"),
            "a part has a malformed Content-Disposition");
  EXPECT_EQ(part("Content-Disposition: form-data name=a\r\n"),
            "a part has a malformed Content-Disposition");
  EXPECT_EQ(part("Content-Disposition: form-data; name=a; name=b\r\n"),
            "a part has a malformed Content-Disposition");
  EXPECT_EQ(part("Content-Disposition: form-data; name=\"a\"x\r\n"),
            "a part has a malformed Content-Disposition");
  EXPECT_EQ(part("Content-Disposition: form-data; name=a\r\ncontent-disposition: form-data; "
                 "name=b\r\n"),
            "a part has two Content-Disposition headers");
  EXPECT_EQ(
      part("Content-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b\r\n"),
      "a part has two Content-Type headers");
  EXPECT_EQ(part("Content-Disposition form-data; name=a\r\n"),
            "a part has a malformed header line");
  EXPECT_EQ(part("Content-Disposition : form-data; name=a\r\n"),
            "a part has a malformed header line");
  EXPECT_EQ(part(": x\r\nContent-Disposition: form-data; name=a\r\n"),
            "a part has a malformed header line");
  EXPECT_EQ(part(" folded: x\r\nContent-Disposition: form-data; name=a\r\n"),
            "a part has a malformed header line");
  EXPECT_EQ(part("Content-Disposition: form-data; name=\"a\rb\"\r\n"),
            "a part has a malformed header line");
  EXPECT_EQ(part("Content-Disposition: form-data; name=\"a\0b\"\r\n"s),
            "a part has a malformed header line");
}

TEST(FormScanner, RefusesBadDelimiters) {
  const std::string d = "--" + boundary;
  const std::string part = "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n";
  EXPECT_EQ(error_of(""), "the body has no delimiter");
  EXPECT_EQ(error_of("no delimiter here\r\n-" + d), "the body has no delimiter");
  EXPECT_EQ(error_of(d + "x" + part + d + "--"),
            "a delimiter is followed by neither a line end nor \"--\"");
  EXPECT_EQ(error_of(d + " -" + part + d + "--"),
            "a delimiter is followed by neither a line end nor \"--\"");
  EXPECT_EQ(error_of(d + "\rx" + part + d + "--"),
            "a delimiter is followed by neither a line end nor \"--\"");
  // RFC 2046 keeps the delimiter out of content, so a whole one there is refused.
  EXPECT_EQ(error_of(d + part.substr(0, part.size() - 2) + "\r\n" + d + "x\r\n" + d + "--"),
            "a delimiter is followed by neither a line end nor \"--\"");
  EXPECT_EQ(error_of(d + part + d + "-x"),
            "a delimiter is followed by neither a line end nor \"--\"");
  EXPECT_EQ(error_of(d + part + d + "--x"), "(no error)");  // an epilogue
  EXPECT_EQ(error_of(d + part + d + "-"), "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d + part + d), "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d + part + d + "\r\n"), "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d + part), "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d + "\r\nContent-Disposition: form-data; name=a\r\n"),
            "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d + "\r\n"), "the body ends before the close delimiter");
  EXPECT_EQ(error_of(d), "the body ends before the close delimiter");
}

TEST(FormScanner, KeepsToItsLimits) {
  const std::string d = "--" + boundary;
  const auto field_part = [&](std::string_view value) {
    return d + "\r\nContent-Disposition: form-data; name=a\r\n\r\n" + std::string(value) + "\r\n";
  };
  form_limits limits;
  limits.max_parts = 2;
  EXPECT_EQ(error_of(field_part("1") + field_part("2") + d + "--", limits), "(no error)");
  EXPECT_EQ(error_of(field_part("1") + field_part("2") + field_part("3") + d + "--", limits),
            "too many parts");

  limits = {};
  limits.max_field_bytes = 3;
  EXPECT_EQ(error_of(field_part("abc") + d + "--", limits), "(no error)");
  EXPECT_EQ(error_of(field_part("ab\r") + d + "--", limits), "(no error)");
  EXPECT_EQ(error_of(field_part("abcd") + d + "--", limits), "a field value is too long");
  EXPECT_EQ(error_of(field_part("ab\r\n") + d + "--", limits), "a field value is too long");
  // Only fields are kept: a file may be larger.
  const std::string file = d + "\r\nContent-Disposition: form-data; name=f; filename=f\r\n\r\n" +
                           std::string(100, 'x') + "\r\n" + d + "--";
  EXPECT_EQ(error_of(file, limits), "(no error)");

  limits = {};
  const std::string headers = "Content-Disposition: form-data; name=a\r\n\r\n";
  limits.max_header_bytes = headers.size();
  EXPECT_EQ(error_of(d + "\r\n" + headers + "x\r\n" + d + "--", limits), "(no error)");
  limits.max_header_bytes = headers.size() - 1;
  EXPECT_EQ(error_of(d + "\r\n" + headers + "x\r\n" + d + "--", limits),
            "a part's header block is too long");
  // A header block that never ends stops at the limit, not at the end of the body.
  form_scanner endless(boundary);
  ASSERT_TRUE(endless.feed(d + "\r\nX-Endless: "));
  const auto r = endless.feed(std::string(std::size_t{16} * 1024, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "a part's header block is too long");
}

TEST(FormScanner, StaysFailed) {
  form_scanner s(boundary);
  const auto r = s.feed("--" + boundary + "\r\nContent-Type: x\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "a part has no Content-Disposition");
  EXPECT_EQ(s.feed(curl_body).error(), r.error());
  EXPECT_EQ(s.finish().error(), r.error());
  EXPECT_TRUE(s.parts().empty());
}

TEST(FormScanner, ReportsPartsAsTheyEnd) {
  form_scanner s(boundary);
  const auto first_file = curl_body.find("Content-Type: text/csv");
  ASSERT_TRUE(s.feed(std::string_view(curl_body).substr(0, first_file)));
  EXPECT_EQ(s.parts().size(), 5U);
  ASSERT_TRUE(s.feed(std::string_view(curl_body).substr(first_file)));
  ASSERT_TRUE(s.finish());
  EXPECT_EQ(s.parts().size(), 6U);
  EXPECT_TRUE(s.finish());  // again: nothing changes
}
