// relay-allow, relay-clear and relay-list as real processes (paths from tests/CMakeLists.txt).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/store_spec.h"
#include "tests/unit/repetitions.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

const std::string relay_allow = RELAY_ALLOW_BIN;
const std::string relay_clear = RELAY_CLEAR_BIN;
const std::string relay_list = RELAY_LIST_BIN;
const std::string base_path = "PATH=/usr/local/bin:/usr/bin:/bin";

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
  CHECK(r.err == "relay-allow: warning: unable to record 10.0.0.1: unable to create " + dir /
                     "no-such-dir/roaming.cdb.journal: file does not exist\n");

  r = run_process({relay_allow, "-s", broken, "-i", "10.0.0.1"}, {base_path});
  CHECK(r.exit_code == 111);
  CHECK(r.err.starts_with("relay-allow: fatal: unable to record 10.0.0.1: "));
}

TEST_CASE("relay-allow without a usable IP or store records nothing and still runs the login",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string spec = "RELAY_STORE=" + store;
  struct Case {
    std::vector<std::string> argv;  // before the program, if any
    std::vector<std::string> env;
    std::string message;
  };
  const std::vector<Case> cases = {
      // A missing, empty or garbage IP.
      {{}, {spec}, "no client IP: use -i or set $TCPREMOTEIP or $IP"},
      {{}, {spec, "TCPREMOTEIP="}, "no client IP: $TCPREMOTEIP is empty"},
      {{}, {spec, "TCPREMOTEIP=::1:garbage"}, "not an IP address in $TCPREMOTEIP: ::1:garbage"},
      {{}, {spec, "IP=10.0.0.300"}, "not an IP address in $IP: 10.0.0.300"},
      // A Dovecot script's `exec relay-allow -i "$IP" "$@"` for a login without an address.
      {{"-i", ""}, {spec}, "no client IP: -i is empty"},
      {{"-i", "garbage"}, {spec, "IP=10.0.0.7"}, "not an IP address in -i: garbage"},
      // A missing or bad $RELAY_STORE.
      {{}, {"TCPREMOTEIP=10.0.0.1"}, "no store: use -s or set $RELAY_STORE"},
      {{}, {"TCPREMOTEIP=10.0.0.1", "RELAY_STORE=/x"},
       "unknown store /x (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)"},
      {{}, {"TCPREMOTEIP=10.0.0.1", "RELAY_STORE=cdb:"}, "store cdb: names no file"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.argv, c.env);
    std::vector<std::string> argv = {relay_allow};
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    // Without a program the input is bad: exit 100.
    ProcessResult alone = run_process(argv, c.env);
    CHECK(alone.exit_code == 100);
    CHECK(alone.out.empty());
    CHECK(alone.err == "relay-allow: fatal: " + c.message + "\n");
    // With one it is a warning, and the login goes on with the program's exit code.
    argv.insert(argv.end(), {"/bin/sh", "-c", "echo in; exit 3"});
    ProcessResult login = run_process(argv, c.env);
    CHECK(login.exit_code == 3);
    CHECK(login.out == "in\n");
    CHECK(login.err == "relay-allow: warning: " + c.message + "\n");
  }
  CHECK(listed_ips(store).empty());
}

TEST_CASE("relay-allow under Dovecot with an empty IP and no TCPREMOTEIP runs the login",
          "[roaming][tools][relay-allow]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  // Dovecot's post-login environment: IP set but empty (a login over a UNIX socket), USER set,
  // no tcpserver variables.
  ProcessResult r = run_process({relay_allow, "-s", store, "/bin/sh", "-c", "echo \"imap $USER\""},
                                {base_path, "IP=", "USER=joe"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "imap joe\n");
  CHECK(r.err == "relay-allow: warning: no client IP: $IP is empty\n");
  CHECK(listed_ips(store).empty());
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
    const std::string usage = name + ": usage: " + name + " [ -s store ] [ -w seconds ]\n";
    ProcessResult r = run_process({tool, "-x"}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == usage);
    r = run_process({tool, "-s", "cdb:/x", "extra"}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == usage);
    r = run_process({tool}, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.err == name + ": fatal: no store: use -s or set $RELAY_STORE\n");
    // A bad $RELAY_STORE is no usage error: the command line was right.
    r = run_process({tool}, {base_path, "RELAY_STORE=bogus"});
    CHECK(r.exit_code == 100);
    CHECK_THAT(r.err, Catch::StartsWith(name + ": fatal: unknown store bogus (expected ") &&
                          !Catch::Contains("usage"));
    TempDir dir;
    write_file(dir / "bad.cdb", "garbage");
    r = run_process({tool, "-s", "cdb:" + dir / "bad.cdb"}, {base_path});
    CHECK(r.exit_code == 111);
    CHECK(r.err ==
          name + ": fatal: " + dir / "bad.cdb" + " is not a roaming cdb (no marker record)\n");
  }
}

namespace {

struct BadOption {
  std::vector<std::string> args;
  std::string message;  // the line before the usage line, if any
};

// Bad values for -s, and an unknown option.
std::vector<BadOption> bad_store_options() {
  const std::string want = " (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)";
  return {
      {{"-s", "bogus"}, "unknown store bogus" + want},
      {{"-s", "/var/relay.cdb"}, "unknown store /var/relay.cdb" + want},
      {{"-s", "CDB:/x"}, "unknown store CDB:/x" + want},
      {{"-s", ""}, "unknown store " + want},
      {{"-s", "cdb:"}, "store cdb: names no file"},
      {{"-s", "relay-ctrl:"}, "store relay-ctrl: names no file"},
      {{"-q"}, ""},
  };
}

// Runs tool with args (then more), with a good store and IP in the environment, and checks
// that it stops with the message and the usage line, having done nothing.
void check_usage_error(const std::string& tool, const std::string& usage, const BadOption& bad,
                       const std::vector<std::string>& more = {}) {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  std::vector<std::string> argv = {tool};
  argv.insert(argv.end(), bad.args.begin(), bad.args.end());
  argv.insert(argv.end(), more.begin(), more.end());
  CAPTURE(argv);
  ProcessResult r = run_process(argv, {base_path, "RELAY_STORE=" + store, "TCPREMOTEIP=10.0.0.1"});
  CHECK(r.exit_code == 100);
  CHECK(r.out.empty());  // relay-allow ran no program
  const std::string name = tool.substr(tool.rfind('/') + 1);
  const std::string fatal = bad.message.empty() ? "" : name + ": fatal: " + bad.message + "\n";
  CHECK(r.err == fatal + name + ": usage: " + usage + "\n");
  CHECK(listed_ips(store).empty());
}

}  // namespace

TEST_CASE("relay-clear and relay-list reject a bad option value with the usage line",
          "[roaming][tools]") {
  const std::string want_seconds = ": want seconds, 1 or more";
  std::vector<BadOption> cases = bad_store_options();
  for (const std::string bad : {"ten", "0", "", "-5", "1e3", "12345678901", " 60"})
    cases.push_back({{"-w", bad, "-s", "cdb:/x"}, "bad window: " + bad + want_seconds});
  cases.push_back({{"-s", "cdb:/x", "-w"}, ""});  // no value at all
  cases.push_back({{"-s"}, ""});
  for (const std::string& tool : {relay_clear, relay_list}) {
    const std::string name = tool.substr(tool.rfind('/') + 1);
    const std::string usage = name + " [ -s store ] [ -w seconds ]";
    for (const BadOption& bad : cases) check_usage_error(tool, usage, bad);
  }
}

TEST_CASE("relay-allow rejects a bad option value with the usage line, even with a program",
          "[roaming][tools][relay-allow]") {
  const std::string usage =
      "relay-allow [ -s store ] [ -i ip ] [ -m mode ] [ program [ arg ... ] ]";
  std::vector<BadOption> cases = bad_store_options();
  for (const std::string bad : {"999", "0888", "rw-r--r--", "", "0x1a4", "07777", "1000", "-644"})
    cases.push_back({{"-m", bad}, "bad mode: " + bad + ": want octal permissions, 0 to 0777"});
  // A command line wrong at every login stops the login too: the first test shows it.
  for (const BadOption& bad : cases) {
    check_usage_error(relay_allow, usage, bad);
    check_usage_error(relay_allow, usage, bad, {"/bin/echo", "in"});
  }
  // An option without its value (only last on the line: else it takes the next word).
  check_usage_error(relay_allow, usage, {{"-m"}, ""});
  check_usage_error(relay_allow, usage, {{"-i", "10.0.0.2", "-s"}, ""});
}

TEST_CASE("relay-allow takes -m in octal with or without the leading 0",
          "[roaming][tools][relay-allow]") {
  for (const std::string mode : {"0640", "640", "600", "0", "0777"}) {
    TempDir dir;
    const std::string store = make_store(dir, "cdb");
    ProcessResult r =
        run_process({relay_allow, "-m", mode, "-s", store, "-i", "10.0.0.1"}, {base_path});
    CAPTURE(mode, r.err);
    CHECK(r.exit_code == 0);
    CHECK((stat_of(dir / "roaming.cdb").st_mode & 07777) == std::stoul(mode, nullptr, 8));
  }
}

TEST_CASE("8 concurrent relay-allow processes lose nothing", "[roaming][tools][concurrency]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  constexpr int writers = 8, per_writer = test::repetitions(200);
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

TEST_CASE("the tools hand a mysql store to relay-mysql beside them, and survive its absence",
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

TEST_CASE("relay-allow runs the login whatever becomes of relay-mysql, one warning saying why",
          "[roaming][tools][relay-mysql]") {
  // relay-mysql records in a child of relay-allow: under a POP run file's softlimit the MySQL
  // client library cannot even be loaded (exit 127), and a helper that died took the login
  // with it while relay-allow handed it the whole run.
  TempDir dir;
  const std::string lone = dir / "relay-allow";
  std::filesystem::copy_file(relay_allow, lone);
  const std::string helper = dir / "relay-mysql";
  auto helper_script = [&](const std::string& body) {
    write_file(helper, "#!/bin/sh\n" + body + "\n");
    REQUIRE(::chmod(helper.c_str(), 0755) == 0);
  };
  const std::string store = "mysql:" + dir / "sql.conf";
  std::string expected;
  SECTION("it cannot be loaded") {
    helper_script("echo 'relay-mysql: error while loading shared libraries: libc.so.6: failed "
                  "to map segment from shared object' >&2; exit 127");
    expected = "relay-mysql: error while loading shared libraries: libc.so.6: failed to map "
               "segment from shared object";
  }
  SECTION("it is killed") {
    helper_script("kill -9 $$");
    expected = "relay-mysql was killed by signal 9";
  }
  SECTION("it fails as relay-mysql fails") {
    helper_script("echo \"relay-allow: fatal: unable to record $5: the database went away\" >&2;"
                  " exit 111");
    expected = "the database went away";
  }
  SECTION("it records: it is asked exactly what to record") {
    helper_script("echo \"$*\" > " + dir / "asked");
  }
  const ProcessResult r =
      run_process({lone, "-s", store, "-i", "::ffff:10.0.0.1", "/bin/echo", "in"}, {base_path});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  if (expected.empty()) {
    CHECK(r.err.empty());
    CHECK(read_file(dir / "asked") == "allow -s " + store + " -i 10.0.0.1\n");
  } else {
    CHECK(r.err == "relay-allow: warning: unable to record 10.0.0.1: " + expected + "\n");
  }
}
