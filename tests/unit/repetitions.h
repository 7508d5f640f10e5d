// How many times a test repeats a property that more repetitions only make likelier to show
// (writers racing for one lock): the full count in a release build, a quarter under a
// sanitizer, whose processes start several times slower (the release run keeps the count).
#pragma once

namespace ucspi::test {

#ifdef UCSPI_TESTS_SANITIZED
inline constexpr int repetitions(int full) { return full / 4; }
#else
inline constexpr int repetitions(int full) { return full; }
#endif

}  // namespace ucspi::test
