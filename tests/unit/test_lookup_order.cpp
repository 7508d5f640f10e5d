#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "rules/lookup_order.h"

using namespace ucspi;
using Keys = std::vector<std::string>;

namespace {

// Every candidate key in order, CIDR keys shown as "/N" (with "+NUL" for fehcom's form).
Keys candidates(std::string_view ip, std::optional<std::string_view> host,
                std::optional<std::string_view> info) {
  Keys keys;
  for_each_candidate(Client{ip, host, info}, [&](const Candidate& c) {
    if (c.cidr_prefix >= 0) {
      bool nul = !c.key.empty() && c.key.back() == '\0';
      keys.push_back(std::string(1, c.key.front()) + "/" + std::to_string(c.cidr_prefix) +
                     (nul ? "+NUL" : ""));
    } else {
      keys.emplace_back(c.key);
    }
    return false;
  });
  return keys;
}

Keys without_cidr(const Keys& keys) {
  Keys out;
  for (const auto& k : keys)
    if (k.size() < 2 || (k[0] != '_' && k[0] != '^') || k[1] != '/') out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE("djb's order for an IPv4 client with host and info", "[rules][lookup]") {
  Keys keys = candidates("86.75.30.9", "one.two.three", "xyz");
  CHECK(without_cidr(keys) == Keys{"xyz@86.75.30.9", "xyz@=one.two.three", "86.75.30.9",
                                   "=one.two.three", "86.75.30.", "86.75.", "86.",
                                   "=.two.three", "=.three", "=", ""});
}

TEST_CASE("absent host and info skip their keys, empty ones count", "[rules][lookup]") {
  CHECK(without_cidr(candidates("1.2.3.4", std::nullopt, std::nullopt)) ==
        Keys{"1.2.3.4", "1.2.3.", "1.2.", "1.", ""});
  CHECK(without_cidr(candidates("1.2.3.4", "", "")) ==
        Keys{"@1.2.3.4", "@=", "1.2.3.4", "=", "1.2.3.", "1.2.", "1.", "=", ""});
}

TEST_CASE("CIDR keys come after the dotted prefixes, longest first, before host suffixes",
          "[rules][lookup][cidr]") {
  Keys keys = candidates("10.1.2.3", "h.example", std::nullopt);
  auto first_cidr = std::find(keys.begin(), keys.end(), "_/32+NUL");
  REQUIRE(first_cidr != keys.end());
  CHECK(*(first_cidr - 1) == "10.");
  CHECK(*(first_cidr + 1) == "_/32");
  CHECK(*(first_cidr + 2) == "_/31+NUL");
  auto last_cidr = std::find(keys.begin(), keys.end(), "_/0");
  REQUIRE(last_cidr != keys.end());
  CHECK(*(last_cidr + 1) == "=.example");
  CHECK(keys.back() == "");
  CHECK(std::count_if(keys.begin(), keys.end(), [](const std::string& k) { return k[0] == '_'; }) == 66);
}

TEST_CASE("IPv6: fefe's prefixes end in ':' too, and fehcom's expanded key is tried",
          "[rules][lookup][ipv6]") {
  Keys keys = without_cidr(candidates("2001:db8::1", std::nullopt, "joe"));
  CHECK(keys == Keys{"joe@2001:db8::1", "joe@2001:0DB8:0000:0000:0000:0000:0000:0001",
                     "2001:db8::1", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::",
                     "2001:db8:", "2001:", ""});
  CHECK(without_cidr(candidates("::1", std::nullopt, std::nullopt)) ==
        Keys{"::1", "0000:0000:0000:0000:0000:0000:0000:0001", "::", ":", ""});
  Keys all = candidates("::1", std::nullopt, std::nullopt);
  CHECK(std::count_if(all.begin(), all.end(), [](const std::string& k) { return k[0] == '^'; }) == 258);
}

TEST_CASE("with option 6, IPv4 clients are v4-mapped and their prefixes follow", "[rules][lookup][ipv6]") {
  Keys keys = without_cidr(candidates("::ffff:127.0.0.1", std::nullopt, std::nullopt));
  CHECK(keys.front() == "::ffff:127.0.0.1");
  CHECK(std::find(keys.begin(), keys.end(), "::ffff:127.0.0.") != keys.end());
  CHECK(std::find(keys.begin(), keys.end(), "::ffff:") != keys.end());
  CHECK(std::find(keys.begin(), keys.end(), ":") != keys.end());
}

TEST_CASE("the first hit stops the walk", "[rules][lookup]") {
  int visited = 0;
  bool hit = for_each_candidate(Client{"1.2.3.4", std::nullopt, std::nullopt},
                                [&](const Candidate& c) {
                                  ++visited;
                                  return c.key == "1.2.";
                                });
  CHECK(hit);
  CHECK(visited == 3);
}
