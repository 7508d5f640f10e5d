#include "child_spawn.h"

#include <spawn.h>  // posix_spawn
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <string_view>

namespace ucspi {
namespace {

// glibc's posix_spawn child sets its two internal signals (32 and 33, below SIGRTMIN) to
// SIG_IGN while it runs, and an ignored signal stays ignored across exec: the program would
// start with them ignored, which a forked child of djb's never does. Only signals in the
// "set to default" mask escape that, and sigaddset() refuses internal signals, so their bits
// are set directly.
void add_glibc_internal_signals(sigset_t& set) {
  static_assert(sizeof(unsigned long) * 8 == 64, "sigset_t words are 64 bits here");
  auto* words = reinterpret_cast<unsigned long*>(&set);
  for (int sig = 32; sig < SIGRTMIN; ++sig) {
    unsigned bit = static_cast<unsigned>(sig - 1);
    words[bit / 64] |= 1UL << (bit % 64);
  }
}

class SpawnSetup {
 public:
  explicit SpawnSetup(int sock) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_adddup2(&actions_, sock, 0);
    posix_spawn_file_actions_adddup2(&actions_, sock, 1);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    // Ignored signals survive exec; caught ones are reset by it. djb uncatches these three.
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGTERM);
    add_glibc_internal_signals(defaults);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }

  int run(const std::string& path, char* const* argv, char* const* envp, pid_t& pid) const {
    return posix_spawn(&pid, path.c_str(), &actions_, &attr_, argv, envp);
  }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

bool is_fork_error(int err) { return err == EAGAIN || err == ENOMEM; }

}  // namespace

SpawnOutcome spawn_child(const std::vector<std::string>& args, char* const* envp, int sock,
                         const char* path_env) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  SpawnSetup setup(sock);
  SpawnOutcome out;
  const std::string& program = args.front();

  auto attempt = [&](const std::string& path) {
    pid_t pid = -1;
    int err = setup.run(path, argv.data(), envp, pid);
    if (err == 0) out.pid = pid;
    return err;
  };

  if (program.find('/') != std::string::npos) {
    out.error = attempt(program);
    out.fork_failed = is_fork_error(out.error);
    return out;
  }
  std::string_view path = path_env ? path_env : "/bin:/usr/bin";
  int saved = 0;
  for (;;) {
    std::size_t split = path.find(':');
    std::string_view dir = path.substr(0, split);
    std::string candidate = dir.empty() ? std::string(".") : std::string(dir);
    candidate += '/';
    candidate += program;
    // A stat first: a missing candidate would otherwise cost a whole process creation.
    struct stat st;
    int err = ::stat(candidate.c_str(), &st) == 0 ? attempt(candidate) : errno;
    if (err == 0) return out;
    if (is_fork_error(err)) {
      out.error = err;
      out.fork_failed = true;
      return out;
    }
    if (err != ENOENT) {
      saved = err;
      if (err != EACCES && err != EPERM && err != EISDIR) break;
    }
    if (split == std::string_view::npos) break;
    path.remove_prefix(split + 1);
  }
  out.error = saved ? saved : ENOENT;
  return out;
}

}  // namespace ucspi
