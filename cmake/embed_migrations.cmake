# Writes OUTPUT, a C++ file holding every store/migrations/NNN_name.sql and every
# store/sql/name.sql as a raw string, so the daemon carries its schema with it and never
# depends on files at run time.
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME_WE)
  string(REGEX MATCH "^[0-9]+" version "${name}")
  string(REGEX REPLACE "^0+([0-9])" "\\1" version "${version}")
  file(READ "${f}" sql)
  string(APPEND body "    {${version}, \"${name}\", R\"smsgw_sql(${sql})smsgw_sql\"},\n")
endforeach()
file(GLOB definition_files "${DEFINITIONS_DIR}/*.sql")
list(SORT definition_files)
set(definitions "")
foreach(f IN LISTS definition_files)
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" sql)
  string(APPEND definitions "    {\"${name}\", R\"smsgw_sql(${sql})smsgw_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from store/migrations and store/sql by cmake/embed_migrations.cmake. Do not edit.
#include \"store/migrate.hpp\"

namespace smsgw::store {

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
${body}  };
  return all;
}

const std::vector<definition>& definitions() {
  static const std::vector<definition> all = {
${definitions}  };
  return all;
}

}  // namespace smsgw::store
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
