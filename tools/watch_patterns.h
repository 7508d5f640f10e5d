// relay-watch's built-in recognisers of a successful POP/IMAP login in a log line: each returns
// the client address exactly as the line writes it (canonical_ip_text makes it a store key),
// or nothing for any other line, a failed login above all.
//
// Each is anchored twice. On the left, on the program's own prefix at the start of the
// message (after the timestamp, host and syslog tag), so that a failure line quoting a user
// name like "Login: user=<x>, rip=6.6.6.6" is still a failure line. On the right, on the last
// address field of the line: the user name is the only text a client controls and it comes
// before the server's own fields (rip=, ip=[...], :IP), so a name carrying a fake field is
// followed by the real one.
#pragma once

#include <optional>
#include <string_view>

namespace ucspi {

// Dovecot 1.x to 2.3, POP3 and IMAP, syslog or its own log_path:
//   [dovecot[: ]|dovecot[PID]: ](pop3|imap)-login: [Info: ]Login: user=<U>, method=M, rip=IP, lip=...
//   (1.0)                      (pop3|imap)-login: Login: U [IP]
// Failures ("Aborted login", "Disconnected (auth failed ...)", "Login aborted") never match.
std::optional<std::string_view> dovecot_login(std::string_view line);

// Courier-IMAP and Courier's POP3 server (pop3d, pop3d-ssl, imapd, imapd-ssl, courier-pop3d,
// courierpop3login, ...): "PROG: LOGIN, user=U, ip=[IP], port=[P], protocol=..." Not
// "LOGIN FAILED", "LOGOUT", "Connection" nor "DISCONNECTED".
std::optional<std::string_view> courier_login(std::string_view line);

// vpopmail's vchkpw behind qmail-pop3d (syslog tag vpopmail[PID]):
//   vchkpw-(pop3|pop3s|imap|imaps): (MECH) login success USER@DOMAIN:IP
//   vchkpw: login success USER@DOMAIN:IP            (vpopmail 5.2)
//   vchkpw: login [USER@DOMAIN] from IP             (older)
// vchkpw-smtp lines are SMTP AUTH, not a POP/IMAP login, and failures ("password fail",
// "vpopmail user not found", "pop access denied", ...) never match.
std::optional<std::string_view> vchkpw_login(std::string_view line);

}  // namespace ucspi
