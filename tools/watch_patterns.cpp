#include "tools/watch_patterns.h"

#include <initializer_list>

namespace ucspi {
namespace {

struct Tagged {
  std::string_view tag;      // "dovecot[123]", "pop3-login", "pop3d"
  std::string_view message;  // what follows "TAG: "
};

// The syslog tag (or, in a program's own log file, the first field after the timestamp): the
// word before the line's first ": ". Only the first counts, so that another program's message
// (`logger -t evil "pop3-login: Login: ..."`) or a quoted user name cannot supply a tag of its
// own. Timestamps have colons, but never one followed by a blank.
std::optional<Tagged> first_tag(std::string_view line) {
  const std::size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  const std::size_t blank = line.find_last_of(' ', colon);
  const std::size_t start = blank == std::string_view::npos ? 0 : blank + 1;
  return Tagged{line.substr(start, colon - start), line.substr(colon + 2)};
}

bool is_digits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// "NAME" or "NAME[PID]": the name, or "" for a malformed pid part.
std::string_view program_name(std::string_view tag) {
  const std::size_t bracket = tag.find('[');
  if (bracket == std::string_view::npos) return tag;
  if (!tag.ends_with(']') || !is_digits(tag.substr(bracket + 1, tag.size() - bracket - 2))) return {};
  return tag.substr(0, bracket);
}

bool one_of(std::string_view word, std::initializer_list<std::string_view> words) {
  for (const std::string_view w : words)
    if (word == w) return true;
  return false;
}

bool skip_prefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

std::string_view trim_end(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// The value of the line's last "KEY" field up to `end` (exclusive), or nothing when the field
// is missing or unterminated: the last, because only the user name before it is the client's.
std::optional<std::string_view> last_field(std::string_view text, std::string_view key, char end) {
  const std::size_t at = text.rfind(key);
  if (at == std::string_view::npos) return std::nullopt;
  text.remove_prefix(at + key.size());
  const std::size_t stop = text.find(end);
  if (stop == std::string_view::npos) return std::nullopt;
  return text.substr(0, stop);
}

// The address of a message that must end in " [IP]" after a one-word user name: Dovecot 1.0's
// "Login: USER [IP]".
std::optional<std::string_view> bracketed_tail(std::string_view text) {
  text = trim_end(text);
  const std::size_t open = text.rfind(" [");
  if (open == std::string_view::npos || !text.ends_with(']')) return std::nullopt;
  if (text.substr(0, open).find(' ') != std::string_view::npos) return std::nullopt;
  return text.substr(open + 2, text.size() - open - 3);
}

// A Dovecot message after its "pop3-login: " or "imap-login: " part.
std::optional<std::string_view> dovecot_message(const Tagged& tagged) {
  const std::string_view name = program_name(tagged.tag);
  if (one_of(name, {"pop3-login", "imap-login"})) return tagged.message;
  if (name != "dovecot") return std::nullopt;
  std::string_view message = tagged.message;
  if (skip_prefix(message, "pop3-login: ") || skip_prefix(message, "imap-login: ")) return message;
  return std::nullopt;
}

// vchkpw names itself after the port: pop3 110, pop3s 995, imap 143, imaps 993 (smtp and smtps
// are SMTP AUTH); vpopmail 5.2 and older say just "vchkpw".
bool is_vchkpw_login_tag(std::string_view tag) {
  return one_of(tag, {"vchkpw", "vchkpw-pop3", "vchkpw-pop3s", "vchkpw-imap", "vchkpw-imaps"});
}

}  // namespace

std::optional<std::string_view> dovecot_login(std::string_view line) {
  const std::optional<Tagged> tagged = first_tag(line);
  if (!tagged) return std::nullopt;
  std::optional<std::string_view> message = dovecot_message(*tagged);
  if (!message) return std::nullopt;
  skip_prefix(*message, "Info: ");  // its own log_path writes the level; syslog has none
  if (!skip_prefix(*message, "Login: ")) return std::nullopt;
  if (message->starts_with("user=<")) return last_field(*message, ", rip=", ',');
  return bracketed_tail(*message);
}

std::optional<std::string_view> courier_login(std::string_view line) {
  const std::optional<Tagged> tagged = first_tag(line);
  if (!tagged) return std::nullopt;
  std::string_view name = program_name(tagged->tag);
  if (!skip_prefix(name, "courier-")) skip_prefix(name, "courier");
  if (!one_of(name, {"pop3d", "pop3d-ssl", "pop3ds", "pop3login", "imapd", "imapd-ssl", "imapds",
                     "imaplogin"}))
    return std::nullopt;
  std::string_view message = tagged->message;
  skip_prefix(message, "INFO: ");  // its own log, before courierlogger strips the level
  if (!skip_prefix(message, "LOGIN, ")) return std::nullopt;
  return last_field(message, ", ip=[", ']');
}

std::optional<std::string_view> vchkpw_login(std::string_view line) {
  const std::optional<Tagged> tagged = first_tag(line);
  if (!tagged) return std::nullopt;
  std::string_view message = tagged->message;
  if (program_name(tagged->tag) == "vpopmail") {  // syslog's tag; vchkpw's own is in the message
    const std::optional<Tagged> inner = first_tag(message);
    if (!inner || inner->tag.size() != message.find(": ") || !is_vchkpw_login_tag(inner->tag))
      return std::nullopt;
    message = inner->message;
  } else if (!is_vchkpw_login_tag(tagged->tag)) {
    return std::nullopt;
  }
  if (message.starts_with('(')) {  // the mechanism: (PLAIN), (APOP), (CRAM-MD5)
    const std::size_t close = message.find(") ");
    if (close == std::string_view::npos) return std::nullopt;
    message.remove_prefix(close + 2);
  }
  if (skip_prefix(message, "login [")) {
    const std::size_t from = message.rfind("] from ");
    if (from == std::string_view::npos) return std::nullopt;
    return trim_end(message.substr(from + 7));
  }
  if (!skip_prefix(message, "login success ")) return std::nullopt;
  // USER@DOMAIN:IP: a domain has no colon, an IPv6 address has several.
  const std::size_t at = message.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t colon = message.find(':', at);
  if (colon == std::string_view::npos) return std::nullopt;
  if (message.substr(at, colon - at).find(' ') != std::string_view::npos) return std::nullopt;
  return trim_end(message.substr(colon + 1));
}

}  // namespace ucspi
