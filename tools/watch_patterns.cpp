#include "tools/watch_patterns.h"

#include <initializer_list>

#include "tools/watch_time.h"

namespace ucspi {
namespace {

struct Tagged {
  std::string_view tag;      // "dovecot[123]", "pop3-login", "pop3d"
  std::string_view message;  // what follows "TAG: "
};

// "TAG: MESSAGE" at the very start of text, TAG one word.
std::optional<Tagged> leading_tag(std::string_view text) {
  const std::size_t colon = text.find(": ");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  if (text.substr(0, colon).find(' ') != std::string_view::npos) return std::nullopt;
  return Tagged{text.substr(0, colon), text.substr(colon + 2)};
}

// A syslog HOSTNAME: a name or an address, nothing a program's log prefix (Dovecot's
// "imap(USER)<PID>") looks like.
bool is_host_word(std::string_view word) {
  if (word.empty() || word.ends_with(':')) return false;
  for (const char c : word) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '-' && c != '_' && c != ':') return false;
  }
  return true;
}

// The syslog tag, or in a program's own log file its first field: right after the timestamp
// (watch_time.h) and one blank, or after one host word more (syslog), or at the start of a
// line without a timestamp. Nothing else may come first: in Dovecot's own log a mail process
// line starts with "imap(USER)", and a user name "x imap-login: Login: ..., rip=6.6.6.6"
// must not supply a tag. Timestamps have colons, but never one followed by a blank.
std::optional<Tagged> first_tag(std::string_view line) {
  const std::size_t stamp = timestamp_length(line);
  if (stamp == 0) return leading_tag(line);
  if (stamp >= line.size() || line[stamp] != ' ') return std::nullopt;
  const std::string_view rest = line.substr(stamp + 1);
  if (std::optional<Tagged> tagged = leading_tag(rest)) return tagged;
  const std::size_t blank = rest.find(' ');
  if (blank == std::string_view::npos || !is_host_word(rest.substr(0, blank))) return std::nullopt;
  return leading_tag(rest.substr(blank + 1));
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

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

// The value of the "KEY" field up to `end` (exclusive), or nothing when the field is missing
// or unterminated.
std::optional<std::string_view> field(std::string_view text, std::string_view key, char end) {
  const std::size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  text.remove_prefix(at + key.size());
  const std::size_t stop = text.find(end);
  if (stop == std::string_view::npos) return std::nullopt;
  return text.substr(0, stop);
}

LoginLine login_at(std::optional<std::string_view> address) {
  if (!address) return LoginLine{{}, "its address field is cut short"};
  return LoginLine{*address, {}};
}

// Dovecot's "user=<U>, method=M, rip=IP, lip=IP, mpid=N, TLS, session=<S>" leaves out empty
// fields (no rip= for a login over a UNIX socket), and with auth_username_chars emptied U may
// hold anything: "a>, rip=6.6.6.6, x" would then stand for a field of its own. The address is
// taken only when no '<' or '>' but those of user=<> and one session=<> can be there and
// rip= is there once, after U: a name holding "rip=" makes it twice, a name holding a '>'
// makes one too many unless it also holds "session=<", which Dovecot 2.1 and later write
// themselves (one too many again). Anything else is a doubt, never a login.
LoginLine dovecot_fields(std::string_view message) {
  const std::size_t sessions = occurrences(message, "session=<");
  const std::size_t opens = occurrences(message, "<"), closes = occurrences(message, ">");
  if (sessions > 1 || opens != 1 + sessions || closes != opens)
    return LoginLine{{}, "a '<' or '>' beyond user=<...> and session=<...>"};
  if (occurrences(message, "rip=") != 1) return LoginLine{{}, "rip= not there exactly once"};
  if (message.find(", rip=") < message.find('>')) return LoginLine{{}, "rip= inside user=<...>"};
  return login_at(field(message, ", rip=", ','));
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

// The address of vchkpw's message after its "vchkpw-pop3: " part.
std::optional<std::string_view> vchkpw_address(std::string_view message) {
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

}  // namespace

std::optional<LoginLine> dovecot_login(std::string_view line) {
  const std::optional<Tagged> tagged = first_tag(line);
  if (!tagged) return std::nullopt;
  std::optional<std::string_view> message = dovecot_message(*tagged);
  if (!message) return std::nullopt;
  skip_prefix(*message, "Info: ");  // its own log_path writes the level; syslog has none
  if (!skip_prefix(*message, "Login: ")) return std::nullopt;
  if (message->starts_with("user=<")) return dovecot_fields(*message);
  const std::optional<std::string_view> address = bracketed_tail(*message);
  if (!address) return std::nullopt;
  return LoginLine{*address, {}};
}

std::optional<LoginLine> courier_login(std::string_view line) {
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
  // Courier always writes ip=[...]: a user name holding one makes it twice.
  if (occurrences(message, ", ip=[") != 1) return LoginLine{{}, "ip=[ not there exactly once"};
  return login_at(field(message, ", ip=[", ']'));
}

std::optional<LoginLine> vchkpw_login(std::string_view line) {
  const std::optional<Tagged> tagged = first_tag(line);
  if (!tagged) return std::nullopt;
  std::string_view message = tagged->message;
  if (program_name(tagged->tag) == "vpopmail") {  // syslog's tag; vchkpw's own is in the message
    const std::optional<Tagged> inner = leading_tag(message);
    if (!inner || !is_vchkpw_login_tag(inner->tag)) return std::nullopt;
    message = inner->message;
  } else if (!is_vchkpw_login_tag(tagged->tag)) {
    return std::nullopt;
  }
  const std::optional<std::string_view> address = vchkpw_address(message);
  if (!address) return std::nullopt;
  return LoginLine{*address, {}};
}

}  // namespace ucspi
