#include "tools/watch_matcher.h"

#include "tools/watch_patterns.h"

namespace ucspi {

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "all") return LogFormat::all;
  if (name == "dovecot") return LogFormat::dovecot;
  if (name == "courier") return LogFormat::courier;
  if (name == "vchkpw") return LogFormat::vchkpw;
  return std::nullopt;
}

std::optional<std::string> LoginMatcher::address(std::string_view line) const {
  if (regex_) return regex_->address(line);
  using Recogniser = std::optional<std::string_view> (*)(std::string_view);
  const auto in_format = [&](LogFormat format, Recogniser recognise) -> std::optional<std::string> {
    if (format_ != LogFormat::all && format_ != format) return std::nullopt;
    if (const std::optional<std::string_view> found = recognise(line)) return std::string(*found);
    return std::nullopt;
  };
  if (auto found = in_format(LogFormat::dovecot, dovecot_login)) return found;
  if (auto found = in_format(LogFormat::courier, courier_login)) return found;
  return in_format(LogFormat::vchkpw, vchkpw_login);
}

}  // namespace ucspi
