// Helpers for the roaming store and relay tool tests: a scratch directory, a child process
// with a chosen argv/env and captured output, and a synchronous view of RoamingLookup.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules/roaming/roaming_store.h"

namespace ucspi::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + '/' + name; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal for a killed child
  std::string out;
  std::string err;
};

// A user to become: groups dropped, then gid and uid set (root only).
struct Credentials {
  uid_t uid;
  gid_t gid;
};
inline constexpr Credentials nobody{65534, 65534};

// False when the switch failed.
bool become(Credentials user);

// What a child gets besides argv and env: the umask it starts with (Dovecot's post-login
// scripts run under 0077), and the user it runs as.
struct ChildSetup {
  std::optional<mode_t> umask;
  std::optional<Credentials> user;
};

// Runs argv[0] (no PATH search) with exactly env, stdin from /dev/null; waits for it.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env, const ChildSetup& setup = {});

// Runs body in n forked children at once; true when every child returned true.
bool run_in_children(int n, const std::function<bool(int index)>& body);

// A synchronous lookup (the local stores answer before lookup() returns).
RelayVerdict verdict_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now);
RelayAnswer answer_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now);

// A store named as on a command line: "cdb:DIR/roaming.cdb" (no file yet), or
// "relay-ctrl:DIR/relay" (the directory made, 0700 like mkdtemp's).
std::string make_store(const TempDir& dir, const std::string& kind);
// The store's IPs, sorted, as its admin lists them.
std::vector<std::string> listed_ips(const std::string& store);
// Records each IP as having logged in that many seconds ago.
void record_logins(const std::string& store,
                   const std::vector<std::pair<std::string, std::int64_t>>& ages);

struct stat stat_of(const std::string& path);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

inline std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace ucspi::test
