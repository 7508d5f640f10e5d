#include "tools/watch_time.h"

#include <array>
#include <ctime>

namespace ucspi {
namespace {

// TAI64 labels are 2^62 plus TAI seconds; TAI ran 10 s ahead of UTC in 1970 (libtai's
// tai_now). Leap seconds since then are ignored, as tai64nlocal ignores them.
constexpr std::uint64_t tai64_unix_epoch = 4611686018427387914ULL;
constexpr std::int64_t seconds_per_day = 86400;

// Reads `count` decimal digits at text[at]; nothing when any is not a digit.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool char_at(std::string_view text, std::size_t at, char c) { return at < text.size() && text[at] == c; }

struct Stamp {
  std::int64_t seconds;
  std::size_t length;
};

constexpr std::size_t tai64n_length = 25;  // '@', 16 hex digits of seconds, 8 of nanoseconds

std::optional<unsigned> hex_digit(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return std::nullopt;
}

std::optional<Stamp> tai64n(std::string_view line) {
  if (line.size() < tai64n_length || line[0] != '@') return std::nullopt;
  std::uint64_t label = 0;
  for (std::size_t i = 1; i < tai64n_length; ++i) {
    const std::optional<unsigned> nibble = hex_digit(line[i]);
    if (!nibble) return std::nullopt;
    if (i <= 16) label = label * 16 + *nibble;
  }
  if (label < tai64_unix_epoch) return std::nullopt;
  return Stamp{static_cast<std::int64_t>(label - tai64_unix_epoch), tai64n_length};
}

// HH:MM:SS at text[at] into tm.
bool clock_time(std::string_view text, std::size_t at, std::tm& tm) {
  const std::optional<int> h = digits(text, at, 2), m = digits(text, at + 3, 2),
                           s = digits(text, at + 6, 2);
  if (!h || !m || !s || !char_at(text, at + 2, ':') || !char_at(text, at + 5, ':')) return false;
  if (*h > 23 || *m > 59 || *s > 60) return false;
  tm.tm_hour = *h;
  tm.tm_min = *m;
  tm.tm_sec = *s;
  return true;
}

// The local time of tm (its DST decided by the zone rules), or nothing.
std::optional<std::int64_t> local_seconds(std::tm tm) {
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

struct Zone {
  std::int64_t offset;  // east of UTC, in seconds
  std::size_t length;
};

// "+01:00", "-0530", "Z" at text[at]; nothing when absent.
std::optional<Zone> zone_offset(std::string_view text, std::size_t at) {
  if (char_at(text, at, 'Z')) return Zone{0, 1};
  if (!char_at(text, at, '+') && !char_at(text, at, '-')) return std::nullopt;
  const std::optional<int> h = digits(text, at + 1, 2);
  const bool colon = char_at(text, at + 3, ':');
  const std::optional<int> m = digits(text, colon ? at + 4 : at + 3, 2);
  if (!h || !m) return std::nullopt;
  const std::int64_t offset = (*h * 60 + *m) * 60;
  return Zone{text[at] == '-' ? -offset : offset, colon ? 6U : 5U};
}

// The end of the seconds' fraction (".123456" or ",123") that may follow text[at].
std::size_t after_fraction(std::string_view text, std::size_t at) {
  if (!char_at(text, at, '.') && !char_at(text, at, ',')) return at;
  for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9';) ++at;
  return at;
}

// RFC 3339 with 'T' or ' ', local time when it has no zone; svlogd -tt's '_' is always UTC.
std::optional<Stamp> rfc3339(std::string_view line) {
  const std::optional<int> year = digits(line, 0, 4), month = digits(line, 5, 2),
                           day = digits(line, 8, 2);
  if (!year || !month || !day || !char_at(line, 4, '-') || !char_at(line, 7, '-')) return std::nullopt;
  const bool svlogd = char_at(line, 10, '_');
  if (!svlogd && !char_at(line, 10, 'T') && !char_at(line, 10, ' ')) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  std::tm tm{};
  if (!clock_time(line, 11, tm)) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  const std::size_t at = after_fraction(line, 19);
  if (svlogd) return Stamp{static_cast<std::int64_t>(::timegm(&tm)), at};
  const std::optional<Zone> zone = zone_offset(line, at);
  if (!zone) {
    const std::optional<std::int64_t> seconds = local_seconds(tm);
    if (!seconds) return std::nullopt;
    return Stamp{*seconds, at};
  }
  return Stamp{static_cast<std::int64_t>(::timegm(&tm)) - zone->offset, at + zone->length};
}

std::optional<int> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < months.size(); ++i)
    if (months[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

constexpr std::size_t bsd_syslog_length = 15;  // "Jan  5 12:00:00"

std::optional<Stamp> bsd_syslog(std::string_view line, std::int64_t now) {
  const std::optional<int> month = month_number(line.substr(0, 3));
  if (!month || !char_at(line, 3, ' ')) return std::nullopt;
  const std::optional<int> day = char_at(line, 4, ' ') ? digits(line, 5, 1) : digits(line, 4, 2);
  if (!day || *day < 1 || *day > 31 || !char_at(line, 6, ' ')) return std::nullopt;
  std::tm tm{};
  if (!clock_time(line, 7, tm)) return std::nullopt;
  tm.tm_mon = *month;
  tm.tm_mday = *day;
  const std::time_t now_t = static_cast<std::time_t>(now);
  std::tm today{};
  if (::localtime_r(&now_t, &today) == nullptr) return std::nullopt;
  tm.tm_year = today.tm_year;
  std::optional<std::int64_t> seconds = local_seconds(tm);
  if (seconds && *seconds > now + seconds_per_day) {
    tm.tm_year -= 1;
    seconds = local_seconds(tm);
  }
  if (!seconds) return std::nullopt;
  return Stamp{*seconds, bsd_syslog_length};
}

std::optional<Stamp> stamp(std::string_view line, std::int64_t now) {
  if (line.starts_with('@')) return tai64n(line);
  if (std::optional<Stamp> found = rfc3339(line)) return found;
  return bsd_syslog(line, now);
}

}  // namespace

std::optional<std::int64_t> line_timestamp(std::string_view line, std::int64_t now) {
  const std::optional<Stamp> found = stamp(line, now);
  if (!found) return std::nullopt;
  return found->seconds;
}

std::size_t timestamp_length(std::string_view line) {
  // The length does not depend on the year a syslog stamp is given.
  const std::optional<Stamp> found = stamp(line, 0);
  return found ? found->length : 0;
}

}  // namespace ucspi
