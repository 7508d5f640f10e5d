// relay-watch's writes: one login read from the log into the store, through the store layer
// relay-allow uses (the factory's writer for cdb: and relay-ctrl:, relay-mysql as a child for
// mysql: -- helper_recorder.h), with the login's own time.
//
// The time recorded is the log line's timestamp (watch_time.h), not the time relay-watch read
// the line: a login read late, after a restart or an outage, then relays for what is left of
// its window and no longer, and the same line read twice (relay-watch killed between the
// store's write and the state file's) writes the same record, which the stores take as
// nothing new. A line without a timestamp it can read is stamped now (but in a file written
// while relay-watch was not running, read from its start, relay-watch skips it: any age is
// possible there). A stamp in the future (another host's clock) is taken as now, so that no
// line extends relay beyond now plus the window. A login already at least the window old is not recorded: it relays nobody.
//
// relay-mysql's `allow` stamps the row with its own clock: there a login is recorded only while
// it is at most own_clock_slack seconds old (the stores' refresh interval, the imprecision they
// already accept), and skipped with a warning when older, rather than relay longer than its
// window.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rules/roaming/roaming_store.h"
#include "rules/roaming/roaming_time.h"
#include "rules/roaming/store_spec.h"

namespace ucspi {

inline constexpr std::int64_t own_clock_slack = default_refresh_interval;

struct LoginStamp {
  std::optional<std::int64_t> time;  // what to record; nothing when the login is skipped
  std::string skipped;               // why, when it is
};

// The stamp of a login whose line says line_time (nothing when it says no time), read at now.
LoginStamp stamp_login(std::optional<std::int64_t> line_time, std::int64_t now, std::int64_t window,
                       bool store_stamps_now);

class LoginRecorder {
 public:
  LoginRecorder(StoreSpec spec, std::int64_t window) : spec_(std::move(spec)), window_(window) {}

  // Records the login of address (as the line wrote it) on fd 2's log: "relay-watch: info:
  // recorded IP (login at SECONDS)", or a warning saying why not. Never throws: a store that
  // fails is opened again at the next login.
  void record(const std::string& address, std::optional<std::int64_t> line_time, std::int64_t now);

 private:
  void open();  // throws StoreError

  StoreSpec spec_;
  std::int64_t window_;
  std::unique_ptr<RoamingAdmin> admin_;
  bool stamps_now_ = false;
};

}  // namespace ucspi
