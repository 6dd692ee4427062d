# Writes OUTPUT, a C++ file defining `std::string_view NAMESPACE::SYMBOL` with the bytes of
# INPUT as a raw string, so the daemon serves it without files at run time.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT_NAME} by cmake/embed_file.cmake. Do not edit.
#include <string_view>

namespace ${NAMESPACE} {
extern const std::string_view ${SYMBOL};
const std::string_view ${SYMBOL} = R\"smsgw_embed(${text})smsgw_embed\";
}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
