// relay-watch's built-in recognisers of a successful POP/IMAP login in a log line: each returns
// the client address exactly as the line writes it (canonical_ip_text makes it a store key),
// or nothing for any other line, a failed login above all.
//
// Each is anchored twice. On the left, on the program's tag right after the timestamp (and the
// host, in syslog's form), then on its own prefix at the start of the message, so that neither
// a failure line quoting a user name like "Login: user=<x>, rip=6.6.6.6" nor a line that
// starts with a user name (Dovecot's "imap(USER)<PID>: ...") can pass for a login. On the
// right, on the one address field of the line: a user name carrying a field of its own makes
// the field appear twice, and such a line is a doubt (LoginLine::doubt), not a login.
#pragma once

#include <optional>
#include <string_view>

namespace ucspi {

// A login line: the client's address, or (address empty) why the line cannot be trusted to
// say which it is.
struct LoginLine {
  std::string_view address;
  std::string_view doubt;
};

// Dovecot 1.x to 2.3, POP3 and IMAP, syslog or its own log_path:
//   [dovecot[: ]|dovecot[PID]: ](pop3|imap)-login: [Info: ]Login: user=<U>, method=M, rip=IP, lip=...
//   (1.0)                      (pop3|imap)-login: Login: U [IP]
// Failures ("Aborted login", "Disconnected (auth failed ...)", "Login aborted") never match.
// A login whose rip= is not there once after user=<...>, or with a '<' or '>' beyond those of
// user=<...> and one session=<...>, is a doubt: see dovecot_fields.
std::optional<LoginLine> dovecot_login(std::string_view line);

// Courier-IMAP and Courier's POP3 server (pop3d, pop3d-ssl, imapd, imapd-ssl, courier-pop3d,
// courierpop3login, ...): "PROG: LOGIN, user=U, ip=[IP], port=[P], protocol=..." Not
// "LOGIN FAILED", "LOGOUT", "Connection" nor "DISCONNECTED". A login with ip=[ other than
// once is a doubt.
std::optional<LoginLine> courier_login(std::string_view line);

// vpopmail's vchkpw behind qmail-pop3d (syslog tag vpopmail[PID]):
//   vchkpw-(pop3|pop3s|imap|imaps): (MECH) login success USER@DOMAIN:IP
//   vchkpw: login success USER@DOMAIN:IP            (vpopmail 5.2)
//   vchkpw: login [USER@DOMAIN] from IP             (older)
// vchkpw-smtp lines are SMTP AUTH, not a POP/IMAP login, and failures ("password fail",
// "vpopmail user not found", "pop access denied", ...) never match.
std::optional<LoginLine> vchkpw_login(std::string_view line);

}  // namespace ucspi
