# CPACK_PRE_BUILD_SCRIPTS of the .deb (cpack.cmake): runs after cpack installed the project into
# its staging tree and before it builds the package from it, and adds what Debian wants of a
# binary package and a plain `cmake --install` has no use for: compressed manual pages (gzip -9n,
# no name or time inside, so a rebuild is byte-identical), the copyright file made from LICENSE
# in the machine-readable format, changelog.Debian.gz, and the lintian overrides.
set(usr "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
set(doc "${usr}/share/doc/ucspi-relay")
if(NOT IS_DIRECTORY "${usr}/bin" OR NOT IS_DIRECTORY "${doc}")
  message(FATAL_ERROR "stage.cmake: no staged install under ${usr}")
endif()

function(gzip_file path)
  execute_process(COMMAND gzip -9nf "${path}" RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "stage.cmake: gzip ${path} failed")
  endif()
endfunction()

file(GLOB pages "${usr}/share/man/man1/*.1")
foreach(page ${pages})
  gzip_file("${page}")
endforeach()

file(COPY_FILE "${CPACK_UCSPI_CHANGELOG}" "${doc}/changelog.Debian")
gzip_file("${doc}/changelog.Debian")

# LICENSE: a title line, the copyright line, then the licence's paragraphs.
file(READ "${CPACK_UCSPI_SOURCE_DIR}/LICENSE" license)
if(NOT license MATCHES "Copyright \\(c\\) ([^\n]+)\n+(.*[^\n])\n*$")
  message(FATAL_ERROR "stage.cmake: LICENSE has no 'Copyright (c) ...' line")
endif()
set(holders "${CMAKE_MATCH_1}")
string(REGEX REPLACE "\n\n" "\n.\n" terms "${CMAKE_MATCH_2}")
string(REGEX REPLACE "\n" "\n " terms " ${terms}")
file(WRITE "${doc}/copyright" "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ucspi-relay
Comment: The programs are linked statically with parts of Debian's libstdc++6
 and libgcc (GPL-3+ with the GCC runtime library exception) and tinycdb (public
 domain); tcpserver, relay-allow, relay-watch, relay-clear, relay-list and
 relay-import also with libc6 (LGPL-2.1+), and tcpserver with libevent
 (BSD-3-clause). Their copyright files are in those packages.

Files: *
Copyright: ${holders}
License: ISC
${terms}
")

file(MAKE_DIRECTORY "${usr}/share/lintian/overrides")
file(COPY_FILE "${CPACK_UCSPI_SOURCE_DIR}/tools/deb/lintian-overrides"
     "${usr}/share/lintian/overrides/ucspi-relay")
file(CHMOD "${doc}/copyright" "${usr}/share/lintian/overrides/ucspi-relay"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
