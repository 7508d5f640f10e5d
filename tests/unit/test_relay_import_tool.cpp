// relay-import as a real process (its path from tests/CMakeLists.txt), from the fixtures in
// vpopmail's and relay-ctrl's formats into a cdb and a relay-ctrl store.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>

#include "rules/roaming/store_factory.h"
#include "rules/roaming/store_spec.h"
#include "tests/unit/relay_import_fixtures.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

const std::string relay_import = RELAY_IMPORT_BIN;
const std::string base_path = "PATH=/usr/local/bin:/usr/bin:/bin";
const std::string usage_line =
    "relay-import: usage: relay-import [ -s store ] [ -m mode ] [ -x ] [ -w seconds ] source\n";

ProcessResult import(const std::string& store, const std::string& source,
                     const std::vector<std::string>& options = {},
                     const std::vector<std::string>& env = {base_path}) {
  std::vector<std::string> argv = {relay_import, "-s", store};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(source);
  return run_process(argv, env);
}

std::unique_ptr<RoamingAdmin> admin_of(const std::string& store) {
  return open_store_writer(parse_store_spec(store)).admin;
}

// "IP SECONDS" per entry, sorted.
std::vector<std::string> entries_of(const std::string& store) {
  std::vector<std::string> lines;
  for (const RoamingEntry& e : admin_of(store)->list())
    lines.push_back(e.ip + ' ' + std::to_string(e.last_login.value_or(-1)));
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string stat_text(const std::string& path) {
  const struct stat st = stat_of(path);
  return std::to_string(st.st_ino) + ' ' + std::to_string(st.st_mode) + ' ' +
         std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec);
}

// Everything about a store a rewrite would change: each file's bytes, inode, mode and mtime.
std::string snapshot(const std::string& store) {
  const StoreSpec spec = parse_store_spec(store);
  if (spec.kind == StoreKind::cdb) {
    // The journal too: a login goes there first.
    const std::string journal = spec.path + ".journal";
    std::string text = stat_text(spec.path) + '\n' + read_file(spec.path);
    if (::access(journal.c_str(), F_OK) == 0) text += '\n' + stat_text(journal) + '\n' + read_file(journal);
    return text;
  }
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(spec.path.c_str()), &::closedir);
  REQUIRE(dir);
  while (const struct dirent* entry = ::readdir(dir.get())) names.push_back(entry->d_name);
  std::sort(names.begin(), names.end());
  std::string text = stat_text(spec.path) + '\n';
  for (const std::string& name : names) {
    if (name == "." || name == "..") continue;
    const std::string path = spec.path + '/' + name;
    text += name + ' ' + stat_text(path) + ' ' + read_file(path) + '\n';
  }
  return text;
}

std::string summary(const std::string& source, int imported, int total, int current, int skipped) {
  return "relay-import: imported " + std::to_string(imported) + " of " + std::to_string(total) +
         " logins from " + source + " (" + std::to_string(current) + " already in the store, " +
         std::to_string(skipped) + " skipped)\n";
}

const std::vector<std::string> vpopmail_logins = {"10.1.2.3 1700000400", "192.0.2.44 1700000160",
                                                  "198.51.100.7 1700000340",
                                                  "2001:db8::25 1700000220"};

}  // namespace

TEST_CASE("relay-import takes vpopmail's open-smtp, and a rerun changes nothing",
          "[relay-import][tools]") {
  TempDir dir;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  const std::string source = "open-smtp:" + relay_import_fixture("open-smtp");
  CAPTURE(store);
  ProcessResult r = import(store, source);
  CHECK(r.exit_code == 0);
  std::string written;
  for (const std::string& line : vpopmail_logins) written += line + '\n';
  CHECK(r.out == written);
  const std::string skipped =
      "relay-import: warning: skipped " + source +
      " line 3: no address (vpopmail writes ::1 and other ::x addresses so)\n";
  CHECK(r.err == skipped + summary(source, 4, 5, 0, 1));
  CHECK(entries_of(store) == vpopmail_logins);

  const std::string before = snapshot(store);
  r = import(store, source);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err == skipped + summary(source, 0, 5, 4, 1));
  CHECK(snapshot(store) == before);
}

TEST_CASE("relay-import keeps an IP's newest login and reports every line it skips",
          "[relay-import][tools]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string source = "open-smtp:" + relay_import_fixture("open-smtp-variants");
  ProcessResult r = import(store, source);
  CHECK(r.exit_code == 0);
  CHECK(entries_of(store) ==
        std::vector<std::string>{"10.1.2.3 1700000400", "198.51.100.10 1700000130",
                                 "2001:db8::77 1700000160", "203.0.113.6 1700000150",
                                 "203.0.113.8 1700000180"});
  const std::string warning = "relay-import: warning: skipped " + source + " line ";
  const std::string network = ": a network, not a single address\n";
  CHECK(r.err == warning + "4: 192.168." + network +                                      //
                     warning + "5: 10.0.0.0/8" + network +                                //
                     warning + "6: 198.51.100.9: no login time after the rule\n" +        //
                     warning + "8: 203.0.113.5: a deny rule, not a login\n" +             //
                     warning + "13: 203.0.113.7: bad login time 17000x0170\n" +           //
                     warning + "14: not a rule at all: not a tcprules line\n" +           //
                     warning + "16: joe@203.0.113.9: not an IP address\n" +               //
                     warning + "17: =mail.example.org: not an IP address\n" +             //
                     warning + "3: 10.1.2.3: an older login than the one at line 11\n" +  //
                     warning + "12: 10.1.2.3: an older login than the one at line 11\n" +
                     summary(source, 5, 15, 0, 10));
}

TEST_CASE("relay-import never writes an older login over a newer one", "[relay-import][tools]") {
  TempDir dir;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  CAPTURE(store);
  {
    auto admin = admin_of(store);
    admin->record("10.1.2.3", 1700000999);      // newer than open-smtp's 1700000400: kept
    admin->record("192.0.2.44", 1700000100);    // older: replaced
    admin->record("198.51.100.7", 1700000330);  // older by 10 s, a poll's distance: replaced
  }
  const std::string source = "open-smtp:" + relay_import_fixture("open-smtp");
  ProcessResult r = import(store, source);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "192.0.2.44 1700000160\n198.51.100.7 1700000340\n2001:db8::25 1700000220\n");
  CHECK_THAT(r.err, Catch::EndsWith(summary(source, 3, 5, 1, 1)));
  CHECK(entries_of(store) ==
        std::vector<std::string>{"10.1.2.3 1700000999", "192.0.2.44 1700000160",
                                 "198.51.100.7 1700000340", "2001:db8::25 1700000220"});
}

TEST_CASE("relay-import takes a relay-ctrl directory", "[relay-import][tools]") {
  TempDir dir;
  const std::string allow = dir / "allow";
  copy_relay_ctrl_fixture(allow);
  const std::string source = "relay-ctrl:" + allow;
  const std::string store = make_store(dir, GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  CAPTURE(store);
  // Whoever runs the import is not the clients: their USER and DOMAIN go into no file.
  const std::vector<std::string> env = {base_path, "USER=root", "DOMAIN=admin.example"};
  ProcessResult r = import(store, source, {}, env);
  CHECK(r.exit_code == 0);
  const std::vector<std::string> logins = {"10.1.2.3 1700000100", "192.0.2.44 1700000500",
                                           "198.51.100.7 1700000300", "203.0.113.20 1700000050"};
  CHECK(entries_of(store) == logins);
  CHECK(r.err == "relay-import: warning: skipped " + source + ": notes.txt: not an IP address\n" +
                     summary(source, 4, 5, 0, 1));
  const StoreSpec spec = parse_store_spec(store);
  if (spec.kind == StoreKind::relay_ctrl) CHECK(read_file(spec.path + "/10.1.2.3").empty());

  const std::string before = snapshot(store);
  r = import(store, source, {}, env);
  CHECK(r.out.empty());
  CHECK(snapshot(store) == before);

  // And one store into another: our cdb into a relay-ctrl directory.
  if (spec.kind == StoreKind::cdb) {
    const std::string other = make_store(dir, "relay-ctrl");
    r = import(other, store);
    CHECK(r.exit_code == 0);
    CHECK(r.err == summary(store, 4, 4, 0, 0));
    CHECK(entries_of(other) == logins);
  }
}

TEST_CASE("relay-import -x and -w leave out the logins relay-clear would remove",
          "[relay-import][tools]") {
  TempDir dir;
  const std::int64_t now = unix_now();
  write_file(dir / "open-smtp", "10.0.0.1:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t" +
                                    std::to_string(now - 4000) + "\n" +
                                    "10.0.0.2:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t" +
                                    std::to_string(now - 100) + "\n");
  const std::string source = "open-smtp:" + dir / "open-smtp";

  ProcessResult all = import("cdb:" + dir / "all.cdb", source);
  CHECK(all.exit_code == 0);
  CHECK(all.err == summary(source, 2, 2, 0, 0));

  ProcessResult recent = import("cdb:" + dir / "recent.cdb", source, {"-x"});
  CHECK(recent.exit_code == 0);
  CHECK(
      std::regex_match(recent.err, std::regex("relay-import: warning: skipped " + source +
                                              " line 1: 10\\.0\\.0\\.1: expired \\(400[0-3] s old, "
                                              "window 1800 s\\)\n.*\\(0 already in the store, 1 "
                                              "skipped\\)\n")));
  CHECK(listed_ips("cdb:" + dir / "recent.cdb") == std::vector<std::string>{"10.0.0.2"});

  ProcessResult none = import("cdb:" + dir / "none.cdb", source, {"-w", "50"});
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.err, Catch::EndsWith(summary(source, 0, 2, 0, 2)));
  CHECK(none.out.empty());
}

TEST_CASE("relay-import's usage and failures, djb-style", "[relay-import][tools]") {
  TempDir dir;
  const std::string store = "cdb:" + dir / "roaming.cdb";
  const std::string fixture = "open-smtp:" + relay_import_fixture("open-smtp");
  struct Case {
    std::vector<std::string> args;
    std::string fatal;  // the line before the usage line, if any
  };
  const std::vector<Case> cases = {
      {{}, ""},
      {{"-s", store}, ""},
      {{"-s", store, fixture, fixture}, ""},
      {{"-q", fixture}, ""},
      {{"-s", store, "-w", "0", fixture}, "bad window: 0: want seconds, 1 or more"},
      {{"-s", store, "-m", "999", fixture}, "bad mode: 999: want octal permissions, 0 to 0777"},
      {{"-s", "bogus", fixture},
       "unknown store bogus (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)"},
      {{"-s", store, dir / "open-smtp"},
       "unknown source " + dir / "open-smtp" +
           " (expected open-smtp:FILE, relay-ctrl:DIR, mysql:CONFIGFILE or cdb:PATH)"},
      {{"-s", store, "open-smtp:"}, "source open-smtp: names no file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {relay_import};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    CAPTURE(argv);
    ProcessResult r = run_process(argv, {base_path});
    CHECK(r.exit_code == 100);
    CHECK(r.out.empty());
    CHECK(r.err == (c.fatal.empty() ? "" : "relay-import: fatal: " + c.fatal + "\n") + usage_line);
  }
  ProcessResult r = run_process({relay_import, fixture}, {base_path});
  CHECK(r.exit_code == 100);
  CHECK(r.err == "relay-import: fatal: no store: use -s or set $RELAY_STORE\n");
  CHECK(run_process({relay_import, fixture}, {base_path, "RELAY_STORE=" + store}).exit_code == 0);
  CHECK(entries_of(store) == vpopmail_logins);

  // A source or a store that cannot be read: 111, nothing written.
  const std::string missing = dir / "missing";
  r = import(store, "open-smtp:" + missing);
  CHECK(r.exit_code == 111);
  CHECK(r.err == "relay-import: fatal: unable to read " + missing + ": file does not exist\n");
  r = import(store, "relay-ctrl:" + missing);
  CHECK(r.exit_code == 111);
  CHECK(r.err ==
        "relay-import: fatal: unable to open directory " + missing + ": file does not exist\n");
  write_file(dir / "bad.cdb", "garbage");
  r = import("cdb:" + dir / "bad.cdb", fixture);
  CHECK(r.exit_code == 111);
  CHECK(r.err ==
        "relay-import: fatal: " + dir / "bad.cdb" + " is not a roaming cdb (no marker record)\n");
  CHECK(read_file(dir / "bad.cdb") == "garbage");
  // A store that cannot be written: what it says, and the IP it could not take.
  r = import("cdb:" + dir / "no-such-dir/roaming.cdb", fixture);
  CHECK(r.exit_code == 111);
  CHECK_THAT(r.err,
             Catch::EndsWith("\nrelay-import: fatal: unable to record 10.1.2.3: unable to create " +
                             dir / "no-such-dir/roaming.cdb.journal: file does not exist\n"));
  CHECK(r.out.empty());
  // A MySQL source goes to relay-mysql beside the program, like a MySQL store.
  r = import(store, "mysql:" + missing);
  CHECK(r.exit_code == 111);
  CHECK_THAT(r.err, Catch::StartsWith("relay-import: fatal: ") && Catch::Contains(missing) &&
                        !Catch::Contains("relay-mysql"));
}

TEST_CASE("relay-import creates a store file with -m, whatever the umask",
          "[relay-import][tools]") {
  TempDir dir;
  ProcessResult r = run_process({relay_import, "-m", "0640", "-s", "cdb:" + dir / "new.cdb",
                                 "open-smtp:" + relay_import_fixture("open-smtp")},
                                {base_path}, ChildSetup{0077, std::nullopt});
  CHECK(r.exit_code == 0);
  CHECK((stat_of(dir / "new.cdb").st_mode & 07777) == 0640);
}
