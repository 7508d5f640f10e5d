#!/bin/sh
# /usr/local/libexec/relay-postlogin.sh: Dovecot 2.x post-login script that records each
# successful POP3/IMAP login's address in the roaming relay store, so that the client may
# relay through tcpserver -s for the next 30 minutes. relay.conf beside this file makes
# Dovecot run it.
#
# Dovecot runs it through script-login after the password check, never for a failed login,
# as the user relay.conf names (Dovecot's internal user "dovecot" there), under umask 0077,
# with an empty environment but for $IP (the client; empty for a local login), $USER and a
# few more, and with the command that continues the login as its arguments: "$@" must be
# exec'd, or the login hangs. relay-allow records $IP and execs "$@" itself, always: a
# missing or empty $IP or a store problem is a warning in Dovecot's log, never a failed login.
#
# Permissions: the user that runs it must be able to write the store's directory; tcpserver's
# -u user must be able to read the store. relay-allow makes a new store file 0644 whatever the
# umask (-m 0640 with a shared group instead: doc/permissions.md). For example, as root, once:
#   install -d -o dovecot -g dovecot -m 0755 /var/lib/relay
# Install this file mode 755, owned by root, where the dovecot user cannot change it.
#
# Tested: CI's e2e.chain.* tests run this very file under Debian's Dovecot with the two [test]
# lines set to their own values, and doc.run_files runs it with Dovecot's environment.

# [test] Dovecot gives post-login scripts no PATH: where relay-allow is.
PATH=/usr/local/bin:/usr/bin:/bin
export PATH
# [test] The roaming store: exactly tcpserver's -s on the SMTP side.
STORE=cdb:/var/lib/relay/relay.cdb

exec relay-allow -s "$STORE" "$@"
