// smtp-fixture [ DOMAIN ]: the part of qmail-smtpd that a relay decision shows. Runs as the child
// of tcpserver (and rblsmtpd) on fd 0/1, under the same softlimit as they do, so it is written in
// C style with read/write and the libc only: no iostreams, no allocation, statically linked by
// CMake when the build has no sanitizers (a 3 MB address space has no room for libstdc++).
//
// Greets 220, accepts HELO/EHLO/MAIL/RSET/NOOP, RCPT TO only for DOMAIN (default mail.test)
// unless $RELAYCLIENT is set, DATA (the message is discarded), QUIT. The refusal is qmail-smtpd's
// text: "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)".
// One line per session goes to fd 2 (tcpserver's log), saying what the child was given.
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

const char* own_domain = "mail.test";

void put(const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t n = ::write(1, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(111);  // the client is gone
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void put_err(const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t n = ::write(2, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

// Buffered line reader over fd 0; lines longer than the buffer are cut (and still ended).
char inbuf[1024];
size_t inlen = 0;
size_t inpos = 0;

bool get_byte(char* c) {
  if (inpos == inlen) {
    ssize_t n;
    do n = ::read(0, inbuf, sizeof inbuf);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    inlen = static_cast<size_t>(n);
    inpos = 0;
  }
  *c = inbuf[inpos++];
  return true;
}

// Reads one line without its CRLF or LF into line (NUL-terminated); false at end of input.
bool get_line(char* line, size_t size) {
  size_t len = 0;
  char c;
  for (;;) {
    if (!get_byte(&c)) return false;
    if (c == '\n') break;
    if (len + 1 < size) line[len++] = c;
  }
  if (len > 0 && line[len - 1] == '\r') --len;
  line[len] = '\0';
  return true;
}

bool is_command(const char* line, const char* verb) {
  size_t n = std::strlen(verb);
  return ::strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ' || line[n] == ':');
}

// The domain of "RCPT TO:<user@domain>" (without the '>'), in place; "" when there is none.
const char* recipient_domain(char* line) {
  char* at = std::strrchr(line, '@');
  if (at == nullptr) return "";
  char* end = std::strchr(at, '>');
  if (end != nullptr) *end = '\0';
  return at + 1;
}

bool may_receive_for(const char* domain) {
  return std::getenv("RELAYCLIENT") != nullptr || ::strcasecmp(domain, own_domain) == 0;
}

// DATA: everything up to the lone "." line is read and thrown away.
bool swallow_message() {
  char line[1024];
  while (get_line(line, sizeof line))
    if (std::strcmp(line, ".") == 0) return true;
  return false;
}

void log_session() {
  const char* ip = std::getenv("TCPREMOTEIP");
  const char* relay = std::getenv("RELAYCLIENT");
  const char* rbl = std::getenv("RBLSMTPD");
  put_err("smtp-fixture: client ");
  put_err(ip != nullptr ? ip : "(no TCPREMOTEIP)");
  put_err(relay != nullptr ? " RELAYCLIENT set" : " RELAYCLIENT unset");
  put_err(rbl != nullptr ? " RBLSMTPD set\n" : " RBLSMTPD unset\n");
}

void greet() {
  put("220 ");
  put(own_domain);
  put(" ESMTP smtp-fixture\r\n");
}

void reply_hello() {
  put("250 ");
  put(own_domain);
  put("\r\n");
}

void serve() {
  char line[1024];
  bool have_sender = false;
  bool have_recipient = false;
  greet();
  while (get_line(line, sizeof line)) {
    if (is_command(line, "QUIT")) {
      put("221 ");
      put(own_domain);
      put("\r\n");
      return;
    } else if (is_command(line, "HELO") || is_command(line, "EHLO")) {
      reply_hello();
    } else if (is_command(line, "MAIL")) {
      have_sender = true;
      have_recipient = false;
      put("250 ok\r\n");
    } else if (is_command(line, "RCPT")) {
      if (!have_sender) {
        put("503 MAIL first (#5.5.1)\r\n");
      } else if (may_receive_for(recipient_domain(line))) {
        have_recipient = true;
        put("250 ok\r\n");
      } else {
        put("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n");
      }
    } else if (is_command(line, "DATA")) {
      if (!have_recipient) {
        put("503 RCPT first (#5.5.1)\r\n");
        continue;
      }
      put("354 go ahead\r\n");
      if (!swallow_message()) return;
      have_sender = have_recipient = false;
      put("250 ok discarded by smtp-fixture\r\n");
    } else if (is_command(line, "RSET")) {
      have_sender = have_recipient = false;
      put("250 flushed\r\n");
    } else if (is_command(line, "NOOP")) {
      put("250 ok\r\n");
    } else {
      put("502 unimplemented (#5.5.1)\r\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) own_domain = argv[1];
  log_session();
  serve();
  return 0;
}
