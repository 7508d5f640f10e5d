# The Debian package: `cpack -G DEB` (or `cpack`) in the build folder makes
# ucspi-relay_VERSION-RELEASE_ARCH.deb of what `cmake --install` installs, under /usr, plus
# stage.cmake's Debian files. It lives beside Debian's ucspi-tcp (preinst, postrm: dpkg-divert)
# and so neither conflicts with nor replaces it. tests/package checks it with lintian and dpkg.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ucspi-relay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "tcpserver and tcprules with IPv6, CIDR rules and roaming relay")
# Read here, not named as CPACK_PACKAGE_DESCRIPTION_FILE: cpack escapes that file's quotes as XML
# entities (&apos;) in the control file.
file(READ ${CMAKE_CURRENT_LIST_DIR}/description CPACK_DEBIAN_PACKAGE_DESCRIPTION)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(UCSPI_DEB_MAINTAINER "ucspi-relay maintainers <ucspi-relay@example.org>"
    CACHE STRING "The Maintainer field of the .deb and its changelog's signature")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${UCSPI_DEB_MAINTAINER}")
# Depends: what dpkg-shlibdeps finds in the dynamic programs (relay-mysql: libmariadb3, libc6,
# libevent); the static ones need nothing at run time.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/preinst
    ${CMAKE_CURRENT_LIST_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Whatever the build type: a RelWithDebInfo build (tools/bootstrap.sh's) packages stripped
# programs too (lintian: unstripped-binary-or-object).
set(CPACK_STRIP_FILES ON)
# Not the umask of whoever runs cpack.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
    GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# The changelog's top entry names the version: a new VERSION needs a new entry, written by hand.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/changelog.in UCSPI_DEB_CHANGELOG_TOP LIMIT_COUNT 1)
set(UCSPI_DEB_VERSION ${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})
if(NOT UCSPI_DEB_CHANGELOG_TOP MATCHES "^ucspi-relay \\(${UCSPI_DEB_VERSION}\\) ")
  message(FATAL_ERROR "tools/deb/changelog.in does not start with an entry for "
          "${UCSPI_DEB_VERSION}: add one for this version")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_BINARY_DIR}/deb/changelog @ONLY)

# Read by stage.cmake, which runs inside cpack: only CPACK_* variables reach it.
set(CPACK_UCSPI_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_UCSPI_CHANGELOG ${CMAKE_BINARY_DIR}/deb/changelog)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/stage.cmake)
include(CPack)
