#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tcpserver/child_env.h"

using namespace ucspi;

namespace {

std::vector<std::string> apply(const EnvEdits& edits, std::vector<std::string> base) {
  std::vector<char*> ptrs;
  for (auto& s : base) ptrs.push_back(s.data());
  ptrs.push_back(nullptr);
  std::vector<std::string> out;
  for (char* p : edits.apply(ptrs.data()))
    if (p) out.emplace_back(p);
  return out;
}

}  // namespace

TEST_CASE("edits replace the first match by moving the last entry into its slot", "[tcpserver][env]") {
  EnvEdits e;
  e.set("A", "new");
  CHECK(apply(e, {"A=old", "B=1", "C=2"}) == std::vector<std::string>{"C=2", "B=1", "A=new"});
}

TEST_CASE("unset removes only, later edits override earlier ones", "[tcpserver][env]") {
  EnvEdits e;
  e.unset("TCPREMOTEHOST");
  e.set("X", "1");
  e.set("X", "2");
  CHECK(apply(e, {"TCPREMOTEHOST=stale", "PATH=/bin"}) == std::vector<std::string>{"PATH=/bin", "X=2"});
  CHECK(e.sets("X"));
  CHECK_FALSE(e.sets("TCPREMOTEHOST"));
  CHECK_FALSE(e.sets("Y"));
}

TEST_CASE("a name is matched whole, not as a prefix", "[tcpserver][env]") {
  EnvEdits e;
  e.set("TCP", "x");
  CHECK(apply(e, {"TCPLOCALIP=1"}) == std::vector<std::string>{"TCPLOCALIP=1", "TCP=x"});
}

TEST_CASE("set_or_unset follows djb's env(name, 0)", "[tcpserver][env]") {
  EnvEdits e;
  std::string v = "";
  e.set_or_unset("INFO", &v);
  e.set_or_unset("HOST", nullptr);
  CHECK(apply(e, {"HOST=a"}) == std::vector<std::string>{"INFO="});
  CHECK(e.sets("INFO"));
}
