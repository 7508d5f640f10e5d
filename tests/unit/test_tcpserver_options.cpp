#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "rules/base/ip_address.h"
#include "rules/base/scan_ulong.h"
#include "tcpserver/options.h"

using namespace ucspi;

namespace {

struct Parsed {
  Options options;
  ParsedCommandLine result;
};

Parsed parse(std::vector<const char*> words) {
  words.insert(words.begin(), "/usr/local/bin/tcpserver");
  Parsed p;
  p.result = parse_options(static_cast<int>(words.size()), words.data(), p.options);
  return p;
}

}  // namespace

TEST_CASE("djb's defaults", "[tcpserver][options]") {
  auto p = parse({"0", "25", "prog"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(p.options.limit == 40);
  CHECK(p.options.backlog == 20);
  CHECK(p.options.ident_timeout == 26);
  CHECK(p.options.verbosity == 1);
  CHECK(p.options.remote_host);
  CHECK(p.options.remote_info);
  CHECK(p.options.kill_ip_options);
  CHECK_FALSE(p.options.nodelay);
  CHECK_FALSE(p.options.paranoid);
  CHECK(*p.options.host == "0");
  CHECK(*p.options.port == "25");
  CHECK(p.options.program == std::vector<std::string>{"prog"});
}

TEST_CASE("clustered options with attached and separate arguments", "[tcpserver][options]") {
  auto p = parse({"-vo", "-Rt5", "-Xx", "rules.cdb", "-Bbanner", "-c", "7", "0", "0", "p", "a"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(p.options.verbosity == 2);
  CHECK_FALSE(p.options.kill_ip_options);
  CHECK_FALSE(p.options.remote_info);
  CHECK(p.options.ident_timeout == 5);
  CHECK(p.options.rules_missing_ok);
  CHECK(*p.options.rules == "rules.cdb");
  CHECK(p.options.banner == "banner");
  CHECK(p.options.limit == 7);
  CHECK(p.options.program == std::vector<std::string>{"p", "a"});
}

TEST_CASE("the last of a pair wins", "[tcpserver][options]") {
  auto p = parse({"-hHrRrpPdDqvQ", "0", "0", "p"});
  CHECK_FALSE(p.options.remote_host);
  CHECK(p.options.remote_info);
  CHECK_FALSE(p.options.paranoid);
  CHECK(p.options.nodelay);
  CHECK(p.options.verbosity == 1);
}

TEST_CASE("parsing stops at the first operand and after --", "[tcpserver][options]") {
  auto p = parse({"0", "0", "-v", "prog"});
  CHECK(p.options.verbosity == 1);
  CHECK(p.options.program == std::vector<std::string>{"-v", "prog"});
  auto q = parse({"-v", "--", "-c", "0", "prog"});
  CHECK(*q.options.host == "-c");
  CHECK(q.options.limit == 40);
  auto r = parse({"-", "0", "prog"});
  CHECK(*r.options.host == "-");
}

TEST_CASE("numbers go through scan_ulong", "[tcpserver][options]") {
  CHECK(parse({"-c", "abc", "0", "0", "p"}).options.limit == 0);
  CHECK(parse({"-c", "12x", "0", "0", "p"}).options.limit == 12);
  std::size_t n = 0;
  CHECK(scan_ulong("65536z", &n) == 65536);
  CHECK(n == 5);
}

TEST_CASE("illegal options and missing arguments name basename(argv[0])", "[tcpserver][options]") {
  auto p = parse({"-z", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::usage);
  CHECK(p.result.parse_messages == std::vector<std::string>{"tcpserver: illegal option -- z"});
  auto q = parse({"-c"});
  REQUIRE(q.result.status == ParsedCommandLine::Status::usage);
  CHECK(q.result.parse_messages ==
        std::vector<std::string>{"tcpserver: option requires an argument -- c"});
}

TEST_CASE("missing operands are left for the caller to report in djb's order", "[tcpserver][options]") {
  auto p = parse({"0"});
  CHECK(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(p.options.host);
  CHECK_FALSE(p.options.port);
  CHECK(p.options.program.empty());
}

TEST_CASE("option U reads UID and GID where it stands", "[tcpserver][options]") {
  setenv("UID", "1234", 1);
  setenv("GID", "56", 1);
  auto p = parse({"-u", "7", "-U", "0", "0", "p"});
  CHECK(p.options.uid == 1234);
  CHECK(p.options.gid == 56);
  auto q = parse({"-U", "-u", "7", "0", "0", "p"});
  CHECK(q.options.uid == 7);
  unsetenv("UID");
  unsetenv("GID");
}

TEST_CASE("fefe's and our extra options", "[tcpserver][options]") {
  auto p = parse({"-46", "-I", "eth0", "-C", "3", "-s", "cdb:/x", "-w", "600", "0", "0", "p"});
  CHECK(p.options.ipv4_only);
  CHECK(p.options.v4_as_mapped);
  CHECK(p.options.interface == "eth0");
  CHECK(p.options.per_ip_limit == 3);
  CHECK(*p.options.store == "cdb:/x");
  CHECK(*p.options.window == 600);
  CHECK(*parse({"-S", "0", "0", "p"}).options.store == "mysql:/var/qmail/control/sql");
}

TEST_CASE("our own options refuse a value they do not take", "[tcpserver][options]") {
  struct Bad {
    std::vector<const char*> words;
    const char* message;
  };
  const Bad cases[] = {
      {{"-w", "abc"}, "tcpserver: bad window -w abc: want seconds, 1 or more"},
      {{"-w", "30m"}, "tcpserver: bad window -w 30m: want seconds, 1 or more"},
      {{"-w0"}, "tcpserver: bad window -w 0: want seconds, 1 or more"},
      {{"-w", ""}, "tcpserver: bad window -w : want seconds, 1 or more"},
      {{"-w", "-5"}, "tcpserver: bad window -w -5: want seconds, 1 or more"},
      {{"-w", "12345678901"}, "tcpserver: bad window -w 12345678901: want seconds, 1 or more"},
      {{"-C", "x"}, "tcpserver: bad per-IP limit -C x: want a number, 1 or more"},
      {{"-C", "0"}, "tcpserver: bad per-IP limit -C 0: want a number, 1 or more"},
      {{"-vC3x"}, "tcpserver: bad per-IP limit -C 3x: want a number, 1 or more"},
      {{"-s", "cbd:/x"},
       "tcpserver: bad store -s cbd:/x: unknown store cbd:/x (expected cdb:PATH, "
       "mysql:CONFIGFILE or relay-ctrl:DIR)"},
      {{"-s", "cdb:"}, "tcpserver: bad store -s cdb:: store cdb: names no file"},
      {{"-y", "10.0.0.0/33"},
       "tcpserver: bad PROXY sources -y 10.0.0.0/33: not an address or address/prefix: "
       "10.0.0.0/33"},
      {{"-y", "127.0.0.1,,::1"},
       "tcpserver: bad PROXY sources -y 127.0.0.1,,::1: not an address or address/prefix: "},
      {{"-y", "010.0.0.1"},
       "tcpserver: bad PROXY sources -y 010.0.0.1: not an address or address/prefix: 010.0.0.1"},
      {{"-y", "::1/129"},
       "tcpserver: bad PROXY sources -y ::1/129: not an address or address/prefix: ::1/129"},
      {{"-y", "lb.example.org"},
       "tcpserver: bad PROXY sources -y lb.example.org: not an address or address/prefix: "
       "lb.example.org"},
      {{"-Y", "0"}, "tcpserver: bad PROXY header timeout -Y 0: want seconds, 1 to 3600"},
      {{"-Y", "3601"}, "tcpserver: bad PROXY header timeout -Y 3601: want seconds, 1 to 3600"},
      {{"-Y", "5s"}, "tcpserver: bad PROXY header timeout -Y 5s: want seconds, 1 to 3600"},
  };
  for (const Bad& bad : cases) {
    std::vector<const char*> words = bad.words;
    for (const char* operand : {"0", "0", "p"}) words.push_back(operand);
    auto p = parse(words);
    INFO(bad.message);
    CHECK(p.result.status == ParsedCommandLine::Status::usage);
    CHECK(p.result.parse_messages == std::vector<std::string>{bad.message});
  }
}

TEST_CASE("our own options take what they document", "[tcpserver][options]") {
  auto p = parse({"-C1", "-w", "1", "-s", "relay-ctrl:/var/spool/relay", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(p.options.per_ip_limit == 1);
  CHECK(*p.options.window == 1);
  CHECK(*p.options.store == "relay-ctrl:/var/spool/relay");
  p = parse({"-w", "9999999999", "-S", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(*p.options.window == 9999999999);
  CHECK(*p.options.store == "mysql:/var/qmail/control/sql");
  CHECK(p.options.proxies.empty());
  CHECK(p.options.proxy_timeout == 5);
}

TEST_CASE("options: -y names trusted PROXY sources, -Y the header's timeout", "[tcpserver][options]") {
  auto p = parse({"-y", "127.0.0.1,10.0.0.0/8", "-y2001:db8::/32", "-Y", "3600", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  CHECK(p.options.proxy_timeout == 3600);
  const ProxyTrust& t = p.options.proxies;
  auto v4 = [](const char* text) { return mapped_of_v4(*parse_ip4(text)); };
  auto v6 = [](const char* text) { return *parse_ip6(text); };
  CHECK(t.trusts(v4("127.0.0.1")));
  CHECK_FALSE(t.trusts(v4("127.0.0.2")));
  CHECK(t.trusts(v4("10.0.0.0")));
  CHECK(t.trusts(v4("10.255.255.255")));
  CHECK_FALSE(t.trusts(v4("11.0.0.0")));
  CHECK_FALSE(t.trusts(v4("9.255.255.255")));
  CHECK(t.trusts(v6("2001:db8:ffff::1")));
  CHECK_FALSE(t.trusts(v6("2001:db9::1")));
  CHECK_FALSE(t.trusts(v6("::1")));
  // An IPv4 network is not an IPv6 one that happens to share its bits.
  CHECK_FALSE(t.trusts(v6("::7f00:1")));
}

TEST_CASE("options: -y with odd prefixes and v4-mapped text", "[tcpserver][options]") {
  auto p = parse({"-y", "192.0.2.128/25,::ffff:198.51.100.0/120,0.0.0.0/0", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  auto v4 = [](const char* text) { return mapped_of_v4(*parse_ip4(text)); };
  CHECK(p.options.proxies.trusts(v4("1.2.3.4")));  // 0.0.0.0/0: every IPv4 source
  CHECK_FALSE(p.options.proxies.trusts(*parse_ip6("2001:db8::1")));
  p = parse({"-y", "192.0.2.128/25,::ffff:198.51.100.0/120", "0", "0", "p"});
  REQUIRE(p.result.status == ParsedCommandLine::Status::ok);
  const ProxyTrust& t = p.options.proxies;
  CHECK(t.trusts(v4("192.0.2.200")));
  CHECK_FALSE(t.trusts(v4("192.0.2.127")));
  CHECK(t.trusts(v4("198.51.100.9")));  // the v4-mapped network holds IPv4 sources
  CHECK_FALSE(t.trusts(v4("198.51.101.9")));
}
