# Install rules and the Debian package (`cpack -G DEB` in a Release build; ./dev package).
# What a package installs: the two programs, the systemd unit with its sysusers and tmpfiles
# entries, the example configuration as /etc/smsgw/smsgw.yaml (a conffile), the SQL
# migrations, man pages and the documentation, laid out as Debian 12 expects.

install(TARGETS smsgwd smsc-sim RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/smsgwd.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/smsgw.sysusers DESTINATION lib/sysusers.d
  RENAME smsgw.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/smsgw.tmpfiles DESTINATION lib/tmpfiles.d
  RENAME smsgw.conf)
install(FILES ${PROJECT_SOURCE_DIR}/config/smsgw.example.yaml DESTINATION /etc/smsgw
  RENAME smsgw.yaml)

# The schema the daemon applies itself at start (embedded in it), for DBAs to read or apply
# ahead: the files in order are the migrations.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/store/migrations/ DESTINATION share/smsgw/migrations
  FILES_MATCHING PATTERN "*.sql")

# Man pages and the changelog compressed as Debian wants them (gzip -9n: no name, no time).
set(SMSGW_GZIPPED)
foreach(source docs/man/smsgwd.8 docs/man/smsc-sim.1 packaging/changelog)
  get_filename_component(name ${source} NAME)
  set(out ${PROJECT_BINARY_DIR}/packaging/${name}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging
    COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/${source} > ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/${source} VERBATIM)
  list(APPEND SMSGW_GZIPPED ${out})
endforeach()
add_custom_target(smsgw_gzipped_docs ALL DEPENDS ${SMSGW_GZIPPED})
install(FILES ${PROJECT_BINARY_DIR}/packaging/smsgwd.8.gz DESTINATION share/man/man8)
install(FILES ${PROJECT_BINARY_DIR}/packaging/smsc-sim.1.gz DESTINATION share/man/man1)
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz ${PROJECT_SOURCE_DIR}/packaging/copyright
  ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/openapi.yaml
  DESTINATION share/doc/smsgw)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smsgw)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "smsgw team <smsgw-team@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SMS gateway for inbound keyword programs over SMPP 3.4")
# The long description: cpack puts the summary first and indents each line itself; "."
# alone is an empty line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "smsgwd binds to SMSCs over SMPP 3.4, matches every inbound SMS against the
keywords of its numbers and short codes, keeps group membership in a
PostgreSQL contact store, sends opt-in, opt-out and help replies and
messages to groups, and serves a REST/JSON admin port with CSV import and
export. An MO is acknowledged only once its effects are committed.
.
This package also has smsc-sim, an SMSC simulator for trying the gateway.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/conffiles ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
