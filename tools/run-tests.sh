#!/bin/sh
# run-tests.sh: the whole test suite, as CI runs it: dependencies, a release build and an
# ASan/UBSan build, each running every test under ctest (unit, compat against Debian's reference
# binaries, integration with real processes, MariaDB started by the tests themselves), then the
# libFuzzer targets for a bounded time each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

"$top/tools/bootstrap.sh" "$top/build" -DUCSPI_WERROR=ON
(cd "$top/build" && ctest --output-on-failure --timeout 600 -j2)

"$top/tools/bootstrap.sh" "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DUCSPI_SANITIZE=ON -DUCSPI_WERROR=ON
(cd "$top/build-asan" && ctest --output-on-failure --timeout 900 -j2)

# The libFuzzer targets (tests/fuzz) under ASan+UBSan with clang, 10 s each from their corpora:
# every parser of outside bytes meets new inputs in every run (RELIABILITY.md has the long runs).
"$top/tools/run-fuzz.sh" "$top/build-fuzz" 10
