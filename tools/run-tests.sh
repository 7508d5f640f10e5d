#!/bin/sh
# run-tests.sh: the whole test suite, as CI runs it: dependencies, a release build and an
# ASan/UBSan build, each running every test under ctest (unit, compat against Debian's reference
# binaries, integration with real processes, MariaDB started by the tests themselves), then the
# libFuzzer targets for a bounded time each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# Each phase's wall time, so a CI run over its budget says where the time went.
started=$(date +%s)
phase() {
  now=$(date +%s)
  echo "run-tests: $1 done after $((now - started)) s"
  started=$now
}

"$top/tools/bootstrap.sh" "$top/build" -DUCSPI_WERROR=ON -DBUILD_TESTING=ON
phase "dependencies and release build"
(cd "$top/build" && ctest --output-on-failure --timeout 600 -j2)
phase "release tests"

# The sanitizer build uses clang: its ASan runtime is linked in, so each of our processes
# (the suite starts thousands) starts about twice as fast as with gcc's shared one; -O1 as
# ASan's documentation advises. UCSPI_FUZZ adds libFuzzer's coverage hooks to the same ASan and
# UBSan build, so the fuzz targets below need no third build of every library.
CC=clang CXX=clang++ "$top/tools/bootstrap.sh" "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DUCSPI_FUZZ=ON -DUCSPI_WERROR=ON -DBUILD_TESTING=ON
phase "sanitizer build"
(cd "$top/build-asan" && ctest --output-on-failure --timeout 900 -j2)
phase "sanitizer tests"

# The libFuzzer targets (tests/fuzz) under ASan+UBSan with clang, 10 s each from their corpora:
# every parser of outside bytes meets new inputs in every run (RELIABILITY.md has the long runs).
"$top/tools/run-fuzz.sh" "$top/build-asan" 10
phase "fuzzing"
