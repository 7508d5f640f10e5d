// Helpers for the roaming store and relay tool tests: a scratch directory, a child process
// with a chosen argv/env and captured output, and a synchronous view of RoamingLookup.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "roaming_store.h"

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

// Runs argv[0] (no PATH search) with exactly env, stdin from /dev/null; waits for it.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env);

// Runs body in n forked children at once; true when every child returned true.
bool run_in_children(int n, const std::function<bool(int index)>& body);

// A synchronous lookup (the local stores answer before lookup() returns).
RelayVerdict verdict_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now);
RelayAnswer answer_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now);

struct stat stat_of(const std::string& path);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

inline std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace ucspi::test
