// tcpserver's -x gate: the first matching rule decides (deny, or its variables), a file that
// tcprules renames into place applies to the next connection with no signal, and a missing or
// broken file is an error for that connection only (-X makes a missing one mean "no rules").
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "rules/base/unique_fd.h"
#include "rules/rules_compiler.h"
#include "tcpserver/rules_gate.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

// What tcprules does: compile text into a temp file, then rename it over path.
void install_rules(const TempDir& dir, const std::string& path, const std::string& text) {
  const std::string source = dir.path() + "/rules.txt";
  const std::string tmp = path + ".tmp";
  write_file(source, text);
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(in);
  REQUIRE(out);
  CdbWriter writer(out.get());
  REQUIRE(writer.start_error() == 0);
  REQUIRE(compile_rules(in.get(), writer, [](std::string_view) {}).status ==
          CompileOutcome::Status::ok);
  REQUIRE(writer.finish());
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

struct Outcome {
  RuleVerdict verdict;
  EnvEdits env;
};

Outcome check(RulesGate& gate, std::string_view ip) {
  Outcome o;
  o.verdict = gate.check(Client{ip, std::nullopt, std::nullopt}, o.env);
  return o;
}

}  // namespace

TEST_CASE("rules gate: the first matching rule denies or sets its variables", "[tcpserver][rules]") {
  TempDir dir;
  const std::string path = dir.path() + "/rules.cdb";
  install_rules(dir, path, "10.0.0.1:deny\n10.0.0.:allow,RELAYCLIENT=\"\"\n:allow\n");
  RulesGate gate(path, false);

  Outcome denied = check(gate, "10.0.0.1");
  CHECK(denied.verdict.error == 0);
  CHECK(denied.verdict.deny);

  Outcome relay = check(gate, "10.0.0.2");
  CHECK(relay.verdict.error == 0);
  CHECK_FALSE(relay.verdict.deny);
  CHECK(relay.env.sets("RELAYCLIENT"));

  Outcome other = check(gate, "192.0.2.1");
  CHECK(other.verdict.error == 0);
  CHECK_FALSE(other.verdict.deny);
  CHECK_FALSE(other.env.sets("RELAYCLIENT"));
}

TEST_CASE("rules gate: a file renamed into place applies to the next check", "[tcpserver][rules]") {
  TempDir dir;
  const std::string path = dir.path() + "/rules.cdb";
  install_rules(dir, path, "10.0.0.1:allow\n");
  RulesGate gate(path, false);
  CHECK_FALSE(check(gate, "10.0.0.1").verdict.deny);

  install_rules(dir, path, "10.0.0.1:deny\n");
  CHECK(check(gate, "10.0.0.1").verdict.deny);

  install_rules(dir, path, "10.0.0.1:allow,X=\"2\"\n");
  Outcome again = check(gate, "10.0.0.1");
  CHECK_FALSE(again.verdict.deny);
  CHECK(again.env.sets("X"));
}

TEST_CASE("rules gate: a missing file is an error, or no rules with -X", "[tcpserver][rules]") {
  TempDir dir;
  const std::string path = dir.path() + "/absent.cdb";
  RulesGate strict(path, false);
  CHECK(check(strict, "10.0.0.1").verdict.error == ENOENT);
  RulesGate lenient(path, true);
  Outcome o = check(lenient, "10.0.0.1");
  CHECK(o.verdict.error == 0);
  CHECK_FALSE(o.verdict.deny);

  // A file that was there and went away is missing again, not still the old rules.
  install_rules(dir, path, "10.0.0.1:deny\n");
  CHECK(check(strict, "10.0.0.1").verdict.deny);
  REQUIRE(::unlink(path.c_str()) == 0);
  CHECK(check(strict, "10.0.0.1").verdict.error == ENOENT);
}

TEST_CASE("rules gate: a file that is no cdb fails its connection, a good one replacing it serves",
          "[tcpserver][rules]") {
  TempDir dir;
  const std::string path = dir.path() + "/rules.cdb";
  write_file(path, "this is not a cdb\n");
  RulesGate gate(path, true);
  CHECK(check(gate, "10.0.0.1").verdict.error != 0);
  CHECK(check(gate, "10.0.0.1").verdict.error != 0);  // still failing, never "no rules"

  install_rules(dir, path, "10.0.0.1:deny\n");
  Outcome fixed = check(gate, "10.0.0.1");
  CHECK(fixed.verdict.error == 0);
  CHECK(fixed.verdict.deny);
}
