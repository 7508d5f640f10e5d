// relay-watch's login recognisers on log lines as the servers write them: Dovecot's taken
// from Debian 12's Dovecot 2.3.19 (its own log_path and syslog), the older ones from the
// formats in their sources and in the patterns pop-before-smtp ships. Each success form gives
// the client's address exactly; each failure form of the same server gives nothing; a user
// name that carries a fake address field never gives its address.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "tools/watch_matcher.h"
#include "tools/watch_patterns.h"

using namespace ucspi;

namespace {

std::optional<std::string> text(std::optional<LoginLine> found) {
  if (!found || !found->doubt.empty()) return std::nullopt;
  return std::string(found->address);
}

// Whether the line is a login whose address cannot be trusted.
bool doubted(std::optional<LoginLine> found) { return found && !found->doubt.empty(); }

std::optional<std::string> dovecot(std::string_view line) { return text(dovecot_login(line)); }
std::optional<std::string> courier(std::string_view line) { return text(courier_login(line)); }
std::optional<std::string> vchkpw(std::string_view line) { return text(vchkpw_login(line)); }

}  // namespace

TEST_CASE("dovecot 2.3 log_path logins give rip", "[relay-watch][patterns]") {
  CHECK(dovecot("Nov 30 07:34:27 pop3-login: Info: Login: user=<roamer>, method=PLAIN, "
                "rip=127.0.0.2, lip=127.0.0.1, mpid=14613, session=<w7SOcHlhfIV/AAAC>") ==
        "127.0.0.2");
  CHECK(dovecot("Nov 30 07:34:29 pop3-login: Info: Login: user=<roamer>, method=PLAIN, rip=::1, "
                "lip=::1, mpid=14916, secured, session=<UpKtcHlhWroAAAAAAAAAAAAAAAAAAAAB>") == "::1");
  CHECK(dovecot("Jan  5 09:00:01 imap-login: Info: Login: user=<a@example.org>, method=PLAIN, "
                "rip=2001:db8::7, lip=2001:db8::1, mpid=77, TLS, session=<abc>") == "2001:db8::7");
}

TEST_CASE("dovecot syslog logins of 1.x and 2.x give rip", "[relay-watch][patterns]") {
  CHECK(dovecot("Jan  5 09:00:01 mail dovecot: pop3-login: Login: user=<joe>, method=PLAIN, "
                "rip=192.0.2.10, lip=192.0.2.1, mpid=1234, TLS, session=<xyz>") == "192.0.2.10");
  CHECK(dovecot("2024-01-05T09:00:01.123456+01:00 mail dovecot[812]: imap-login: Login: "
                "user=<joe>, method=PLAIN, rip=192.0.2.11, lip=192.0.2.1, mpid=9, session=<q>") ==
        "192.0.2.11");
  CHECK(dovecot("Mar  2 10:11:12 mail dovecot: imap-login: Login: user=<joe>, method=PLAIN, "
                "rip=::ffff:192.0.2.12, lip=::ffff:192.0.2.1, TLS") == "::ffff:192.0.2.12");
}

TEST_CASE("dovecot 1.0 bracket form gives the address", "[relay-watch][patterns]") {
  CHECK(dovecot("Mar  2 10:11:12 mail dovecot: imap-login: Login: joe [192.0.2.1]") == "192.0.2.1");
  CHECK(dovecot("Mar  2 10:11:12 mail imap-login: Login: joe [::ffff:192.0.2.2]") ==
        "::ffff:192.0.2.2");
  // A user name with a blank is not that form (Dovecot 1.0 logged names without blanks).
  CHECK_FALSE(dovecot("Mar  2 10:11:12 mail imap-login: Login: a [6.6.6.6] b [192.0.2.3]"));
}

TEST_CASE("dovecot failed logins give nothing", "[relay-watch][patterns]") {
  for (const char* line : {
           // 2.3.19, as Debian 12 writes them (a wrong password, an empty one)
           "Nov 30 07:34:29 pop3-login: Info: Disconnected: Connection closed (auth failed, 1 "
           "attempts in 2 secs): user=<roamer>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, "
           "session=<jlKScHlhgpB/AAAD>",
           "Nov 30 07:34:27 auth: Info: passwd-file(roamer,127.0.0.3,<jlKScHlhgpB/AAAD>): "
           "Password mismatch",
           "Nov 30 07:34:27 pop3-login: Info: Disconnected: Connection closed (no auth attempts "
           "in 0 secs): user=<>, rip=127.0.0.1, lip=127.0.0.1, secured, session=<FyWN>",
           // 2.0-2.2 syslog
           "Jan  5 09:00:01 mail dovecot: imap-login: Aborted login (auth failed, 1 attempts in 2 "
           "secs): user=<joe>, method=PLAIN, rip=192.0.2.20, lip=192.0.2.1, session=<a>",
           "Jan  5 09:00:01 mail dovecot: pop3-login: Disconnected (auth failed, 3 attempts): "
           "user=<joe>, method=PLAIN, rip=192.0.2.21, lip=192.0.2.1",
           "Jan  5 09:00:01 mail dovecot: imap-login: Login aborted: Connection closed (auth "
           "failed, 1 attempts in 2 secs) (auth_failed): user=<joe>, rip=192.0.2.22, lip=1.2.3.4",
           // the process after the login, and Dovecot's proxy
           "Jan  5 09:00:01 mail dovecot: pop3(joe): Disconnected: Logged out top=0/0, retr=0/0",
           "Jan  5 09:00:01 mail dovecot: submission-login: Login: user=<joe>, method=PLAIN, "
           "rip=192.0.2.23, lip=192.0.2.1, mpid=5",
       }) {
    INFO(line);
    CHECK_FALSE(dovecot(line));
  }
}

TEST_CASE("dovecot user names cannot inject an address", "[relay-watch][patterns]") {
  // Success with a crafted name (auth_username_chars emptied): rip= twice is a doubt.
  CHECK(doubted(dovecot_login("Nov 30 07:34:56 pop3-login: Info: Login: user=<x>, method=plain, "
                              "rip=6.6.6.6, lip=1.1.1.1, session=<y>, method=PLAIN, "
                              "rip=127.0.0.9, lip=127.0.0.1, mpid=20, session=<2BIlcnlhTKh/AAAJ>")));
  CHECK(doubted(dovecot_login("Jan  5 09:00:01 mail dovecot: pop3-login: Login: user=<x, "
                              "rip=6.6.6.6>, method=PLAIN, rip=192.0.2.30, lip=192.0.2.1, mpid=5")));
  // A failure whose user name quotes a whole success line.
  CHECK_FALSE(dovecot("Nov 30 07:34:56 pop3-login: Info: Disconnected: Connection closed (auth "
                      "failed, 1 attempts in 2 secs): user=<pop3-login: Info: Login: user=<x>, "
                      "method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, session=<y>, method=PLAIN, "
                      "rip=127.0.0.10, lip=127.0.0.1, session=<pMBD>"));
  // Another program's message that looks like Dovecot's (logger -t evil).
  CHECK_FALSE(dovecot("Jan  5 09:00:01 mail evil: pop3-login: Login: user=<x>, method=PLAIN, "
                      "rip=6.6.6.6, lip=1.1.1.1"));
  CHECK_FALSE(dovecot("Jan  5 09:00:01 mail dovecot-evil: pop3-login: Login: user=<x>, "
                      "method=PLAIN, rip=6.6.6.6, lip=1.1.1.1"));
  // rip without the field after it (a line cut short) is no address.
  CHECK_FALSE(dovecot("Jan  5 09:00:01 mail dovecot: pop3-login: Login: user=<x>, method=PLAIN, "
                      "rip=127.0.0.1"));
}

TEST_CASE("courier logins give ip", "[relay-watch][patterns]") {
  CHECK(courier("Apr 15 06:54:50 bovo pop3d: LOGIN, user=april@mailserver.com, "
                "ip=[::ffff:192.0.2.40], port=[1060]") == "::ffff:192.0.2.40");
  CHECK(courier("Mar 27 15:07:15 debian imapd: LOGIN, user=winrid, ip=[::ffff:127.0.0.1], "
                "protocol=IMAP") == "::ffff:127.0.0.1");
  CHECK(courier("Jul  8 20:26:26 Server imapd-ssl: LOGIN, user=test@wzk.cz, "
                "ip=[2001:db8::41], port=[44325], protocol=IMAP") == "2001:db8::41");
  CHECK(courier("Jul  8 20:26:26 Server courier-pop3d: LOGIN, user=joe, ip=[192.0.2.42], "
                "port=[1], protocol=POP3") == "192.0.2.42");
  CHECK(courier("Jul  8 20:26:26 Server courierpop3login[99]: LOGIN, user=joe, "
                "ip=[::ffff:192.0.2.43]") == "::ffff:192.0.2.43");
  CHECK(courier("Jul  8 20:26:26 Server pop3d-ssl: INFO: LOGIN, user=joe, ip=[192.0.2.44], "
                "port=[5], protocol=POP3, stls=1") == "192.0.2.44");
}

TEST_CASE("courier failures, logouts and injections give nothing", "[relay-watch][patterns]") {
  for (const char* line : {
           "Mar  6 09:23:16 localhost imapd: LOGIN FAILED, user=yanling, ip=[::ffff:127.0.0.1]",
           "Mar  6 09:23:16 localhost pop3d: LOGIN FAILED, method=PLAIN, user=joe, "
           "ip=[::ffff:192.0.2.50]",
           "Apr 15 06:54:51 bovo pop3d: LOGOUT, user=april, ip=[::ffff:192.0.2.51], port=[1060], "
           "top=0, retr=0, rcvd=12, sent=39, time=1",
           "Apr 15 06:54:52 bovo pop3d: Connection, ip=[::ffff:192.0.2.52]",
           "Mar  6 11:33:25 localhost imapd: DISCONNECTED, user=y, ip=[::ffff:127.0.0.1], "
           "headers=0, body=0",
           "Mar  6 11:33:25 localhost evil: imapd: LOGIN, user=x, ip=[6.6.6.6], port=[1]",
       }) {
    INFO(line);
    CHECK_FALSE(courier(line));
  }
  CHECK(doubted(courier_login("Apr 15 06:54:50 bovo pop3d: LOGIN, user=x, ip=[6.6.6.6], "
                              "ip=[192.0.2.53], port=[1060]")));
}

TEST_CASE("a line that starts with a user name has no tag", "[relay-watch][patterns]") {
  // Dovecot's own log (log_path): a mail process' lines start with "imap(USER)<PID><SESSION>".
  for (const char* line : {
           "Nov 30 08:40:00 imap(x imap-login: Login: user=<y>, rip=6.6.6.6, lip=1)<12><abc>: "
           "Info: Logged out in=0 out=0",
           "Nov 30 08:40:00 imap(x) imap-login: Login: user=<y>, rip=6.6.6.6, lip=1)<12><abc>: "
           "Info: Logged out",
           "Nov 30 08:40:00 pop3(x pop3-login: Info: Login: user=<y>, rip=6.6.6.6, lip=1): Info: "
           "Disconnected",
           "2024-01-05 09:00:01 imap(x imap-login: Login: user=<y>, rip=6.6.6.6, lip=1): Info: x",
           "@4000000065a1b2c30a1b2c3d imap(x imap-login: Login: user=<y>, rip=6.6.6.6, lip=1): x",
           "imap(x imap-login: Login: user=<y>, rip=6.6.6.6, lip=1): Info: Logged out",
           "Nov 30 08:40:00 mail x imap-login: Login: user=<y>, rip=6.6.6.6, lip=1",
       }) {
    INFO(line);
    CHECK_FALSE(dovecot_login(line));
  }
  for (const char* line : {
           "Nov 30 08:40:00 imap(x pop3d: LOGIN, user=y, ip=[6.6.6.6], port=[1])<12><abc>: Info: "
           "Logged out",
           "Nov 30 08:40:00 imap(x) pop3d: LOGIN, user=y, ip=[6.6.6.6], port=[1]): Info: x",
           "Nov 30 08:40:00 imap(x vpopmail[1]: vchkpw-pop3: (PLAIN) login success y@e.com:6.6.6.6",
       }) {
    INFO(line);
    CHECK_FALSE(courier_login(line));
    CHECK_FALSE(vchkpw_login(line));
    CHECK_FALSE(LoginMatcher(LogFormat::all).address(line));
  }
  // The same prefixes with a real tag still are logins, with and without a host.
  CHECK(courier("@4000000065a1b2c30a1b2c3d pop3d: LOGIN, user=y, ip=[192.0.2.54]") == "192.0.2.54");
  CHECK(courier("2024-01-05_09:00:01.12345 pop3d: LOGIN, user=y, ip=[192.0.2.55]") == "192.0.2.55");
  CHECK(courier("pop3d: LOGIN, user=y, ip=[192.0.2.56]") == "192.0.2.56");
  CHECK(dovecot("2024-01-05T09:00:01Z mail-1.example.org imap-login: Login: user=<y>, "
                "method=PLAIN, rip=192.0.2.57, lip=1, session=<s>") == "192.0.2.57");
}

TEST_CASE("dovecot logins without a real rip are doubts, never logins", "[relay-watch][patterns]") {
  // Dovecot leaves out empty fields: a login over a UNIX socket has no rip= of its own.
  for (const char* line : {
           "Nov 30 08:40:00 imap-login: Info: Login: user=<a, rip=6.6.6.6,>, method=PLAIN, "
           "lip=1, mpid=2, session=<s>",
           "Nov 30 08:40:00 imap-login: Info: Login: user=<a>, rip=6.6.6.6, x>, method=PLAIN, "
           "lip=1, mpid=2, session=<s>",
           "Nov 30 08:40:00 imap-login: Info: Login: user=<a>, rip=6.6.6.6, session=<x>, "
           "method=PLAIN, lip=1, mpid=2, session=<s>",
           "Nov 30 08:40:00 imap-login: Info: Login: user=<a>, rip=6.6.6.6, x=<y>, method=PLAIN, "
           "lip=1, mpid=2, session=<s>",
           "Nov 30 08:40:00 imap-login: Info: Login: user=<a<b>, method=PLAIN, rip=192.0.2.58, "
           "session=<s>",
       }) {
    INFO(line);
    CHECK(doubted(dovecot_login(line)));
    CHECK_FALSE(LoginMatcher(LogFormat::all).address(line));
    CHECK_FALSE(LoginMatcher(LogFormat::all).match(line).doubt.empty());
  }
  // Without any rip= the line is no login at all, still never an address.
  CHECK_FALSE(dovecot("Nov 30 08:40:00 imap-login: Info: Login: user=<a>, method=PLAIN, lip=1"));
  // Dovecot before 2.1 writes no session=<>.
  CHECK(dovecot("Jan  5 09:00:01 mail dovecot: pop3-login: Login: user=<joe>, method=PLAIN, "
                "rip=192.0.2.59, lip=192.0.2.1") == "192.0.2.59");
}

TEST_CASE("vchkpw logins give the address after the domain", "[relay-watch][patterns]") {
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw-pop3: (PLAIN) login success "
               "joe@example.com:192.0.2.60") == "192.0.2.60");
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw-pop3s: (APOP) login success "
               "joe@example.com:::ffff:192.0.2.61") == "::ffff:192.0.2.61");
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw-imap: (PLAIN) login success "
               "joe@example.com:2001:db8::62") == "2001:db8::62");
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw: login success "
               "joe@example.com:192.0.2.63") == "192.0.2.63");
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw: login [joe@example.com] from "
               "192.0.2.64") == "192.0.2.64");
  // A user part carrying an address of its own: the domain's '@' is the last one.
  CHECK(vchkpw("Jan  5 09:00:01 mail vpopmail[4321]: vchkpw-pop3: (PLAIN) login success "
               "x:6.6.6.6@example.com:192.0.2.65") == "192.0.2.65");
}

TEST_CASE("vchkpw failures and SMTP AUTH give nothing", "[relay-watch][patterns]") {
  for (const char* line : {
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: password fail joe@example.com:192.0.2.70",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: password fail (pass: 'x') "
           "joe@example.com:192.0.2.71",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: vpopmail user not found "
           "joe@example.com:192.0.2.72",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: user has no password "
           "joe@example.com:192.0.2.73",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: pop access denied "
           "joe@example.com:192.0.2.74",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-imap: imap access denied "
           "joe@example.com:192.0.2.75",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: invalid user/domain characters "
           "j%o:192.0.2.76",
           "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-smtp: (CRAM-MD5) login success "
           "joe@example.com:192.0.2.77",
           "Jan  5 09:00:01 mail evil[1]: vchkpw-pop3: (PLAIN) login success j@e.com:6.6.6.6",
           "Jan  5 09:00:01 mail vpopmail[1]: x vchkpw-pop3: (PLAIN) login success j@e.com:6.6.6.6",
       }) {
    INFO(line);
    CHECK_FALSE(vchkpw(line));
  }
}

TEST_CASE("the formats do not take each other's lines", "[relay-watch][patterns]") {
  const std::string dovecot_line =
      "Jan  5 09:00:01 mail dovecot: pop3-login: Login: user=<j>, method=PLAIN, rip=192.0.2.80, "
      "lip=192.0.2.1";
  const std::string courier_line = "Jan  5 09:00:01 mail pop3d: LOGIN, user=j, ip=[192.0.2.81]";
  const std::string vchkpw_line =
      "Jan  5 09:00:01 mail vpopmail[1]: vchkpw-pop3: (PLAIN) login success j@e.com:192.0.2.82";
  CHECK_FALSE(courier(dovecot_line));
  CHECK_FALSE(vchkpw(dovecot_line));
  CHECK_FALSE(dovecot(courier_line));
  CHECK_FALSE(vchkpw(courier_line));
  CHECK_FALSE(dovecot(vchkpw_line));
  CHECK_FALSE(courier(vchkpw_line));

  const LoginMatcher all(LogFormat::all);
  CHECK(all.address(dovecot_line) == "192.0.2.80");
  CHECK(all.address(courier_line) == "192.0.2.81");
  CHECK(all.address(vchkpw_line) == "192.0.2.82");
  const LoginMatcher only_courier(*parse_log_format("courier"));
  CHECK_FALSE(only_courier.address(dovecot_line));
  CHECK(only_courier.address(courier_line) == "192.0.2.81");
  CHECK_FALSE(parse_log_format("postfix"));
}

TEST_CASE("a regular expression gives its first group", "[relay-watch][patterns]") {
  const LoginMatcher uw(std::make_unique<LoginRegex>(
      "ipop3d\\[[0-9]+\\]: (Login|Auth) user=[^ ]+ host=.*\\[([0-9.]+)\\]$"));
  // ERE has no non-capturing group: the first group is the address, whatever it holds.
  CHECK(uw.address("Apr 3 16:15:33 h ipop3d[22]: Login user=fogle host=x [130.242.128.210]") ==
        "Login");
  const LoginMatcher teapop(std::make_unique<LoginRegex>(
      "teapop\\[[0-9]+\\]: Successful login for [^ ]+ .+ \\[([0-9.]+)\\]$"));
  CHECK(teapop.address("Jan 1 00:00:00 h teapop[5]: Successful login for joe at x [192.0.2.90]") ==
        "192.0.2.90");
  CHECK_FALSE(teapop.address("Jan 1 00:00:00 h teapop[5]: Failed login for joe [192.0.2.91]"));
  // An optional group that did not take part gives nothing rather than an empty address.
  const LoginMatcher optional(std::make_unique<LoginRegex>("login( from ([0-9.]+))?$"));
  CHECK_FALSE(optional.address("login"));
  // A line as long as the follower hands over does not exhaust the stack.
  const LoginMatcher greedy(std::make_unique<LoginRegex>("^(.*)x$"));
  CHECK(greedy.address(std::string(65535, 'a') + "x")->size() == 65535u);
}

TEST_CASE("the man page's UW imapd pattern is anchored on the left", "[relay-watch][patterns]") {
  const LoginMatcher uw(std::make_unique<LoginRegex>(
      "^[A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [^ ]+ imapd\\[[0-9]+\\]: Login user=[^ ]+ "
      "host=.*\\[([0-9.]+)\\]$"));
  CHECK(uw.address("Apr  3 16:15:33 h imapd[22]: Login user=fogle host=x [192.0.2.92]") ==
        "192.0.2.92");
  CHECK_FALSE(uw.address("Apr  3 16:15:33 h other[9]: said x imapd[1]: Login user=a host=b "
                         "[6.6.6.6]"));
}

TEST_CASE("a bad regular expression is refused with the reason", "[relay-watch][patterns]") {
  CHECK_THROWS_WITH(LoginRegex("login ([0-9.]+"), Catch::Contains("bad regular expression"));
  CHECK_THROWS_WITH(LoginRegex("login [0-9.]+"), Catch::Contains("without a group"));
}
