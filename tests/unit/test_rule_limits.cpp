#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tcpserver/child_env.h"
#include "tcpserver/network_counts.h"
#include "tcpserver/rule_limits.h"

using namespace ucspi;

namespace {

// tcpserver's own environment, as environ would hold it.
struct Base {
  explicit Base(std::vector<std::string> entries) : strings(std::move(entries)) {
    for (std::string& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  char* const* get() const { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

std::optional<unsigned long> load_250() { return 250; }
std::optional<unsigned long> load_unknown() { return std::nullopt; }

NetworkCounts running(const std::vector<std::string>& ips) {
  NetworkCounts counts;
  for (const std::string& ip : ips) counts.add(ip);
  return counts;
}

// The limits for client, whose own connection is held (tcpserver counts it at accept) beside
// the others'.
LimitCheck check_with(const EnvEdits& env, const Base& base, const std::vector<std::string>& others,
                      const std::string& client, LoadReader load = system_load_x100) {
  NetworkCounts held = running(others);
  held.add(client);
  return check_rule_limits(env, base.get(), held, client, load);
}

std::string flag_of(const LimitCheck& check) { return check.refusal ? check.refusal->flag : ""; }

}  // namespace

TEST_CASE("an IPv4 network is its /24, an IPv6 one its /64", "[tcpserver][limits]") {
  CHECK(network_of("10.1.2.3") == "10.1.2");
  CHECK(network_of("10.1.2.255") == network_of("10.1.2.0"));
  CHECK(network_of("10.1.3.1") != network_of("10.1.2.1"));
  CHECK(network_of("2001:db8:1:2::5") == "2001:0DB8:0001:0002");
  CHECK(network_of("2001:db8:1:2:ffff::1") == network_of("2001:db8:1:2::5"));
  CHECK(network_of("2001:db8:1:3::5") != network_of("2001:db8:1:2::5"));
  CHECK(network_of("not an address") == "not an address");
}

TEST_CASE("counts follow adds and removes, by address and by network", "[tcpserver][limits]") {
  NetworkCounts counts = running({"10.1.2.3", "10.1.2.3", "10.1.2.4", "10.9.9.9"});
  CHECK(counts.at_ip("10.1.2.3") == 2);
  CHECK(counts.in_network("10.1.2.200") == 3);
  counts.remove("10.1.2.3");
  CHECK(counts.at_ip("10.1.2.3") == 1);
  CHECK(counts.in_network("10.1.2.3") == 2);
  counts.remove("10.1.2.3");
  counts.remove("10.1.2.3");  // one too many: nothing below zero
  CHECK(counts.at_ip("10.1.2.3") == 0);
  CHECK(counts.in_network("10.1.2.3") == 1);
}

TEST_CASE("the value an edit sets wins over tcpserver's environment, an unset hides it",
          "[tcpserver][env]") {
  const Base base({"MAXCONNIP=4", "MAXCONNIPX=9", "PATH=/bin"});
  EnvEdits edits;
  CHECK(edits.value("MAXCONNIP", base.get()) == "4");
  CHECK_FALSE(edits.value("MAXCONNC", base.get()));
  edits.set("MAXCONNIP", "7");
  CHECK(edits.value("MAXCONNIP", base.get()) == "7");
  edits.unset("MAXCONNIP");
  CHECK_FALSE(edits.value("MAXCONNIP", base.get()));
  CHECK(edits.value("MAXCONNIPX", base.get()) == "9");
}

TEST_CASE("MAXCONNIP counts the new client's connection beside the others held",
          "[tcpserver][limits]") {
  const Base base({});
  EnvEdits env;
  env.set("MAXCONNIP", "2");
  CHECK_FALSE(check_with(env, base, {"10.0.0.1"}, "10.0.0.1").refusal);
  const LimitCheck full = check_with(env, base, {"10.0.0.1", "10.0.0.1"}, "10.0.0.1");
  CHECK(flag_of(full) == "MAXCONNIP:2");
  CHECK(full.refusal->die_message.empty());
  CHECK_FALSE(check_with(env, base, {"10.0.0.1", "10.0.0.1"}, "10.0.0.2")
                  .refusal);
  env.set("MAXCONNIP", "0");
  CHECK(flag_of(check_with(env, base, {}, "10.0.0.9")) == "MAXCONNIP:0");
}

TEST_CASE("MAXCONNC counts the client's whole network", "[tcpserver][limits]") {
  const Base base({});
  EnvEdits env;
  env.set("MAXCONNC", "2");
  const std::vector<std::string> two = {"10.0.0.1", "10.0.0.2"};
  CHECK(flag_of(check_with(env, base, two, "10.0.0.3")) == "MAXCONNC:2");
  CHECK_FALSE(check_with(env, base, two, "10.0.1.3").refusal);
  const std::vector<std::string> v6 = {"2001:db8::1", "2001:db8::ffff:1"};
  CHECK(flag_of(check_with(env, base, v6, "2001:db8::2")) == "MAXCONNC:2");
  CHECK_FALSE(check_with(env, base, v6, "2001:db8:0:1::2").refusal);
}

TEST_CASE("MAXLOAD refuses at or above the load, never when the load is unknown",
          "[tcpserver][limits]") {
  const Base base({});
  EnvEdits env;
  env.set("MAXLOAD", "250");
  CHECK(flag_of(check_with(env, base, {}, "10.0.0.1", load_250)) == "LOAD:250");
  env.set("MAXLOAD", "251");
  CHECK_FALSE(check_with(env, base, {}, "10.0.0.1", load_250).refusal);
  env.set("MAXLOAD", "0");
  CHECK_FALSE(check_with(env, base, {}, "10.0.0.1", load_unknown).refusal);
}

TEST_CASE("the first limit reached wins, in the patch's order, and DIEMSG gets CRLF",
          "[tcpserver][limits]") {
  const Base base({"DIEMSG=421 busy"});
  EnvEdits env;
  env.set("MAXLOAD", "100");
  env.set("MAXCONNIP", "0");
  env.set("MAXCONNC", "0");
  const LimitCheck check = check_with(env, base, {}, "10.0.0.1", load_250);
  CHECK(flag_of(check) == "LOAD:250");
  CHECK(check.refusal->die_message == "421 busy\r\n");
  env.unset("MAXLOAD");
  CHECK(flag_of(check_with(env, base, {}, "10.0.0.1", load_250)) ==
        "MAXCONNIP:0");
}

TEST_CASE("a value that is not a number is named, and that limit alone is not applied",
          "[tcpserver][limits]") {
  const Base base({});
  for (const char* bad : {"five", "", "5 ", "-1", "+5", "1234567890"}) {
    EnvEdits env;
    env.set("MAXCONNIP", bad);
    env.set("MAXCONNC", "0");
    const LimitCheck check = check_with(env, base, {}, "10.0.0.1");
    CHECK(check.bad_values == std::vector<std::string>{std::string("MAXCONNIP=") + bad +
                                                       " is not a number"});
    CHECK(flag_of(check) == "MAXCONNC:0");
  }
}
