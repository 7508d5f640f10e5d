// The ident query for -r (TCPREMOTEINFO), against what djb's remoteinfo.c does. First
// IdentQuery::Parser, the reading of the RFC 1413 reply. djb checks nothing of the reply's form:
// it drops blanks, tabs and CRs, keeps what follows the third colon, and stops at a newline or at
// 257 bytes. Each reply's expectation below was checked against ucspi-tcp 0.88's tcpserver
// (Debian 1:0.88-7) with a scripted identd, as compat/tcpserver/ident_diff.py runs it: a
// complete reply sets TCPREMOTEINFO to the text, an incomplete one (EOF before the newline)
// leaves it unset.
// Then the whole query, against scripted identds on port 113 of 127.0.0.113-117 (root only).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rules/base/unique_fd.h"
#include "rules/base/write_all.h"
#include "rules/event/event_handles.h"
#include "tcpserver/ident_query.h"

using namespace ucspi;
using namespace std::string_literals;

namespace {

struct Parsed {
  bool complete;
  std::string text;
  bool operator==(const Parsed&) const = default;
};

}  // namespace

namespace Catch {
template <>
struct StringMaker<Parsed> {
  static std::string convert(const Parsed& p) {
    return (p.complete ? "complete " : "incomplete ") + StringMaker<std::string>::convert(p.text);
  }
};
}  // namespace Catch

namespace {

// The reply fed in pieces of at most piece bytes, as reads would bring it; stops feeding when
// the parser says the reply is complete, as IdentQuery does.
Parsed parse(std::string_view reply, std::size_t piece = std::string_view::npos) {
  IdentQuery::Parser parser;
  for (std::size_t at = 0; at < reply.size(); at += piece)
    if (parser.feed(reply.substr(at, piece))) return {true, parser.text};
  return {false, parser.text};
}

Parsed complete(std::string text) { return {true, std::move(text)}; }

// Each reply, parsed whole, gives expected.
void check_each_gives(const std::vector<std::string>& replies, const Parsed& expected) {
  for (const std::string& reply : replies) {
    CAPTURE(reply);
    CHECK(parse(reply) == expected);
  }
}

}  // namespace

TEST_CASE("a USERID reply gives the user id that follows the third colon", "[tcpserver][ident]") {
  check_each_gives({"6193 , 23 : USERID : UNIX : stjohns\r\n", "6193,23:USERID:UNIX:stjohns\r\n"},
                   complete("stjohns"));
}

TEST_CASE("the system type is not checked: OTHER, a character set or any word will do",
          "[tcpserver][ident]") {
  check_each_gives({"6193 , 23 : USERID : OTHER : stjohns\r\n",
                    "6193 , 23 : USERID : UNIX , US-ASCII : stjohns\r\n",
                    "6193 , 23 : USERID : OTHER , UTF-8 : stjohns\r\n",
                    "6193 , 23 : ANSWER : WHATEVER : stjohns\r\n"},
                   complete("stjohns"));
}

TEST_CASE("an ERROR reply is complete with an empty user id (TCPREMOTEINFO set, empty)",
          "[tcpserver][ident]") {
  check_each_gives({"6195 , 23 : ERROR : NO-USER\r\n", "6195 , 23 : ERROR : HIDDEN-USER\r\n",
                    "6195 , 23 : ERROR : INVALID-PORT\r\n", "6195 , 23 : ERROR : UNKNOWN-ERROR\r\n",
                    "ERROR : NO-USER\r\n"},
                   complete(""));
}

TEST_CASE("the ports are not checked: a reply naming other ports, or none, is taken",
          "[tcpserver][ident]") {
  check_each_gives({"9 , 9 : USERID : UNIX : other\r\n", "65535,0:USERID:UNIX:other\r\n",
                    ":USERID:UNIX:other\r\n"},
                   complete("other"));
}

TEST_CASE("a reply ends at a newline, with or without the CR before it", "[tcpserver][ident]") {
  check_each_gives({"1,2:USERID:UNIX:user\n", "1,2:USERID:UNIX:user\r\n"}, complete("user"));
}

TEST_CASE("a reply without a newline is not complete, even one ending in CR (unset at EOF)",
          "[tcpserver][ident]") {
  check_each_gives({"1,2:USERID:UNIX:cut\r", "1,2:USERID:UNIX:cut"}, Parsed{false, "cut"});
  CHECK(parse("") == Parsed{false, ""});
}

TEST_CASE("blanks, tabs and CRs are dropped everywhere, even inside the user id",
          "[tcpserver][ident]") {
  check_each_gives({"1 , 2 : USERID : UNIX : j o\te\r\n", "1,2:USERID:UNIX:j\ro\re\r\n",
                    "\t 1 ,\t2 :\tUSERID\t: UNIX :\t  j o e  \t \r\r\n"},
                   complete("joe"));
}

TEST_CASE("colons after the third belong to the user id", "[tcpserver][ident]") {
  CHECK(parse("1 , 2 : USERID : UNIX : j o:e\r\n") == complete("jo:e"));
  CHECK(parse("1,2:USERID:UNIX::a::b:\r\n") == complete(":a::b:"));
}

TEST_CASE("an empty user id, or fewer than three colons, is complete and empty",
          "[tcpserver][ident]") {
  check_each_gives({"1,2:USERID:UNIX:\r\n", "1,2:USERID:UNIX:  \t \r\n", "garbage\r\n",
                    "1,2:USERID\r\n", "\r\n", "\n"},
                   complete(""));
}

TEST_CASE("the user id ends after 257 bytes, complete with or without a newline",
          "[tcpserver][ident]") {
  const std::string head = "1,2:USERID:UNIX:";
  CHECK(parse(head + std::string(256, 'x')) == Parsed{false, std::string(256, 'x')});
  CHECK(parse(head + std::string(256, 'x') + "\r\n") == complete(std::string(256, 'x')));
  std::string spaced;  // dropped blanks do not count
  for (int i = 0; i < 300; ++i) spaced += "x ";
  check_each_gives(
      {head + std::string(257, 'x'), head + std::string(300, 'x') + "\r\n", head + spaced},
      complete(std::string(257, 'x')));
}

TEST_CASE("nothing after the newline is read into the user id", "[tcpserver][ident]") {
  CHECK(parse("1,2:USERID:UNIX:x\nmore:stuff\n") == complete("x"));
  CHECK(parse("1,2:USERID:UNIX:x\n1,2:USERID:UNIX:y\n") == complete("x"));
}

TEST_CASE("other bytes of the user id are kept as they come", "[tcpserver][ident]") {
  CHECK(parse("1,2:USERID:UNIX:caf\xc3\xa9\x7f%\r\n") == complete("caf\xc3\xa9\x7f%"));
}

TEST_CASE("a NUL counts toward the 257 bytes, and ends the text tcpserver uses",
          "[tcpserver][ident]") {
  // remoteinfo.c appends it like any byte; tcpserver.c then uses the text as a C string.
  const Parsed parsed = parse("1,2:USERID:UNIX:a\0b"s + std::string(300, 'x'));
  CHECK(parsed.complete);
  CHECK(parsed.text.substr(0, parsed.text.find('\0')) == "a");
}

TEST_CASE("a reply split across reads anywhere parses as the whole, complete at its last piece",
          "[tcpserver][ident]") {
  const std::vector<std::string> replies = {
      "6193 , 23 : USERID : UNIX , US-ASCII : j o:e\r\n",
      "6195 , 23 : ERROR : NO-USER\r\n",
      "1,2:USERID:UNIX:crnolf\r",
      "1,2:USERID:UNIX:" + std::string(300, 'x') + "\r\n",
      "1,2:USERID:UNIX:x\nmore\n",
  };
  for (const std::string& reply : replies) {
    CAPTURE(reply);
    const Parsed whole = parse(reply);
    for (std::size_t piece = 1; piece < reply.size(); ++piece) {
      CAPTURE(piece);
      CHECK(parse(reply, piece) == whole);
    }
    // Two reads, split at each byte: the first is complete only if the whole reply ends in it.
    for (std::size_t split = 0; split <= reply.size(); ++split) {
      CAPTURE(split);
      IdentQuery::Parser parser;
      const std::string_view view(reply);
      const bool first = parser.feed(view.substr(0, split));
      const bool second = !first && parser.feed(view.substr(split));
      CHECK(Parsed{first || second, parser.text} == whole);
      CHECK(first == (whole.complete && parse(view.substr(0, split)).complete));
    }
  }
}

namespace {

sockaddr_storage v4(const char* ip, unsigned short port) {
  sockaddr_storage storage{};
  const sockaddr_in in{AF_INET, htons(port), {::inet_addr(ip)}, {}};
  std::memcpy(&storage, &in, sizeof in);
  return storage;
}

// An identd on port 113 of the given address that takes one query, in a thread. Each test case
// has an address of its own, 127.0.0.113 to 127.0.0.117 (compat's ident_diff.py and the
// tcpserver tests use others), because ctest runs the cases in parallel processes: it reads the request line, then sends reply and
// closes, or, when reply is nullopt, keeps the connection open and silent until the query closes
// it.
class Identd {
 public:
  Identd(const char* ip, std::optional<std::string> reply) : ip_(ip) {
    if (::geteuid() != 0) FAIL("needs root, to listen on port 113 (CI runs as root)");
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int on = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const sockaddr_storage at = v4(ip_, 113);
    const auto* address = reinterpret_cast<const sockaddr*>(&at);
    REQUIRE(::bind(listener_.get(), address, sizeof(sockaddr_in)) == 0);
    REQUIRE(::listen(listener_.get(), 1) == 0);
    thread_ = std::thread([this, reply = std::move(reply)] { serve(reply); });
  }
  Identd(const Identd&) = delete;
  Identd& operator=(const Identd&) = delete;
  ~Identd() { join(); }

  const char* ip() const { return ip_; }

  // What the query sent; waits for the identd to be done.
  const std::string& request() {
    join();
    return request_;
  }

 private:
  void serve(const std::optional<std::string>& reply) {
    pollfd ready{listener_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char c;
    while (!request_.ends_with('\n') && ::read(conn.get(), &c, 1) == 1) request_ += c;
    if (reply) {
      write_all(conn.get(), *reply);
    } else {  // silent, for 10 s at most: a query that never timed out fails, not hangs
      pollfd closed{conn.get(), POLLIN, 0};
      ::poll(&closed, 1, 10000);
    }
  }

  void join() {
    if (thread_.joinable()) thread_.join();  // serve() gives up after 10 s without a query
  }

  const char* ip_;
  UniqueFd listener_;
  std::string request_;
  std::thread thread_;
};

struct Answer {
  int calls = 0;
  std::optional<std::string> text;
  // The text in quotes, or "none".
  std::string shown() const { return text ? '"' + *text + '"' : "none"; }
};

// Runs a query from 127.0.0.1 port 25 to remote_ip port 4321 on an event loop of its own until
// nothing is left pending.
Answer query(const char* remote_ip, unsigned long timeout_seconds = 5) {
  EventBasePtr base(event_base_new());
  REQUIRE(base);
  Answer answer;
  IdentQuery q(base.get(), v4("127.0.0.1", 25), v4(remote_ip, 4321), timeout_seconds,
               [&](std::optional<std::string> text) {
                 ++answer.calls;
                 answer.text = std::move(text);
               });
  q.start();
  event_base_dispatch(base.get());
  return answer;
}

}  // namespace

TEST_CASE("a query asks for the remote port then the local one, and hands on the parsed reply once",
          "[tcpserver][ident][root]") {
  Answer answer;
  {
    Identd identd("127.0.0.113", "4321 , 25 : USERID : UNIX : j o:e\r\n");
    answer = query(identd.ip());
    CHECK(identd.request() == "4321 , 25\r\n");
  }
  CHECK(answer.calls == 1);
  CHECK(answer.shown() == "\"jo:e\"");
}

TEST_CASE("an error reply hands on an empty text, a reply cut before its newline none",
          "[tcpserver][ident][root]") {
  {
    Identd identd("127.0.0.115", "4321 , 25 : ERROR : NO-USER\r\n");
    CHECK(query(identd.ip()).shown() == "\"\"");
  }
  {
    Identd identd("127.0.0.115", "4321 , 25 : USERID : UNIX : joe");
    const Answer answer = query(identd.ip());
    CHECK(answer.calls == 1);
    CHECK(answer.shown() == "none");
  }
}

TEST_CASE("no identd, or one that never answers within the timeout, gives no text",
          "[tcpserver][ident][root]") {
  if (::geteuid() != 0) FAIL("needs root, to listen on port 113 (CI runs as root)");
  const Answer refused = query("127.0.0.114");  // nothing listens there
  CHECK(refused.calls == 1);
  CHECK(refused.shown() == "none");

  Identd identd("127.0.0.116", std::nullopt);
  const auto start = std::chrono::steady_clock::now();
  const Answer silent = query(identd.ip(), 1);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(silent.calls == 1);
  CHECK(silent.shown() == "none");
  CHECK(waited >= std::chrono::milliseconds(900));
  CHECK(waited < std::chrono::seconds(4));
}

// djb's tcpserver.c uses remoteinfo's text as a C string everywhere (TCPREMOTEINFO, the log
// line, and the rules key "INFO@IP"), so a NUL ends it: with the rule "a@127.0.0.1:deny", the
// reply "1,2:USERID:UNIX:a\0b" makes djb's tcpserver deny (checked against ucspi-tcp 0.88 with
// a scripted identd). Ours once kept the NUL and built the key "a\0b@127.0.0.1", serving it.
TEST_CASE("the text handed on stops at a NUL, as djb's C string does", "[tcpserver][ident][root]") {
  Answer answer;
  {
    Identd identd("127.0.0.117", "4321 , 25 : USERID : UNIX : a\0b\r\n"s);
    answer = query(identd.ip());
  }
  CHECK(answer.shown() == "\"a\"");
}
