// When a log line was written, from the timestamp it starts with: relay-watch stamps a login
// with it, not with the time it reads the line, so that a login read late (catching up after a
// restart) relays no longer than the window after it really happened, and so that reading the
// same line twice writes the same record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ucspi {

// Unix seconds of the timestamp at the start of line, or nothing when it starts with none of:
//   @4000000065a1b2c30a1b2c3d             multilog's TAI64N (daemontools, s6, runit's svlogd -t)
//   2024-01-05T12:00:00.123456+01:00      RFC 3339 (rsyslog, syslog-ng, journald): a zone, Z,
//                                         or none (local time)
//   2024-01-05 12:00:00                   the same with a blank (a Dovecot log_timestamp)
//   2024-01-05_12:00:00.12345             runit's svlogd -tt, always UTC
//   Jan  5 12:00:00 / Jan 05 12:00:00     BSD syslog and Dovecot's default log_timestamp
// The syslog form has no year and is local time: the year is the one that puts it no more
// than a day after now (a log read just after New Year holds December's lines).
std::optional<std::int64_t> line_timestamp(std::string_view line, std::int64_t now);

// The length of that timestamp (0 for none): the recognisers (watch_patterns.h) take the
// program's tag only right after it, where no client-supplied text can come first.
std::size_t timestamp_length(std::string_view line);

}  // namespace ucspi
