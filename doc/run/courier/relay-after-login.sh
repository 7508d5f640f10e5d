#!/bin/sh
# relay-after-login.sh: records each successful Courier POP3/IMAP login's address in the roaming
# relay store, then runs Courier's real POP3 or IMAP server. Installed in place of
# courierpop3d and imapd (README.md beside this file says how); the real ones are renamed
# PROGRAM.real, and this script runs "$0.real", so one copy serves both.
#
# Courier's courierpop3login and imaplogin check the password (through authdaemond), then
# become the account's user, chdir to its home, set $AUTHENTICATED and exec exactly
# "PROGRAM MAILDIR": no room for more arguments, hence a script in PROGRAM's place rather
# than relay-allow in the command line. couriertcpd (or tcpserver) has set $TCPREMOTEIP;
# relay-allow records it (an IPv4 client on couriertcpd's IPv6 socket, ::ffff:1.2.3.4, is
# stored as 1.2.3.4) and execs the real server, always: a store problem is a warning on
# stderr (Courier's log), never a failed login.
#
# Runs as the account's user: with virtual accounts that is one user (e.g. vmail), which must
# be able to write the store's directory (install -d -o vmail -m 0755 /var/lib/relay). With
# system accounts every mail user would need that, which lets any local user open relaying:
# prefer one virtual-mail user, or Dovecot (../dovecot/).
#
# Tested: CI's doc.run_files test runs this file the way courierpop3login runs courierpop3d
# (environment, arguments, a stand-in for the real server) and checks the store. It has not
# been run under a real Courier: see README.md.

# [test] Courier gives the login no PATH of ours: where relay-allow is.
PATH=/usr/local/bin:/usr/bin:/bin
export PATH
# [test] The roaming store: exactly tcpserver's -s on the SMTP side.
STORE=cdb:/var/lib/relay/relay.cdb

exec relay-allow -s "$STORE" "$0.real" "$@"
