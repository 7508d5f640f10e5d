#include "tcpserver/rule_limits.h"

#include <cstdlib>

#include "rules/base/scan_ulong.h"

namespace ucspi {
namespace {

// Decimal digits only, at most nine (0 is a limit: "always reject", as the patch has it).
std::optional<unsigned long> parse_unsigned(std::string_view text) {
  std::size_t digits = 0;
  const unsigned long n = scan_ulong(text, &digits);
  if (digits == 0 || digits != text.size() || digits > 9) return std::nullopt;
  return n;
}

// A limit's value: nothing when unset; bad_values names a value that is not a number.
std::optional<unsigned long> limit_value(const EnvEdits& env, char* const* base, const char* name,
                                         std::vector<std::string>& bad_values) {
  const std::optional<std::string_view> text = env.value(name, base);
  if (!text) return std::nullopt;
  if (std::optional<unsigned long> n = parse_unsigned(*text)) return n;
  bad_values.push_back(std::string(name) + "=" + std::string(*text) + " is not a number");
  return std::nullopt;
}

LimitRefusal refusal(const EnvEdits& env, char* const* base, std::string flag) {
  LimitRefusal r{std::move(flag), {}};
  if (const std::optional<std::string_view> message = env.value("DIEMSG", base)) {
    r.die_message = *message;
    r.die_message += "\r\n";
  }
  return r;
}

}  // namespace

std::optional<unsigned long> system_load_x100() {
  double load = 0;
  if (::getloadavg(&load, 1) != 1) return std::nullopt;
  return static_cast<unsigned long>(load * 100);
}

LimitCheck check_rule_limits(const EnvEdits& env, char* const* base, const NetworkCounts& counts,
                             const std::string& canonical_ip, LoadReader load) {
  LimitCheck check;
  const auto max_load = limit_value(env, base, "MAXLOAD", check.bad_values);
  const auto max_ip = limit_value(env, base, "MAXCONNIP", check.bad_values);
  const auto max_network = limit_value(env, base, "MAXCONNC", check.bad_values);
  // "Accepted only if the load average is below": a load the system cannot tell is no refusal.
  if (max_load) {
    const std::optional<unsigned long> now = load();
    if (now && *now >= *max_load)
      check.refusal = refusal(env, base, "LOAD:" + std::to_string(*now));
  }
  if (!check.refusal && max_ip && counts.at_ip(canonical_ip) > *max_ip)
    check.refusal = refusal(env, base, "MAXCONNIP:" + std::to_string(*max_ip));
  if (!check.refusal && max_network && counts.in_network(canonical_ip) > *max_network)
    check.refusal = refusal(env, base, "MAXCONNC:" + std::to_string(*max_network));
  return check;
}

}  // namespace ucspi
