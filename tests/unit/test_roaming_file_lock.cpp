// The lock that serialises the roaming store's writers (rules/roaming/file_lock.h): flock on a
// lock file, with a bounded wait. Exclusion is tested between real processes, each opening the
// lock file itself, as relay-allow and relay-clear do. The tests that act as uid 65534 need
// root (CI runs as root) and fail without it rather than pass untested.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "rules/base/write_all.h"
#include "rules/roaming/file_lock.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;

namespace ucspi::test {

// Shared with test_roaming_atomic_file.cpp, which declares them again.
std::string run_in_child(const std::function<std::string()>& body);
std::string octal(mode_t mode);  // "0644"
std::string octal_mode_of(const std::string& path);
// Makes dir (mkdtemp's, 0700) searchable by uid 65534, still writable by root alone; fails the
// test when not root, rather than pass untested.
void open_to_nobody(const TempDir& dir);

// A forked child that runs body and hands back, through a pipe, the text body returns (or
// "exception: WHAT"). The child first closes every descriptor it inherited but that pipe, so
// it holds none of the parent's locks; it leaves with _exit, never through the runner's exit.
class Child {
 public:
  explicit Child(const std::function<std::string(const Child&)>& body) {
    int fds[2];
    if (::pipe(fds) == -1) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == -1) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::close(fds[0]);
      pipe_.reset(::dup2(fds[1], 3) == 3 ? 3 : -1);
      ::close_range(4, ~0U, 0);
      std::string result;
      try {
        result = body(*this);
      } catch (const std::exception& e) {
        result = std::string("exception: ") + e.what();
      }
      say(result);
      ::_exit(0);
    }
    ::close(fds[1]);
    pipe_.reset(fds[0]);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) result();
  }

  // In the child: text for the parent's hear() or result().
  void say(std::string_view text) const { write_all(pipe_.get(), text); }

  // In the parent: the next n bytes the child says (fewer if it ends first).
  std::string hear(std::size_t n) {
    std::string text;
    char buf[512];
    while (text.size() < n) {
      const ssize_t got = ::read(pipe_.get(), buf, std::min(sizeof buf, n - text.size()));
      if (got == -1 && errno == EINTR) continue;
      if (got <= 0) break;
      text.append(buf, static_cast<std::size_t>(got));
    }
    return text;
  }

  // In the parent: all the child says until it ends, then its end reaped.
  std::string result() {
    std::string text = hear(std::string::npos);
    int status = 0;
    while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
    }
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text += " (child died)";
    return text;
  }

 private:
  pid_t pid_ = -1;
  UniqueFd pipe_;
};

std::string run_in_child(const std::function<std::string()>& body) {
  return Child([&](const Child&) { return body(); }).result();
}

std::string octal(mode_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
  return text;
}

std::string octal_mode_of(const std::string& path) { return octal(stat_of(path).st_mode & 07777); }

void open_to_nobody(const TempDir& dir) {
  if (::geteuid() != 0) FAIL("needs root, to act as uid 65534 (CI runs as root)");
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
}

}  // namespace ucspi::test

namespace {

// What another process gets when it opens path and asks for the lock, waiting up to wait;
// "timed out" only when it really waited that long.
std::string other_process_locks(const std::string& path, LockMode mode,
                                std::chrono::milliseconds wait) {
  return run_in_child([&] {
    UniqueFd fd = open_lock_file(path, 0644);
    if (!fd) return std::string("open: ") + error_str(errno);
    const auto start = std::chrono::steady_clock::now();
    const int err = lock_with_timeout(fd.get(), mode, wait);
    const bool waited = std::chrono::steady_clock::now() - start >= wait;
    return std::string(error_str(err)) + (err == ETIMEDOUT && !waited ? " too soon" : "");
  });
}

UniqueFd locked(const std::string& path, LockMode mode) {
  UniqueFd fd = open_lock_file(path, 0644);
  REQUIRE(fd);
  REQUIRE(lock_with_timeout(fd.get(), mode, 0ms) == 0);
  return fd;
}

}  // namespace

TEST_CASE("an exclusive lock keeps every other process out for the whole wait, then times out",
          "[roaming][lock]") {
  TempDir dir;
  const std::string path = dir / "store.cdb.lock";
  UniqueFd held = locked(path, LockMode::exclusive);
  CHECK(other_process_locks(path, LockMode::exclusive, 300ms) == "timed out");
  CHECK(other_process_locks(path, LockMode::shared, 300ms) == "timed out");
  CHECK(other_process_locks(path, LockMode::exclusive, 0ms) == "timed out");
}

TEST_CASE("shared locks admit each other and keep an exclusive one out", "[roaming][lock]") {
  TempDir dir;
  const std::string path = dir / "relay";
  UniqueFd held = locked(path, LockMode::shared);
  CHECK(other_process_locks(path, LockMode::shared, 0ms) == "no error");
  CHECK(other_process_locks(path, LockMode::exclusive, 300ms) == "timed out");
}

TEST_CASE("a lock is released when its descriptor is destroyed, and a waiting process gets it",
          "[roaming][lock]") {
  TempDir dir;
  const std::string path = dir / "store.cdb.lock";
  std::optional<UniqueFd> held = locked(path, LockMode::exclusive);
  Child waiter([&](const Child& me) {
    UniqueFd fd = open_lock_file(path, 0644);
    if (!fd) return std::string("open: ") + error_str(errno);
    me.say("w");
    return std::string(error_str(lock_with_timeout(fd.get(), LockMode::exclusive, 10s)));
  });
  REQUIRE(waiter.hear(1) == "w");
  std::this_thread::sleep_for(300ms);  // the waiter is polling by now
  held.reset();
  CHECK(waiter.result() == "no error");
  // And nothing is left holding it.
  CHECK(other_process_locks(path, LockMode::exclusive, 0ms) == "no error");
}

TEST_CASE("a missing lock file is created with exactly the mode given, whatever the umask",
          "[roaming][lock]") {
  TempDir dir;
  const std::string path = dir / "store.cdb.lock";
  const mode_t mode = GENERATE(mode_t{0644}, mode_t{0664}, mode_t{0640});
  CAPTURE(mode);
  const std::string got = run_in_child([&] {
    ::umask(0077);  // Dovecot's, for post-login scripts
    UniqueFd fd = open_lock_file(path, mode);
    return fd ? octal_mode_of(path) : std::string("open: ") + error_str(errno);
  });
  CHECK(got == octal(mode));
}

TEST_CASE("a lock file that exists keeps its mode and its content", "[roaming][lock]") {
  TempDir dir;
  const std::string path = dir / "store.cdb.lock";
  write_file(path, "not empty");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  UniqueFd fd = open_lock_file(path, 0644);
  REQUIRE(fd);
  CHECK(lock_with_timeout(fd.get(), LockMode::exclusive, 0ms) == 0);
  CHECK(octal_mode_of(path) == "0600");
  CHECK(read_file(path) == "not empty");
}

TEST_CASE("a user who may only read the lock file can open it and lock it",
          "[roaming][lock][root]") {
  TempDir dir;
  open_to_nobody(dir);
  const std::string path = dir / "store.cdb.lock";
  write_file(path, "");
  REQUIRE(::chmod(path.c_str(), 0644) == 0);  // root's, read-only to others
  CHECK(run_in_child([&] {
          if (!become(nobody)) return std::string("cannot become nobody");
          UniqueFd fd = open_lock_file(path, 0644);
          if (!fd) return std::string("open: ") + error_str(errno);
          return std::string(error_str(lock_with_timeout(fd.get(), LockMode::exclusive, 0ms)));
        }) == "no error");
}

TEST_CASE("an unopenable lock path gives no descriptor and the errno that says why",
          "[roaming][lock][root]") {
  TempDir dir;
  open_to_nobody(dir);
  write_file(dir / "file", "");
  write_file(dir / "root-only.lock", "");
  REQUIRE(::chmod((dir / "root-only.lock").c_str(), 0600) == 0);
  struct Case {
    std::string path;
    bool as_nobody;
    std::string error;
  };
  const std::vector<Case> cases = {
      {dir / "missing/store.cdb.lock", false, "file does not exist"},
      {dir / "file/store.cdb.lock", false, "not a directory"},
      {dir / "root-only.lock", true, "access denied"},  // there, not readable
      {dir / "store.cdb.lock", true, "access denied"},  // missing, not creatable
  };
  for (const Case& c : cases) {
    CAPTURE(c.path, c.as_nobody);
    CHECK(run_in_child([&] {
            if (c.as_nobody && !become(nobody)) return std::string("cannot become nobody");
            errno = 0;
            UniqueFd fd = open_lock_file(c.path, 0644);
            return fd ? std::string("opened") : std::string(error_str(errno));
          }) == c.error);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "store.cdb.lock"));
  // What a caller that did not check would get from the lock: flock's own errno.
  CHECK(lock_with_timeout(-1, LockMode::exclusive, 100ms) == EBADF);
}
