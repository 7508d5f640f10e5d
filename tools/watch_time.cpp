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

std::optional<std::int64_t> tai64n(std::string_view line) {
  if (line.size() < 25 || line[0] != '@') return std::nullopt;
  std::uint64_t label = 0;
  for (std::size_t i = 1; i <= 16; ++i) {
    const char c = line[i];
    unsigned nibble;
    if (c >= '0' && c <= '9') nibble = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') nibble = static_cast<unsigned>(c - 'a' + 10);
    else return std::nullopt;
    label = label * 16 + nibble;
  }
  if (label < tai64_unix_epoch) return std::nullopt;
  return static_cast<std::int64_t>(label - tai64_unix_epoch);
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

// "+01:00", "-0530", "Z" at text[at]: the offset east of UTC in seconds; nothing when absent.
std::optional<std::int64_t> zone_offset(std::string_view text, std::size_t at) {
  if (char_at(text, at, 'Z')) return 0;
  if (!char_at(text, at, '+') && !char_at(text, at, '-')) return std::nullopt;
  const std::optional<int> h = digits(text, at + 1, 2);
  const std::size_t minutes_at = char_at(text, at + 3, ':') ? at + 4 : at + 3;
  const std::optional<int> m = digits(text, minutes_at, 2);
  if (!h || !m) return std::nullopt;
  const std::int64_t offset = (*h * 60 + *m) * 60;
  return text[at] == '-' ? -offset : offset;
}

std::optional<std::int64_t> rfc3339(std::string_view line) {
  const std::optional<int> year = digits(line, 0, 4), month = digits(line, 5, 2),
                           day = digits(line, 8, 2);
  if (!year || !month || !day || !char_at(line, 4, '-') || !char_at(line, 7, '-')) return std::nullopt;
  if (!char_at(line, 10, 'T') && !char_at(line, 10, ' ')) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  std::tm tm{};
  if (!clock_time(line, 11, tm)) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  std::size_t at = 19;
  if (char_at(line, at, '.') || char_at(line, at, ','))
    for (++at; at < line.size() && line[at] >= '0' && line[at] <= '9';) ++at;
  const std::optional<std::int64_t> offset = zone_offset(line, at);
  if (!offset) return local_seconds(tm);
  return static_cast<std::int64_t>(::timegm(&tm)) - *offset;
}

std::optional<int> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < months.size(); ++i)
    if (months[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

std::optional<std::int64_t> bsd_syslog(std::string_view line, std::int64_t now) {
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
  return seconds;
}

}  // namespace

std::optional<std::int64_t> line_timestamp(std::string_view line, std::int64_t now) {
  if (line.starts_with('@')) return tai64n(line);
  if (std::optional<std::int64_t> seconds = rfc3339(line)) return seconds;
  return bsd_syslog(line, now);
}

}  // namespace ucspi
