#include "tests/unit/roaming_test_support.h"

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "rules/base/c_strings.h"
#include "rules/roaming/store_factory.h"

namespace ucspi::test {
namespace {

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) return -1;
  }
  return exit_code_of(status);
}

// posix_spawn's file actions, released however the spawn ends.
class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/roaming-test.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

// posix_spawn (a vfork: cheap enough for the tests that start thousands of tools) when the
// child needs nothing else; a fork for a umask or a user, which posix_spawn cannot set.
pid_t start_child(char* const argv[], char* const envp[], const std::string& out_path,
                  const std::string& err_path, const ChildSetup& setup) {
  pid_t pid = 0;
  if (!setup.umask && !setup.user) {
    FileActions actions;
    ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
    constexpr int output = O_WRONLY | O_CREAT;
    ::posix_spawn_file_actions_addopen(actions.get(), 1, out_path.c_str(), output, 0600);
    ::posix_spawn_file_actions_addopen(actions.get(), 2, err_path.c_str(), output, 0600);
    if (::posix_spawn(&pid, argv[0], actions.get(), nullptr, argv, envp) != 0) return -1;
    return pid;
  }
  pid = ::fork();
  if (pid != 0) return pid;
  // The output files are opened before the user changes: the scratch directory is 0700.
  const int in = ::open("/dev/null", O_RDONLY);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT, 0600);
  if (in == -1 || out == -1 || err == -1 || ::dup2(in, 0) == -1 || ::dup2(out, 1) == -1 ||
      ::dup2(err, 2) == -1)
    ::_exit(126);
  if (setup.umask) ::umask(*setup.umask);
  if (setup.user && !become(*setup.user)) ::_exit(126);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

}  // namespace

bool become(Credentials user) {
  return ::setgroups(0, nullptr) == 0 && ::setgid(user.gid) == 0 && ::setuid(user.uid) == 0;
}

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env, const ChildSetup& setup) {
  TempDir scratch;
  const std::string out_path = scratch / "out";
  const std::string err_path = scratch / "err";
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp = c_strings(env);
  pid_t pid = start_child(args.data(), envp.data(), out_path, err_path, setup);
  if (pid == -1) throw std::runtime_error("cannot spawn " + argv[0]);
  ProcessResult result;
  result.exit_code = wait_for(pid);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

bool run_in_children(int n, const std::function<bool(int index)>& body) {
  std::vector<pid_t> children;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == -1) break;
    if (pid == 0) {
      bool ok = false;
      try {
        ok = body(i);
      } catch (...) {
      }
      ::_exit(ok ? 0 : 1);  // skip the test runner's exit handlers in the child
    }
    children.push_back(pid);
  }
  bool all_ok = static_cast<int>(children.size()) == n;
  for (pid_t pid : children) all_ok = wait_for(pid) == 0 && all_ok;
  return all_ok;
}

RelayVerdict verdict_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now) {
  std::optional<RelayVerdict> verdict;
  int calls = 0;
  lookup.lookup(ip, now, [&](RelayVerdict v) {
    verdict = std::move(v);
    ++calls;
  });
  if (calls != 1 || !verdict) throw std::logic_error("lookup did not answer exactly once");
  return *verdict;
}

RelayAnswer answer_of(RoamingLookup& lookup, const std::string& ip, std::int64_t now) {
  return verdict_of(lookup, ip, now).answer;
}

std::string make_store(const TempDir& dir, const std::string& kind) {
  if (kind == "cdb") return "cdb:" + dir / "roaming.cdb";
  if (::mkdir((dir / "relay").c_str(), 0700) == -1) throw std::runtime_error("cannot mkdir");
  return "relay-ctrl:" + dir / "relay";
}

std::vector<std::string> listed_ips(const std::string& store) {
  std::vector<std::string> ips;
  for (const RoamingEntry& entry : open_store_writer(parse_store_spec(store)).admin->list())
    ips.push_back(entry.ip);
  std::sort(ips.begin(), ips.end());
  return ips;
}

void record_logins(const std::string& store,
                   const std::vector<std::pair<std::string, std::int64_t>>& ages) {
  const std::int64_t now = unix_now();
  auto admin = open_store_writer(parse_store_spec(store)).admin;
  for (const auto& [ip, age] : ages) admin->record(ip, now - age);
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == -1) throw std::runtime_error("cannot stat " + path);
  return st;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace ucspi::test
