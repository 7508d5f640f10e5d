// relay-allow, relay-clear and relay-list as real processes (paths from tests/CMakeLists.txt).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "roaming_cdb_store.h"
#include "store_spec.h"
#include "test_roaming_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

const std::string relay_allow = RELAY_ALLOW_BIN;
const std::string relay_clear = RELAY_CLEAR_BIN;
const std::string relay_list = RELAY_LIST_BIN;
const std::string base_path = "PATH=/usr/local/bin:/usr/bin:/bin";

std::vector<std::string> listed_ips(const std::string& store) {
  std::vector<std::string> ips;
  for (const RoamingEntry& entry : open_admin(parse_store_spec(store))->list()) ips.push_back(entry.ip);
  std::sort(ips.begin(), ips.end());
  return ips;
}

// Records each IP as having logged in that many seconds ago.
void record_logins(const std::string& store,
                   const std::vector<std::pair<std::string, std::int64_t>>& ages) {
  const std::int64_t now = unix_now();
  auto admin = open_admin(parse_store_spec(store));
  for (const auto& [ip, age] : ages) admin->record(ip, now - age);
}

// A store of either kind in a scratch directory.
std::string make_store(const TempDir& dir, const std::string& kind) {
  if (kind == "cdb") return "cdb:" + dir / "roaming.cdb";
  ::mkdir((dir / "relay").c_str(), 0700);
  return "relay-ctrl:" + dir / "relay";
}

}  // namespace

TEST_CASE("relay-allow records the IP and execs the program with the same argv, env, fds",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  const std::vector<std::string> env = {base_path, "TCPREMOTEIP=::ffff:192.0.2.1", "FOO=bar baz",
                                        "RELAY_STORE=" + store};
  // The program's own options stay its own: relay-allow's parsing stops at the program name.
  // ... and with the same open files: no store descriptor leaks into the login.
  const std::vector<std::string> program = {
      "/bin/sh", "-c", "printf '[%s]' \"$0\" \"$@\"; env; ls /proc/$$/fd", "name", "-s", "two words"};
  std::vector<std::string> argv = {relay_allow};
  argv.insert(argv.end(), program.begin(), program.end());
  ProcessResult through = run_process(argv, env);
  ProcessResult direct = run_process(program, env);
  CHECK(through.exit_code == 0);
  CHECK(through.err.empty());
  CHECK(through.out == direct.out);
  CHECK(through.out.starts_with("[name][-s][two words]"));
  CHECK(listed_ips(store) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("relay-allow finds the program on $PATH and passes its exit code",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  ProcessResult r = run_process({relay_allow, "-s", store, "-i", "2001:DB8::1", "sh", "-c", "exit 7"},
                                {base_path});
  CHECK(r.exit_code == 7);
  CHECK(listed_ips(store) == std::vector<std::string>{"2001:db8::1"});
  r = run_process({relay_allow, "-s", store, "-i", "10.0.0.1", "no-such-program-xyz"}, {base_path});
  CHECK(r.exit_code == 111);
  CHECK(r.err == "relay-allow: fatal: unable to run no-such-program-xyz: file does not exist\n");
}

TEST_CASE("relay-allow takes -i, then $TCPREMOTEIP, then Dovecot's $IP",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string spec = "RELAY_STORE=" + store;
  CHECK(run_process({relay_allow, "-i", "10.0.0.1"}, {spec, "TCPREMOTEIP=10.0.0.2", "IP=10.0.0.3"})
            .exit_code == 0);
  CHECK(run_process({relay_allow}, {spec, "TCPREMOTEIP=10.0.0.4", "IP=10.0.0.5"}).exit_code == 0);
  CHECK(run_process({relay_allow}, {spec, "IP=10.0.0.6"}).exit_code == 0);
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.1", "10.0.0.4", "10.0.0.6"});
}

TEST_CASE("relay-allow with a broken store still runs the login", "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string broken = "cdb:" + dir / "no-such-dir/roaming.cdb";
  ProcessResult r = run_process({relay_allow, "-s", broken, "-i", "10.0.0.1", "/bin/echo", "in"},
                                {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  CHECK(r.err.starts_with("relay-allow: warning: unable to record 10.0.0.1: unable to open "));

  r = run_process({relay_allow, "-s", broken, "-i", "10.0.0.1"}, {base_path});
  CHECK(r.exit_code == 111);
  CHECK(r.err.starts_with("relay-allow: fatal: unable to record 10.0.0.1: "));
}

TEST_CASE("relay-allow without a usable IP or store records nothing, and a bad IP stops the login",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string spec = "RELAY_STORE=" + store;
  struct Case {
    std::vector<std::string> env;
    std::string message;
  };
  // A missing or garbage IP is bad input: exit 100, and the chain stops too.
  for (const Case& c : {Case{{spec}, "no client IP: use -i or set $TCPREMOTEIP or $IP"},
                        Case{{spec, "TCPREMOTEIP="}, "not an IP address: "},
                        Case{{spec, "TCPREMOTEIP=::1:garbage"}, "not an IP address: ::1:garbage"},
                        Case{{spec, "IP=10.0.0.300"}, "not an IP address: 10.0.0.300"}}) {
    CAPTURE(c.env);
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{relay_allow}, {relay_allow, "/bin/echo", "in"}}) {
      ProcessResult r = run_process(argv, c.env);
      CHECK(r.exit_code == 100);
      CHECK(r.out.empty());
      CHECK(r.err == "relay-allow: fatal: " + c.message + "\n");
    }
  }
  ProcessResult option = run_process({relay_allow, "-i", "garbage", "/bin/echo", "in"}, {spec});
  CHECK(option.exit_code == 100);
  CHECK(option.out.empty());
  // A store problem never fails the login.
  for (const Case& c : {Case{{"TCPREMOTEIP=10.0.0.1"}, "no store: use -s or set $RELAY_STORE"},
                        Case{{"TCPREMOTEIP=10.0.0.1", "RELAY_STORE=/x"},
                             "unknown store /x (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)"}}) {
    CAPTURE(c.env);
    ProcessResult alone = run_process({relay_allow}, c.env);
    CHECK(alone.exit_code == 100);
    CHECK(alone.err == "relay-allow: fatal: " + c.message + "\n");
    ProcessResult login = run_process({relay_allow, "/bin/echo", "in"}, c.env);
    CHECK(login.exit_code == 0);
    CHECK(login.out == "in\n");
    CHECK(login.err == "relay-allow: warning: " + c.message + "\n");
  }
  CHECK(listed_ips(store).empty());
  CHECK(run_process({relay_allow, "-x"}, {spec}).exit_code == 100);
}

TEST_CASE("relay-clear removes only expired entries", "[roaming][tools][relay-clear]") {
  TempDir dir;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  record_logins(store, {{"10.0.0.1", 4000}, {"10.0.0.2", 1000}, {"::1", 10}});
  ProcessResult r = run_process({relay_clear, "-s", store}, {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.2", "::1"});
  CHECK(run_process({relay_clear, "-w", "100"}, {"RELAY_STORE=" + store}).exit_code == 0);
  CHECK(listed_ips(store) == std::vector<std::string>{"::1"});
}

TEST_CASE("relay-list prints IP, age and state, sorted", "[roaming][tools][relay-list]") {
  TempDir dir;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  record_logins(store, {{"10.0.0.9", 4000}, {"10.0.0.10", 100}, {"2001:db8::1", 1000}});
  ProcessResult r = run_process({relay_list, "-s", store}, {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  // Ages may have grown by a second or two while the test ran.
  std::regex expected(
      "10\\.0\\.0\\.10 10[0-2] relay\n"
      "10\\.0\\.0\\.9 400[0-2] expired\n"
      "2001:db8::1 100[0-2] relay\n");
  CHECK(std::regex_match(r.out, expected));
  r = run_process({relay_list, "-s", store, "-w", "500"}, {base_path});
  CHECK(std::regex_match(r.out, std::regex(".*\n.*\n2001:db8::1 100[0-2] expired\n")));
}

TEST_CASE("relay-clear and relay-list report usage and store errors djb-style",
          "[roaming][tools]") {
  for (const std::string& tool : {relay_clear, relay_list}) {
    const std::string name = tool.substr(tool.rfind('/') + 1);
    CAPTURE(name);
    ProcessResult r = run_process({tool, "-x"}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == name + ": usage: " + name + " [ -s store ] [ -w seconds ]\n");
    r = run_process({tool, "-s", "cdb:/x", "extra"}, {base_path});
    CHECK(r.exit_code == 100);
    r = run_process({tool, "-s", "cdb:/x", "-w", "ten"}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == name + ": fatal: bad window: ten: want seconds, 1 or more\n");
    r = run_process({tool}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == name + ": fatal: no store: use -s or set $RELAY_STORE\n");
    r = run_process({tool, "-s", "bogus"}, {base_path});
    CHECK(r.exit_code == 100);
    TempDir dir;
    write_file(dir / "bad.cdb", "garbage");
    r = run_process({tool, "-s", "cdb:" + dir / "bad.cdb"}, {base_path});
    CHECK(r.exit_code == 111);
    CHECK(r.err == name + ": fatal: " + dir / "bad.cdb" + " is not a roaming cdb (no marker record)\n");
  }
}

TEST_CASE("8 concurrent relay-allow processes lose nothing", "[roaming][tools][concurrency]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  constexpr int writers = 8, per_writer = 200;
  const bool ok = run_in_children(writers, [&](int w) {
    for (int i = 0; i < per_writer; ++i) {
      const std::string ip = "10." + std::to_string(w) + "." + std::to_string(i / 256) + "." +
                             std::to_string(i % 256);
      if (run_process({relay_allow, "-s", store, "-i", ip}, {}).exit_code != 0) return false;
    }
    return true;
  });
  CHECK(ok);
  CHECK(listed_ips(store).size() == writers * per_writer);
}

TEST_CASE("the tools hand a mysql: store to relay-mysql beside them, and survive its absence",
          "[roaming][tools][relay-mysql]") {
  TempDir dir;
  const std::string store = "mysql:" + dir / "missing.conf";
  // relay-mysql ran (its config error) and the login ran exactly once.
  ProcessResult r = run_process({relay_allow, "-s", store, "-i", "10.0.0.1", "/bin/echo", "in"},
                                {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  CHECK_THAT(r.err, Catch::StartsWith("relay-allow: warning: unable to record 10.0.0.1: ") &&
                        Catch::Contains("missing.conf") && !Catch::Contains("relay-mysql"));
  r = run_process({relay_list, "-s", store}, {base_path});
  CHECK(r.exit_code == 111);
  CHECK_THAT(r.err, Catch::StartsWith("relay-list: fatal: ") && Catch::Contains("missing.conf"));

  // A relay-allow installed without relay-mysql warns and still runs the login.
  const std::string lone = dir / "relay-allow";
  std::filesystem::copy_file(relay_allow, lone);
  r = run_process({lone, "-s", store, "-i", "10.0.0.1", "/bin/echo", "in"}, {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  CHECK_THAT(r.err, Catch::Contains("unable to run " + dir / "relay-mysql"));
}
