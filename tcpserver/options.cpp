#include "tcpserver/options.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "rules/roaming/roaming_time.h"
#include "rules/base/scan_ulong.h"
#include "rules/roaming/roaming_store.h"
#include "rules/roaming/store_spec.h"

namespace ucspi {
namespace {

constexpr const char* option_letters = "46dDvqQhHrR1UXx:t:u:g:l:b:B:c:C:I:pPoOs:Sw:y:Y:";

const char* basename_of(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool takes_argument(char letter) {
  const char* p = std::strchr(option_letters, letter);
  return p != nullptr && p[1] == ':';
}

void apply_flag(char letter, Options& o) {
  switch (letter) {
    case '4': o.ipv4_only = true; break;
    case '6': o.v4_as_mapped = true; break;
    case 'd': o.nodelay = false; break;
    case 'D': o.nodelay = true; break;
    case 'v': o.verbosity = 2; break;
    case 'q': o.verbosity = 0; break;
    case 'Q': o.verbosity = 1; break;
    case 'h': o.remote_host = true; break;
    case 'H': o.remote_host = false; break;
    case 'r': o.remote_info = true; break;
    case 'R': o.remote_info = false; break;
    case '1': o.print_port = true; break;
    case 'X': o.rules_missing_ok = true; break;
    case 'p': o.paranoid = true; break;
    case 'P': o.paranoid = false; break;
    case 'o': o.kill_ip_options = false; break;
    case 'O': o.kill_ip_options = true; break;
    case 'S': o.store = "mysql:/var/qmail/control/sql"; break;
    case 'U':
      if (const char* uid = std::getenv("UID")) o.uid = scan_ulong(uid);
      if (const char* gid = std::getenv("GID")) o.gid = scan_ulong(gid);
      break;
  }
}

// A per-IP limit: 1 to 10 decimal digits, not zero (no -C at all means no limit).
std::optional<unsigned long> parse_limit(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0) return std::nullopt;
  return value;
}

// Our own options: the message for a value they do not take, or nothing.
std::optional<std::string> apply_strict_argument(char letter, const char* arg, Options& o) {
  switch (letter) {
    case 'C':
      if (auto limit = parse_limit(arg)) {
        o.per_ip_limit = *limit;
        return std::nullopt;
      }
      return std::string("bad per-IP limit -C ") + arg + ": want a number, 1 or more";
    case 'w':
      if (auto window = parse_window_seconds(arg)) {
        o.window = *window;
        return std::nullopt;
      }
      return std::string("bad window -w ") + arg + ": want seconds, 1 or more";
    case 'y':
      if (std::optional<std::string> why = o.proxies.add(arg))
        return std::string("bad PROXY sources -y ") + arg + ": " + *why;
      return std::nullopt;
    case 'Y':
      if (auto seconds = parse_decimal(arg, 3600); seconds && *seconds > 0) {
        o.proxy_timeout = *seconds;
        return std::nullopt;
      }
      return std::string("bad PROXY header timeout -Y ") + arg + ": want seconds, 1 to 3600";
    case 's':
      try {
        parse_store_spec(arg);
      } catch (const StoreError& e) {
        return std::string("bad store -s ") + arg + ": " + e.what();
      }
      o.store = arg;
      return std::nullopt;
  }
  return std::nullopt;
}

void apply_argument(char letter, const char* arg, Options& o) {
  switch (letter) {
    case 'x': o.rules = arg; break;
    case 't': o.ident_timeout = scan_ulong(arg); break;
    case 'u': o.uid = scan_ulong(arg); break;
    case 'g': o.gid = scan_ulong(arg); break;
    case 'l': o.local_name = arg; break;
    case 'b': o.backlog = scan_ulong(arg); break;
    case 'B': o.banner = arg; break;
    case 'c': o.limit = scan_ulong(arg); break;
    case 'I': o.interface = arg; break;
  }
}

}  // namespace

const char* usage_line() {
  return "tcpserver: usage: tcpserver [ -1UXpPhHrRoOdDqQv ] [ -c limit ] [ -x rules.cdb ] "
         "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -t timeout ] "
         "host port program";
}

ParsedCommandLine parse_options(int argc, const char* const* argv, Options& out) {
  ParsedCommandLine result;
  const std::string prog = argc > 0 ? basename_of(argv[0]) : "tcpserver";
  int index = 1;
  for (; index < argc; ++index) {
    const char* word = argv[index];
    if (word[0] != '-' || word[1] == '\0') break;  // "-" alone is an operand
    if (std::strcmp(word, "--") == 0) {
      ++index;
      break;
    }
    for (const char* p = word + 1; *p; ++p) {
      char letter = *p;
      if (letter == ':' || std::strchr(option_letters, letter) == nullptr) {
        result.parse_messages.push_back(prog + ": illegal option -- " + std::string(1, letter));
        result.status = ParsedCommandLine::Status::usage;
        return result;
      }
      if (!takes_argument(letter)) {
        apply_flag(letter, out);
        continue;
      }
      const char* arg = nullptr;
      if (p[1] != '\0') {
        arg = p + 1;
      } else if (index + 1 < argc) {
        arg = argv[++index];
      } else {
        result.parse_messages.push_back(prog + ": option requires an argument -- " +
                                        std::string(1, letter));
        result.status = ParsedCommandLine::Status::usage;
        return result;
      }
      if (std::optional<std::string> bad = apply_strict_argument(letter, arg, out)) {
        result.parse_messages.push_back(prog + ": " + *bad);
        result.status = ParsedCommandLine::Status::usage;
        return result;
      }
      apply_argument(letter, arg, out);
      break;
    }
  }
  const char* const* rest = argv + index;
  int left = argc - index;
  if (left >= 1) out.host = rest[0];
  if (left >= 2) out.port = rest[1];
  for (int i = 2; i < left; ++i) out.program.emplace_back(rest[i]);
  return result;
}

}  // namespace ucspi
