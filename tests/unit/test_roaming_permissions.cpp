// Who may read the stores the relay tools write: the real relay-allow and relay-clear run the
// way mail admins run them (Dovecot's umask 0077, root or another user), and a server as
// tcpserver -u/-g would run reads the result. The tests that hand files to uid 65534 need
// root (CI runs as root) and fail without it rather than pass untested.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "rules/roaming/atomic_file.h"
#include "rules/roaming/relay_ctrl_store.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

const std::string relay_allow = RELAY_ALLOW_BIN;
const std::string relay_clear = RELAY_CLEAR_BIN;
const std::string base_path = "PATH=/usr/local/bin:/usr/bin:/bin";

// Dovecot runs post-login scripts with this umask.
const ChildSetup dovecot_umask{0077, std::nullopt};

mode_t mode_of(const std::string& path) { return stat_of(path).st_mode & 07777; }

// The PATH of "cdb:PATH", the DIR of "relay-ctrl:DIR".
std::string path_of(const std::string& store) { return store.substr(store.find(':') + 1); }

// The file that holds ip's entry in store.
std::string entry_file(const std::string& store, const std::string& ip) {
  return store.starts_with("cdb:") ? path_of(store) : path_of(store) + '/' + ip;
}

ProcessResult allow(const std::string& store, const std::string& ip, const ChildSetup& setup,
                    const std::vector<std::string>& options = {}) {
  std::vector<std::string> argv = {relay_allow, "-s", store, "-i", ip};
  argv.insert(argv.end(), options.begin(), options.end());
  return run_process(argv, {base_path}, setup);
}

void require_root() {
  if (::geteuid() != 0) FAIL("needs root, to give files to uid 65534 (CI runs as root)");
}

void give(const std::string& path, Credentials owner, mode_t mode) {
  REQUIRE(::chown(path.c_str(), owner.uid, owner.gid) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// As tcpserver -u 65534 -g 65534 would see ip: true when it relays, without a problem.
bool nobody_sees_relay(const std::string& store, const std::string& ip) {
  const std::string path = path_of(store);
  return run_in_children(1, [&](int) {
    if (!become(nobody)) return false;
    auto lookup = store.starts_with("cdb:") ? make_cdb_lookup(path, 1800)
                                            : make_relay_ctrl_lookup(path, 1800);
    RelayVerdict verdict = verdict_of(*lookup, ip, unix_now());
    return verdict.answer == RelayAnswer::relay && verdict.problem.empty();
  });
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("relay-allow under umask 0077 creates the store 0644, or the mode of -m",
          "[roaming][permissions][relay-allow]") {
  TempDir dir;
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  const std::string store = make_store(dir, kind);
  ProcessResult r = allow(store, "10.0.0.1", dovecot_umask);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(mode_of(entry_file(store, "10.0.0.1")) == 0644);
  if (kind == "cdb") {
    CHECK(mode_of(path_of(store) + ".lock") == 0644);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"roaming.cdb", "roaming.cdb.lock"});
  }

  // -m is for files created new: a cdb store keeps the mode it has; a relay-ctrl file for a
  // new IP is new.
  r = allow(store, "10.0.0.2", dovecot_umask, {"-m", "0640"});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(mode_of(entry_file(store, "10.0.0.2")) == (kind == "cdb" ? 0644 : 0640));
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});

  TempDir fresh;
  const std::string new_store = make_store(fresh, kind);
  r = allow(new_store, "10.0.0.3", dovecot_umask, {"-m", "0640"});
  CHECK(r.exit_code == 0);
  CHECK(mode_of(entry_file(new_store, "10.0.0.3")) == 0640);
  if (kind == "cdb") CHECK(mode_of(path_of(new_store) + ".lock") == 0644);
}

TEST_CASE("relay-clear under umask 0077 gives the journal it creates the store's mode",
          "[roaming][permissions][relay-clear]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string path = path_of(store);
  record_logins(store, {{"10.0.0.1", 4000}, {"10.0.0.2", 10}});
  fold_cdb_journal(path);  // no journal: relay-clear's expire record creates it
  REQUIRE(::chmod(path.c_str(), 0604) == 0);
  const ino_t before = stat_of(path).st_ino;
  ProcessResult r = run_process({relay_clear, "-s", store}, {base_path}, dovecot_umask);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(stat_of(path).st_ino == before);  // an expire record appended, nothing rewritten
  CHECK(mode_of(path + ".journal") == 0604);
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.2"});
  // The fold that drops the entry (relay-allow's, later) keeps the mode too.
  fold_cdb_journal(path);
  CHECK(stat_of(path).st_ino != before);
  CHECK(mode_of(path) == 0604);
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.2"});
}

TEST_CASE("a lock file that exists keeps its mode", "[roaming][permissions]") {
  TempDir dir;
  const std::string store = make_store(dir, "cdb");
  const std::string lock = path_of(store) + ".lock";
  write_file(lock, "");
  REQUIRE(::chmod(lock.c_str(), 0600) == 0);
  ProcessResult r = allow(store, "10.0.0.1", {});
  CHECK(r.exit_code == 0);
  CHECK(mode_of(lock) == 0600);
}

TEST_CASE("a store rewritten as root keeps its owner and mode", "[roaming][permissions][root]") {
  require_root();
  TempDir dir;
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  const std::string store = make_store(dir, kind);
  // Old enough to be rewritten by a login (older than the refresh interval).
  record_logins(store, {{"10.0.0.1", 900}, {"10.0.0.2", 4000}});
  const std::string file = entry_file(store, "10.0.0.1");
  if (kind == "cdb") fold_cdb_journal(file);  // so that the login creates the journal
  give(file, nobody, 0640);
  if (kind == "relay-ctrl") give(entry_file(store, "10.0.0.2"), nobody, 0640);
  const ino_t before = stat_of(file).st_ino;

  // The cdb store's login goes to the journal, which it creates with the base's owner and mode.
  const std::string written = kind == "cdb" ? file + ".journal" : file;
  ProcessResult r = allow(store, "10.0.0.1", dovecot_umask);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  struct stat after = stat_of(written);
  CHECK(after.st_ino != before);  // rewritten, not left alone
  CHECK(after.st_uid == nobody.uid);
  CHECK(after.st_gid == nobody.gid);
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});

  // relay-clear appends to the cdb store's journal, and the fold after it (relay-allow's, in
  // the background) writes the new base; from a relay-ctrl directory it only removes files,
  // and the ones it keeps stay as they are.
  r = run_process({relay_clear, "-s", store}, {base_path}, dovecot_umask);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(listed_ips(store) == std::vector<std::string>{"10.0.0.1"});
  if (kind == "cdb") fold_cdb_journal(file);
  const struct stat cleared = stat_of(file);
  if (kind == "cdb") CHECK(cleared.st_ino != before);  // folded into a new base
  CHECK(cleared.st_uid == nobody.uid);
  CHECK(cleared.st_gid == nobody.gid);
  CHECK((cleared.st_mode & 07777) == 0640);
}

TEST_CASE("a server running as nobody reads the store root's relay-allow made under umask 0077",
          "[roaming][permissions][root]") {
  require_root();
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // mkdtemp's 0700 would keep nobody out
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  const std::string store = make_store(dir, kind);
  if (kind == "relay-ctrl") REQUIRE(::chmod(path_of(store).c_str(), 0755) == 0);
  ProcessResult r = allow(store, "10.0.0.1", dovecot_umask);
  REQUIRE(r.exit_code == 0);
  CHECK(nobody_sees_relay(store, "10.0.0.1"));
  // And after another login rewrote it, still under 0077.
  r = allow(store, "10.0.0.2", dovecot_umask);
  REQUIRE(r.exit_code == 0);
  CHECK(nobody_sees_relay(store, "10.0.0.2"));
  CHECK(nobody_sees_relay(store, "10.0.0.1"));
}

TEST_CASE("a writer that may not keep the owner replaces the file silently unless readers lose it",
          "[roaming][permissions][root]") {
  require_root();
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  const std::string store = make_store(dir, kind);
  // A directory the POP/IMAP side (here uid 65534, as Dovecot's own user would be) may write.
  const std::string writable = kind == "cdb" ? dir.path() : path_of(store);
  give(writable, nobody, 0755);
  const ChildSetup as_nobody{0077, nobody};
  const std::string file = entry_file(store, "10.0.0.1");

  // root's own file, readable by all (the cdb), or 0600 as relay-ctrl-allow left them: root
  // reads anything, so nobody loses it when it changes hands.
  record_logins(store, {{"10.0.0.1", 900}});
  if (kind == "relay-ctrl") REQUIRE(::chmod(file.c_str(), 0600) == 0);
  const mode_t mode = mode_of(file);
  ino_t before = stat_of(file).st_ino;
  ProcessResult r = allow(store, "10.0.0.1", as_nobody, {"/bin/echo", "in"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  CHECK(r.err.empty());
  // The cdb store's login created the journal, modelled on the base.
  struct stat after = stat_of(kind == "cdb" ? file + ".journal" : file);
  CHECK(after.st_ino != before);
  CHECK(after.st_uid == nobody.uid);
  CHECK((after.st_mode & 07777) == mode);

  // A group that could read it and would not: group 0 is not the writer's to give.
  record_logins(store, {{"10.0.0.2", 900}});
  const std::string file2 = entry_file(store, "10.0.0.2");
  // No journal left, so that the login must create one modelled on the base given away.
  if (kind == "cdb") fold_cdb_journal(file2);
  give(file2, {nobody.uid, 0}, 0640);
  before = stat_of(file2).st_ino;
  const std::string contents = read_file(file2);
  r = allow(store, "10.0.0.2", as_nobody, {"/bin/echo", "in"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "in\n");
  const std::string refusal = "unable to keep owner 65534:0 of " + file2 +
                              " (mode 0640, not readable by all): permission denied";
  CHECK(r.err == "relay-allow: warning: unable to record 10.0.0.2: " + refusal + "\n");
  CHECK(stat_of(file2).st_ino == before);
  CHECK(read_file(file2) == contents);
  if (kind == "cdb") CHECK_FALSE(std::filesystem::exists(file2 + ".journal"));
  for (const std::string& name : names_in(directory_of(file2))) {
    CAPTURE(name);
    CHECK_FALSE((name.ends_with(".tmp") || name.starts_with(".")));  // no temp file left
  }
}
