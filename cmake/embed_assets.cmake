# Writes OUTPUT, a C++ file holding every file under ASSETS_DIR (the web console) as bytes,
# each also gzip-compressed, with its media type and an ETag, so that the daemon serves the
# console with no files at run time and compresses nothing per request.
file(GLOB_RECURSE files RELATIVE "${ASSETS_DIR}" "${ASSETS_DIR}/*")
list(FILTER files EXCLUDE REGEX "(^|/)(node_modules|test)/|(^|/)package(-lock)?\\.json$|\\.md$")
list(SORT files)
set(defs "")
set(table "")
set(n 0)
function(bytes_of path out)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," hex "${hex}")
  set(${out} "${hex}" PARENT_SCOPE)
endfunction()
foreach(f IN LISTS files)
  set(path "${ASSETS_DIR}/${f}")
  if(f MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(f MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(f MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(f MATCHES "\\.svg$")
    set(type "image/svg+xml")
  elseif(f MATCHES "\\.png$")
    set(type "image/png")
  elseif(f MATCHES "\\.ico$")
    set(type "image/x-icon")
  else()
    message(FATAL_ERROR "web console: no media type known for ${f}")
  endif()
  bytes_of("${path}" raw)
  set(gz "${OUTPUT_DIR}/${n}.gz")
  file(ARCHIVE_CREATE OUTPUT "${gz}" PATHS "${path}" FORMAT raw COMPRESSION GZip
       COMPRESSION_LEVEL 9 MTIME 0)
  bytes_of("${gz}" packed)
  file(SHA256 "${path}" sum)
  string(SUBSTRING "${sum}" 0 20 etag)
  string(APPEND defs "constexpr char raw_${n}[] = {${raw}};\nconstexpr char gz_${n}[] = {${packed}};\n")
  string(APPEND table "      {\"/console/${f}\", \"${type}\", {raw_${n}, sizeof raw_${n}}, {gz_${n}, sizeof gz_${n}}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR n "${n} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from console/ by cmake/embed_assets.cmake. Do not edit.
#include \"admin/console.hpp\"

namespace smsgw::admin {
namespace {
${defs}}  // namespace

const std::vector<asset>& console_assets() {
  static const std::vector<asset> all = {
${table}  };
  return all;
}

}  // namespace smsgw::admin
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
