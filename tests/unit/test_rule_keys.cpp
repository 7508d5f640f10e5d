#include <catch2/catch.hpp>

#include "rules/rule_keys.h"

using namespace ucspi;
using Keys = std::vector<std::string>;

namespace {

Keys keys_of(std::string_view address) {
  AddressKeys out;
  REQUIRE(expand_address(address, out));
  return out.keys;
}

bool rejected(std::string_view address) {
  AddressKeys out;
  return !expand_address(address, out);
}

}  // namespace

TEST_CASE("plain keys are stored verbatim", "[rules][keys]") {
  CHECK(keys_of("1.2.3.4") == Keys{"1.2.3.4"});
  CHECK(keys_of("") == Keys{""});
  CHECK(keys_of("=host.example") == Keys{"=host.example"});
  CHECK(keys_of("joe@1.2.3.4") == Keys{"joe@1.2.3.4"});
  CHECK(keys_of(" leading") == Keys{" leading"});
}

TEST_CASE("djb ranges with all their quirks", "[rules][keys][range]") {
  CHECK(keys_of("127.0-5.") == Keys{"127.0.", "127.1.", "127.2.", "127.3.", "127.4.", "127.5."});
  CHECK(keys_of("1.2-3.4") == Keys{"1.2.4", "1.3.4"});
  CHECK(keys_of("1.2.3.250-300").size() == 6);
  CHECK(keys_of("1.2.3.250-300").back() == "1.2.3.255");
  CHECK(keys_of("1.2.3.-") == Keys{"1.2.3.0"});
  CHECK(keys_of("1.2.3.9-5").empty());
  CHECK(keys_of("5-6") == Keys{"5", "6"});
}

TEST_CASE("ranges need digits on both sides", "[rules][keys][range]") {
  CHECK(rejected("x-y"));
  CHECK(rejected("1.2.3.a-5"));
  CHECK(rejected("1.2.3.4-5-6"));  // only the first '-' counts: top is "5-6"
}

TEST_CASE("ranges are not applied to host or info keys", "[rules][keys][range]") {
  CHECK(keys_of("=a-b.example") == Keys{"=a-b.example"});
  CHECK(keys_of("x-y@1.2.3.4") == Keys{"x-y@1.2.3.4"});
}

TEST_CASE("IPv6 keys are stored in fefe's ip6_fmt", "[rules][keys][ipv6]") {
  CHECK(keys_of("::1") == Keys{"::1"});
  CHECK(keys_of("2001:DB8:0:0:0:0:0:1") == Keys{"2001:db8::1"});
  CHECK(keys_of("2001:db8:0:1:1:1:1:1") == Keys{"2001:db8::1:1:1:1:1"});
  CHECK(keys_of("2001:DB8:") == Keys{"2001:db8:"});
  CHECK(keys_of(":") == Keys{":"});
  CHECK(keys_of("::") == Keys{"::"});
  CHECK(keys_of("joe@2001:DB8::1") == Keys{"joe@2001:db8::1"});
}

TEST_CASE("CIDR keys use fehcom's encoding", "[rules][keys][cidr]") {
  CHECK(keys_of("10.1.0.0/16") == Keys{"_0000e0g00000000p"});
  CHECK(keys_of("10.1.255.255/16") == Keys{"_0000e0g00000000p"});
  CHECK(keys_of("127.0.0.0/8") == Keys{"_0bcdefgh"});
  CHECK(keys_of("127./8") == Keys{"_0bcdefgh"});
  CHECK(keys_of("128.0.0.1/32") == Keys{"_a" + std::string(30, '0') + "6"});
  CHECK(keys_of("0.0.0.0/0") == Keys{"_"});
  CHECK(keys_of("2001:db8::/32") == Keys{"^00`000000000000a0000bc0de0fgh000"});
}

TEST_CASE("a slash that is no CIDR stays a literal key, with a warning", "[rules][keys][cidr]") {
  AddressKeys out;
  REQUIRE(expand_address("10.0.0.0/33", out));
  CHECK(out.keys == Keys{"10.0.0.0/33"});
  CHECK_FALSE(out.warning.empty());
  for (const char* literal : {"/24", "/0", "10.0.0.0/", "10.0.0.0/x", "1.2.3.4.5/8"}) {
    INFO(literal);
    REQUIRE(expand_address(literal, out));
    CHECK(out.keys == Keys{literal});
    CHECK_FALSE(out.warning.empty());
  }
}
