#include <catch2/catch.hpp>

#include "rules/rule_line.h"

using namespace ucspi;
using namespace std::string_literals;

namespace {

LineKind parse(std::string_view raw, RuleLine& out) { return parse_rule_line(raw, out); }

}  // namespace

TEST_CASE("comments, empty lines and lines without a colon are skipped", "[rules][parser]") {
  RuleLine r;
  CHECK(parse("# 1.2.3.4:deny\n", r) == LineKind::skipped);
  CHECK(parse("\n", r) == LineKind::skipped);
  CHECK(parse("   \t \n", r) == LineKind::skipped);
  CHECK(parse("no colon here\n", r) == LineKind::skipped);
  CHECK(parse("", r) == LineKind::skipped);
}

TEST_CASE("a comment is only a # in the first byte", "[rules][parser]") {
  RuleLine r;
  REQUIRE(parse(" #x:allow\n", r) == LineKind::rule);
  CHECK(r.address == " #x");
}

TEST_CASE("allow and deny encode as djb does", "[rules][parser]") {
  RuleLine r;
  REQUIRE(parse("1.2.3.4:allow\n", r) == LineKind::rule);
  CHECK(r.address == "1.2.3.4");
  CHECK(r.data.empty());
  CHECK_FALSE(r.deny);

  REQUIRE(parse("1.2.3.5:deny,A=\"x\",B=/y/\n", r) == LineKind::rule);
  CHECK(r.deny);
  CHECK(r.data == "D\0+A=x\0+B=y\0"s);
}

TEST_CASE("trailing blanks are stripped but not carriage returns", "[rules][parser]") {
  RuleLine r;
  REQUIRE(parse("1.2.3.4:allow \t \n", r) == LineKind::rule);
  CHECK(parse("1.2.3.4:allow\r\n", r) == LineKind::bad);
  CHECK(r.text == "1.2.3.4:allow\r");
}

TEST_CASE("any character quotes a value and names may hold spaces", "[rules][parser]") {
  RuleLine r;
  REQUIRE(parse("x:allow, X=\"1\",Y=+a,b+,Z==z=\n", r) == LineKind::rule);
  CHECK(r.data == "+ X=1\0+Y=a,b\0+Z=z\0"s);
  REQUIRE(parse("x:allow,RELAYCLIENT=\"\"\n", r) == LineKind::rule);
  CHECK(r.data == "+RELAYCLIENT=\0"s);
}

TEST_CASE("djb's parse errors stay errors", "[rules][parser]") {
  RuleLine r;
  for (const char* line : {"1.2.3.4: deny", "1.2.3.4:allowed", "x:allow,X", "x:allow,X=",
                           "x:allow,X=\"abc", "x:allow,X=\"a\"junk", "x:allow,=v=", "x:permit"}) {
    INFO(line);
    CHECK(parse(line, r) == LineKind::bad);
  }
}

TEST_CASE("the last line needs no newline", "[rules][parser]") {
  RuleLine r;
  REQUIRE(parse("1.2.3.4:deny", r) == LineKind::rule);
  CHECK(r.deny);
}

TEST_CASE("IPv6 addresses end at the first colon followed by a verb (fefe)", "[rules][parser][ipv6]") {
  RuleLine r;
  REQUIRE(parse("::1:allow\n", r) == LineKind::rule);
  CHECK(r.address == "::1");
  REQUIRE(parse("2001:db8:::deny\n", r) == LineKind::rule);
  CHECK(r.address == "2001:db8::");
  REQUIRE(parse("::allow\n", r) == LineKind::rule);
  CHECK(r.address == ":");
  REQUIRE(parse(":::allow\n", r) == LineKind::rule);
  CHECK(r.address == "::");
}

TEST_CASE("lines fefe's tcprules hangs on are parse errors", "[rules][parser][ipv6]") {
  RuleLine r;
  CHECK(parse("a:b\n", r) == LineKind::bad);
  CHECK(parse("2001:db8::1: deny\n", r) == LineKind::bad);
}

TEST_CASE("a later colon ends the address only for IPv6 text", "[rules][parser][ipv6]") {
  RuleLine r;
  CHECK(parse("a:b:allow\n", r) == LineKind::bad);
  CHECK(parse("1.2.3.4:bad:allow\n", r) == LineKind::bad);
  CHECK(parse("x: :deny\n", r) == LineKind::bad);
  REQUIRE(parse("joe@2001:db8::1:deny\n", r) == LineKind::rule);
  CHECK(r.address == "joe@2001:db8::1");
  REQUIRE(parse("::ffff:1.2.3.1-3:allow\n", r) == LineKind::rule);
  CHECK(r.address == "::ffff:1.2.3.1-3");
  REQUIRE(parse("2001:db8::/32:deny\n", r) == LineKind::rule);
  CHECK(r.address == "2001:db8::/32");
  REQUIRE(parse("a::allow\n", r) == LineKind::rule);
  CHECK(r.address == "a:");
}
