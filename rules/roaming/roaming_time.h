// The time rules shared by every roaming store and the relay tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ucspi {

// The relay window when neither the command line (-w) nor the store's config names one: the
// -S patch's `time 1800`, as Mail::Toaster writes it.
inline constexpr std::int64_t default_relay_window = 1800;

// How far in the future a login may be stamped and still count: the clock of the host that
// recorded it (a POP server sharing the MySQL table) may run a little ahead of ours. A stamp
// further ahead is a wrong clock or a forged row, and would otherwise relay until that time
// plus the window, perhaps for ever.
inline constexpr std::int64_t future_login_slack = 300;

// Relay iff the last login is younger than the window (the -S patch's
// `timestamp > UNIX_TIMESTAMP() - time`) and not stamped beyond now plus the slack.
inline bool within_window(std::int64_t last_login, std::int64_t now, std::int64_t window) {
  return last_login > now - window && last_login <= now + future_login_slack;
}

// A login from an IP recorded less than this many seconds ago does not rewrite the store:
// mail clients poll every minute or two, and rewriting the whole cdb for each poll is the disk
// load vpopmail is known for. The cost is that relay may end up to this much earlier than
// window seconds after the very last login; with windows of 15-30 minutes that is noise.
inline constexpr std::int64_t default_refresh_interval = 60;

// A recorded time in the future (the clock went back) is always rewritten, so a wrong clock
// cannot extend relay.
inline bool is_recent(std::int64_t last_login, std::int64_t now, std::int64_t refresh_interval) {
  return last_login <= now && now - last_login < refresh_interval;
}

// A relay window as admins write it on a command line: 1 to 10 decimal digits, not zero.
// Anything else (a unit, a sign, a blank) is refused rather than read as a different number.
inline std::optional<std::int64_t> parse_window_seconds(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value == 0) return std::nullopt;
  return value;
}

}  // namespace ucspi
