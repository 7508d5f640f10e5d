# What `cmake --install` puts under the prefix besides the programs (their own install() lines in
# tcpserver/ and tools/) and the manual pages (doc/man): the documentation an admin reads, under
# share/doc/ucspi-relay. Included before the programs' folders: see the stripping below.
include(GNUInstallDirs)

# A Release (or MinSizeRel) install is stripped, as `cmake --install --strip` would do: an admin
# who builds with no build type (Release, above) must not get a tcpserver carrying 8 MB of
# debug information. RelWithDebInfo and Debug installs keep it, since that is what they are
# for. The decision is made when the install runs, from the configuration being installed
# (`--config`), so a multi-config generator gets it right too. CMAKE_INSTALL_DO_STRIP is the
# variable every install(TARGETS) rule of the generated install script tests, and those rules
# run after this one (policy CMP0082: install rules run in the order they were declared, the
# subdirectories' included), in the same scope.
install(CODE [[
  if(CMAKE_INSTALL_CONFIG_NAME MATCHES "^(Release|MinSizeRel)$")
    set(CMAKE_INSTALL_DO_STRIP TRUE)
  endif()
]])

# The documents keep the repository's layout below the doc folder, so that the relative links
# between them (README.md to doc/permissions.md, a guide to ../permissions.md) still resolve.
# ARCHITECTURE.md and RELIABILITY.md are about the source tree and its tests, which are not
# installed. The example run files are installed 0644, as Debian wants anything under
# /usr/share/doc (lintian: executable-in-usr-share-doc): the admin who copies one makes it
# executable. doc/run's test scripts are not examples.
install(FILES README.md LICENSE BENCHMARKS.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES tcpserver/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/tcpserver)
file(GLOB UCSPI_DOC_PAGES ${PROJECT_SOURCE_DIR}/doc/*.md)
install(FILES ${UCSPI_DOC_PAGES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/doc)
install(DIRECTORY doc/guides DESTINATION ${CMAKE_INSTALL_DOCDIR}/doc)
install(DIRECTORY doc/run DESTINATION ${CMAKE_INSTALL_DOCDIR}/doc
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        PATTERN "*.py" EXCLUDE
        PATTERN "__pycache__" EXCLUDE
        PATTERN "CMakeLists.txt" EXCLUDE)
