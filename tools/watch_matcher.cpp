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

LoginMatcher::Found LoginMatcher::match(std::string_view line) const {
  if (regex_) return Found{regex_->address(line), ""};
  using Recogniser = std::optional<LoginLine> (*)(std::string_view);
  const auto in_format = [&](LogFormat format, Recogniser recognise) -> std::optional<Found> {
    if (format_ != LogFormat::all && format_ != format) return std::nullopt;
    const std::optional<LoginLine> found = recognise(line);
    if (!found) return std::nullopt;
    if (!found->doubt.empty()) return Found{std::nullopt, std::string(found->doubt)};
    return Found{std::string(found->address), ""};
  };
  if (auto found = in_format(LogFormat::dovecot, dovecot_login)) return *found;
  if (auto found = in_format(LogFormat::courier, courier_login)) return *found;
  return in_format(LogFormat::vchkpw, vchkpw_login).value_or(Found{});
}

}  // namespace ucspi
