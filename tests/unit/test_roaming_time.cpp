// The relay window, one rule for every store: the cdb and relay-ctrl stores and tcpserver's
// reading of a store helper's login times all ask within_window, so it is tested here once.
#include <catch2/catch.hpp>
#include <cstdint>

#include "rules/roaming/roaming_time.h"

using namespace ucspi;

TEST_CASE("window: a login younger than the window relays, one exactly as old does not",
          "[roaming][time]") {
  constexpr std::int64_t now = 1700000000;
  CHECK(within_window(now, now, 1800));
  CHECK(within_window(now - 1799, now, 1800));
  CHECK_FALSE(within_window(now - 1800, now, 1800));  // the -S patch's `timestamp > now - time`
  CHECK_FALSE(within_window(now - 86400, now, 1800));
  CHECK_FALSE(within_window(0, now, 1800));
  CHECK(within_window(now - 59, now, 60));
  CHECK_FALSE(within_window(now - 60, now, 60));
}

TEST_CASE("window: a login stamped in the future relays only within the clock slack",
          "[roaming][time]") {
  constexpr std::int64_t now = 1700000000;
  CHECK(within_window(now + 1, now, 1800));
  CHECK(within_window(now + future_login_slack, now, 1800));
  CHECK_FALSE(within_window(now + future_login_slack + 1, now, 1800));
  CHECK_FALSE(within_window(now + 86400, now, 1800));
  CHECK_FALSE(within_window(INT64_MAX, now, 1800));  // a forged row never relays
}
