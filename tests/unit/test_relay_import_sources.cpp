// relay-import's readers of each source format, on fixtures in the real formats
// (tests/fixtures/relay-import/).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/unit/relay_import_fixtures.h"
#include "tests/unit/roaming_test_support.h"
#include "tools/import_source.h"
#include "tools/open_smtp_source.h"
#include "tools/relay_ctrl_source.h"
#include "tools/store_entries_source.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

// "IP SECONDS WHERE" per entry, "WHERE|TEXT|REASON" per skipped one: whole results compare at
// once, and a failure shows all of them.
std::vector<std::string> entries_of(const SourceEntries& read) {
  std::vector<std::string> lines;
  for (const ImportEntry& e : read.entries)
    lines.push_back(e.ip + ' ' + std::to_string(e.last_login) + ' ' + e.where);
  return lines;
}

std::vector<std::string> skipped_of(const SourceEntries& read) {
  std::vector<std::string> lines;
  for (const SkippedEntry& s : read.skipped)
    lines.push_back(s.where + '|' + s.text + '|' + s.reason);
  return lines;
}

const std::string network = "a network, not a single address";
const std::string not_ip = "not an IP address";
const std::string no_address = "no address (vpopmail writes ::1 and other ::x addresses so)";

}  // namespace

TEST_CASE("open-smtp as vpopmail writes it", "[relay-import][open-smtp]") {
  const SourceEntries read = parse_open_smtp(read_file(relay_import_fixture("open-smtp")));
  CHECK(entries_of(read) == std::vector<std::string>{
                                "192.0.2.44 1700000160 line 1",
                                "2001:db8::25 1700000220 line 2",  // vpopmail's 2001_db8__25
                                "198.51.100.7 1700000340 line 4",
                                "10.1.2.3 1700000400 line 5",
                            });
  CHECK(skipped_of(read) == std::vector<std::string>{"line 3||" + no_address});
}

TEST_CASE("open-smtp edited by hand or raced: every line read or reported",
          "[relay-import][open-smtp]") {
  const SourceEntries read = parse_open_smtp(read_file(relay_import_fixture("open-smtp-variants")));
  // Duplicates are the plan's business (import_plan.h): the reader keeps every line.
  CHECK(entries_of(read) == std::vector<std::string>{
                                "10.1.2.3 1700000100 line 3",
                                "198.51.100.10 1700000130 line 7",  // four spaces for the TAB
                                "203.0.113.6 1700000150 line 9", "2001:db8::77 1700000160 line 10",
                                "10.1.2.3 1700000400 line 11", "10.1.2.3 1700000200 line 12",
                                "203.0.113.8 1700000180 line 15",  // CRLF
                            });
  CHECK(skipped_of(read) == std::vector<std::string>{
                                "line 4|192.168.|" + network,
                                "line 5|10.0.0.0/8|" + network,
                                "line 6|198.51.100.9|no login time after the rule",
                                "line 8|203.0.113.5|a deny rule, not a login",
                                "line 13|203.0.113.7|bad login time 17000x0170",
                                "line 14|not a rule at all|not a tcprules line",
                                "line 16|joe@203.0.113.9|" + not_ip,
                                "line 17|=mail.example.org|" + not_ip,
                            });
}

TEST_CASE("open-smtp: blank, comment and odd lines", "[relay-import][open-smtp]") {
  CHECK(entries_of(parse_open_smtp("")).empty());
  // The last line without its newline, spaces around the time, several TABs.
  SourceEntries read = parse_open_smtp("\n# x\n   \n10.0.0.1:allow\t 5 \n10.0.0.2:allow\t\t6");
  CHECK(entries_of(read) == std::vector<std::string>{"10.0.0.1 5 line 4", "10.0.0.2 6 line 5"});
  CHECK(read.skipped.empty());
  // Text after the time, a time too long for 18 digits, a rule tcprules refuses, nothing
  // before the TAB, a time of 0.
  read = parse_open_smtp(
      "10.0.0.3:allow\t7 8\n10.0.0.4:allow\t1234567890123456789\n10.0.0.5:allow,X\t9\n\t10\n"
      "10.0.0.6:allow\t0\n");
  CHECK(read.entries.empty());
  CHECK(skipped_of(read) == std::vector<std::string>{
                                "line 1|10.0.0.3|bad login time 7 8",
                                "line 2|10.0.0.4|bad login time 1234567890123456789",
                                "line 3|10.0.0.5:allow,X|not a tcprules line",
                                "line 4||not a tcprules line",
                                "line 5|10.0.0.6|no login time (1970 or before)",
                            });
}

TEST_CASE("a source address: canonical, a network, or garbage", "[relay-import]") {
  struct Case {
    std::string text;
    std::string ip;      // empty: skipped
    std::string reason;  // when skipped
  };
  const std::vector<Case> cases = {
      {"10.1.2.3", "10.1.2.3", ""},         {"::ffff:10.1.2.3", "10.1.2.3", ""},
      {"2001:DB8::0:1", "2001:db8::1", ""}, {"2001_db8__1", "2001:db8::1", ""},  // vpopmail's IPv6
      {"fe80__1_eth0", "", not_ip},         {"192.168.", "", network},
      {"2001:db8:", "", network},           {"10.0.0.0/8", "", network},
      {"2001:db8::/32", "", network},       {"10.0.0.1-9", "", network},
      {"10.0.0.300", "", not_ip},           {"010.0.0.1", "", not_ip},
      {"mail-1.example", "", not_ip},       {"", "", no_address},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    SourceEntries read;
    add_source_entry(read, c.text, 100, "here");
    if (c.ip.empty()) {
      CHECK(read.entries.empty());
      CHECK(skipped_of(read) == std::vector<std::string>{"here|" + c.text + '|' + c.reason});
    } else {
      CHECK(entries_of(read) == std::vector<std::string>{c.ip + " 100 here"});
    }
  }
}

TEST_CASE("a relay-ctrl directory as relay-ctrl-allow leaves it", "[relay-import][relay-ctrl]") {
  TempDir dir;
  const std::string allow = dir / "allow";
  copy_relay_ctrl_fixture(allow);
  // What else a directory may hold: a directory, a symbolic link.
  REQUIRE(::mkdir((allow + "/10.9.9.9").c_str(), 0755) == 0);
  REQUIRE(::symlink("10.1.2.3", (allow + "/10.8.8.8").c_str()) == 0);

  const std::vector<DirectoryFile> files = read_directory_files(allow);
  std::vector<std::string> names;
  for (const DirectoryFile& f : files) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{".", "..", ".1700000600.123456:4242", "10.1.2.3",
                                          "10.8.8.8", "10.9.9.9", "192.0.2.44", "203.0.113.20",
                                          "::ffff:198.51.100.7", "notes.txt"});

  const SourceEntries read = parse_relay_ctrl_files(files);
  CHECK(entries_of(read) == std::vector<std::string>{
                                "10.1.2.3 1700000100 ", "192.0.2.44 1700000500 ",
                                "203.0.113.20 1700000050 ",
                                "198.51.100.7 1700000300 ",  // relay-ctrl 2's ::ffff: name
                            });
  CHECK(skipped_of(read) == std::vector<std::string>{
                                "|10.8.8.8|not a regular file",
                                "|10.9.9.9|not a regular file",
                                "|notes.txt|" + not_ip,
                            });
}

TEST_CASE("a relay-ctrl directory that cannot be read", "[relay-import][relay-ctrl]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_directory_files(dir / "none"),
                    "unable to open directory " + dir / "none" + ": file does not exist");
}

TEST_CASE("a store's entries: the MySQL relay table's rows", "[relay-import][mysql]") {
  // As vpopmail's vmysql.c and the -S patch's netblock rows leave the table.
  const std::vector<RoamingEntry> rows = {
      {"10.1.2.3", 1700000100},     {"192.168.", std::nullopt}, {"198.51.100.1", std::nullopt},
      {"2001_db8__25", 1700000220}, {"", 1700000280},           {"203.0.113.1", 0},
      {"2001:db8::1", 1700000300},
  };
  const SourceEntries read = parse_store_entries(rows);
  CHECK(entries_of(read) == std::vector<std::string>{"10.1.2.3 1700000100 ",
                                                     "2001:db8::25 1700000220 ",
                                                     "2001:db8::1 1700000300 "});
  const std::string permanent = "permanent (no timestamp): not a login";
  CHECK(skipped_of(read) == std::vector<std::string>{
                                "|192.168.|" + permanent,
                                "|198.51.100.1|" + permanent,
                                "||" + no_address,
                                "|203.0.113.1|no login time (1970 or before)",
                            });
}

TEST_CASE("relay-import's source names", "[relay-import]") {
  ImportSource source = parse_import_source("open-smtp:/home/vpopmail/etc/open-smtp");
  CHECK(source.kind == SourceKind::open_smtp);
  CHECK(source.path == "/home/vpopmail/etc/open-smtp");
  CHECK(source.name == "open-smtp:/home/vpopmail/etc/open-smtp");
  source = parse_import_source("relay-ctrl:/var/spool/relay-ctrl/allow");
  CHECK(source.kind == SourceKind::relay_ctrl);
  CHECK(source.path == "/var/spool/relay-ctrl/allow");
  source = parse_import_source("mysql:/var/qmail/control/sql");
  CHECK(source.kind == SourceKind::store);
  CHECK(source.store_kind == StoreKind::mysql);
  source = parse_import_source("cdb:relay.cdb");
  CHECK(source.kind == SourceKind::store);
  CHECK(source.store_kind == StoreKind::cdb);
  CHECK(source.path == "relay.cdb");

  const std::string want =
      " (expected open-smtp:FILE, relay-ctrl:DIR, mysql:CONFIGFILE or cdb:PATH)";
  CHECK_THROWS_WITH(parse_import_source("/home/vpopmail/etc/open-smtp"),
                    "unknown source /home/vpopmail/etc/open-smtp" + want);
  CHECK_THROWS_WITH(parse_import_source("open-smtp"), "unknown source open-smtp" + want);
  CHECK_THROWS_WITH(parse_import_source("opensmtp:/x"), "unknown source opensmtp:/x" + want);
  CHECK_THROWS_WITH(parse_import_source("open-smtp:"), "source open-smtp: names no file");
  CHECK_THROWS_WITH(parse_import_source("mysql:"), "source mysql: names no file");
}
