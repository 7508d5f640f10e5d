#!/bin/sh
# run-fuzz.sh [BUILD_DIR [SECONDS]]: builds the libFuzzer targets (tests/fuzz) with clang in
# BUILD_DIR (default build-fuzz, configured with UCSPI_FUZZ=ON) and runs each for SECONDS
# (default 30) from a temporary copy of its corpus (tests/fuzz/corpus/TARGET: seeds and the
# inputs of bugs found), so the repository is not modified. Exits nonzero when clang or
# libFuzzer is missing or any target fails; a failing input is kept in
# BUILD_DIR/fuzz-artifacts/TARGET/ and each target's output in BUILD_DIR/fuzz-logs/TARGET.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-fuzz}
seconds=${2:-30}

die() {
  echo "run-fuzz: fatal: $*" >&2
  exit 111
}

case $seconds in
  '' | *[!0-9]*) die "SECONDS must be a whole number, not '$seconds'" ;;
esac
command -v clang >/dev/null 2>&1 || die "clang not found (tools/bootstrap.sh installs clang and libclang-rt-14-dev)"
command -v clang++ >/dev/null 2>&1 || die "clang++ not found (tools/bootstrap.sh installs clang)"

work=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# libFuzzer and the sanitizer runtimes: a one-line fuzzer must link and run.
printf '%s\n' 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  > "$work/probe.cpp"
clang++ -fsanitize=fuzzer,address,undefined "$work/probe.cpp" -o "$work/probe" 2> "$work/probe.log" ||
  { cat "$work/probe.log" >&2; die "clang cannot link a libFuzzer target (install libclang-rt-14-dev)"; }
"$work/probe" -runs=10 > "$work/probe.log" 2>&1 ||
  { cat "$work/probe.log" >&2; die "a libFuzzer probe does not run"; }

# A build directory configured for another compiler cannot be switched to clang.
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$build/CMakeCache.txt"; then
  die "$build was configured with another compiler than clang++: use another BUILD_DIR"
fi
# A directory already configured with UCSPI_FUZZ=ON (CI's sanitizer build, tools/run-tests.sh)
# is used as it is: the targets need only its libraries, built once.
if ! grep -q '^UCSPI_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  CC=clang CXX=clang++ cmake -S "$top" -B "$build" -DUCSPI_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; die "configuring $build failed"; }
fi
cmake --build "$build" --target fuzz -j"$(nproc)"

targets=$(cd "$top/tests/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')
[ -n "$targets" ] || die "no fuzz targets in $top/tests/fuzz"
mkdir -p "$build/fuzz-logs"

# One target for SECONDS from a copy of its corpus; its output goes to its log.
fuzz_one() {
  target=$1
  corpus=$work/corpus/$target
  artifacts=$build/fuzz-artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  [ -d "$top/tests/fuzz/corpus/$target" ] && cp "$top/tests/fuzz/corpus/$target"/* "$corpus"/
  exec "$build/bin/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" > "$build/fuzz-logs/$target.log" 2>&1
}

# Reports how one finished target went; adds it to $failed when it failed.
report() {
  target=$1
  status=$2
  log=$build/fuzz-logs/$target.log
  if [ "$status" -eq 0 ]; then
    echo "run-fuzz: $target ok: $(grep -h '^stat::number_of_executed_units' "$log" | sed 's/.*: //') runs," \
         "corpus $(ls "$work/corpus/$target" | wc -l) inputs"
  else
    tail -n 40 "$log" >&2
    echo "run-fuzz: $target FAILED (status $status): input in $build/fuzz-artifacts/$target/, log in $log" >&2
    failed="$failed $target"
  fi
}

# As many targets at once as there are cores: each is single-threaded.
cores=$(nproc)
failed=""
batch=""
for target in $targets; do
  [ -x "$build/bin/$target" ] || die "$build/bin/$target was not built"
done
set -- $targets
while [ $# -gt 0 ]; do
  batch=""
  while [ $# -gt 0 ] && [ "$(echo $batch | wc -w)" -lt "$cores" ]; do
    echo "run-fuzz: $1 for ${seconds}s"
    fuzz_one "$1" &
    batch="$batch $1:$!"
    shift
  done
  for entry in $batch; do
    status=0
    wait "${entry#*:}" || status=$?
    report "${entry%%:*}" "$status"
  done
done
[ -z "$failed" ] || die "failed:$failed"
echo "run-fuzz: all targets ok"
