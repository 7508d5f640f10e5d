// How tcpserver starts a child: exactly fds 0, 1, 2 and the inherited ones, whatever else the
// parent has open, close-on-exec or not; the child's own log lines; djb's exec failure.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tcpserver/child_spawn.h"
#include "tcpserver/inherited_fds.h"
#include "tcpserver/logger.h"
#include "rules/base/unique_fd.h"

extern char** environ;

using namespace ucspi;

namespace {

struct Started {
  std::string output;  // what the child wrote to its fd 1
  int status = -1;
};

// Starts argv as tcpserver starts a child, with one end of a socketpair as its fd 0 and 1.
Started start(const std::vector<std::string>& argv, const InheritedFds* keep,
              const ChildIntro& intro = {}) {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  const Logger log(2);
  ChildLauncher launcher(argv, "/usr/bin:/bin", keep, log);
  const pid_t pid = launcher.start(environ, theirs.get(), intro);
  REQUIRE(pid > 0);
  theirs.reset();
  Started s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(ours.get(), buf, sizeof buf)) > 0) s.output.append(buf, static_cast<std::size_t>(n));
  REQUIRE(::waitpid(pid, &s.status, 0) == pid);
  return s;
}

std::set<int> fds_listed(const std::string& output) {
  std::set<int> fds;
  std::size_t at = 0;
  while (at < output.size()) {
    const std::size_t end = output.find('\n', at);
    const std::string line = output.substr(at, end - at);
    if (!line.empty() && std::all_of(line.begin(), line.end(), ::isdigit)) fds.insert(std::stoi(line));
    at = end == std::string::npos ? output.size() : end + 1;
  }
  return fds;
}

// ls runs as the shell's child: it lists the shell's descriptors, not its own directory's.
const std::vector<std::string> list_fds = {"/bin/sh", "-c", "ls /proc/$$/fd"};

}  // namespace

TEST_CASE("a child gets 0 1 2 and the inherited descriptors and nothing opened later",
          "[tcpserver][spawn]") {
  // Opened before capture: tcpserver was started with it (relay-ctrl-chdir's directory).
  UniqueFd inherited(::open("/", O_RDONLY | O_DIRECTORY));
  REQUIRE(inherited);
  const InheritedFds keep = InheritedFds::capture();
  // Opened after: tcpserver's own, and deliberately not close-on-exec, as a careless library's.
  int leak[2];
  REQUIRE(::pipe(leak) == 0);
  UniqueFd leak_read(leak[0]);
  UniqueFd leak_write(leak[1]);
  REQUIRE_FALSE(::fcntl(leak[0], F_GETFD) & FD_CLOEXEC);

  std::set<int> expected{0, 1, 2};
  for (int fd : keep.fds())
    if (::fcntl(fd, F_GETFD) != -1 && !(::fcntl(fd, F_GETFD) & FD_CLOEXEC)) expected.insert(fd);
  CHECK(expected.count(inherited.get()) == 1);

  const std::set<int> got = fds_listed(start(list_fds, &keep).output);
  CHECK(got == expected);
  CHECK(got.count(leak[0]) == 0);
  CHECK(got.count(leak[1]) == 0);
}

TEST_CASE("a helper gets 0 1 2 only", "[tcpserver][spawn]") {
  UniqueFd open_before(::open("/", O_RDONLY | O_DIRECTORY));
  const std::set<int> got = fds_listed(start(list_fds, nullptr).output);
  CHECK(got == std::set<int>{0, 1, 2});
}

TEST_CASE("the child writes its own lines with its own pid before its program runs",
          "[tcpserver][spawn]") {
  // The child writes to fd 2: point it at a pipe while it runs.
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd saved(::dup(2));
  ::dup2(pipe_fds[1], 2);
  ::close(pipe_fds[1]);
  ChildIntro intro;
  intro.add_line("tcpserver: pid ", " from 10.0.0.1\n");
  intro.add_line("tcpserver: ok ", " x:10.0.0.2:25 :10.0.0.1::1234\n");
  Started s = start({"/bin/sh", "-c", "echo $$"}, nullptr, intro);
  ::dup2(saved.get(), 2);
  char buf[256] = {};
  REQUIRE(::read(read_end.get(), buf, sizeof buf - 1) > 0);
  const std::string pid = s.output.substr(0, s.output.size() - 1);  // the shell's $$
  CHECK(std::string(buf) == "tcpserver: pid " + pid + " from 10.0.0.1\n"
                            "tcpserver: ok " + pid + " x:10.0.0.2:25 :10.0.0.1::1234\n");
}

TEST_CASE("no program found: djb's exit 111", "[tcpserver][spawn]") {
  Started s = start({"no-such-program-anywhere"}, nullptr);
  REQUIRE(WIFEXITED(s.status));
  CHECK(WEXITSTATUS(s.status) == 111);
  CHECK(s.output.empty());
}

TEST_CASE("exec candidates follow djb's pathexec", "[tcpserver][spawn]") {
  CHECK(exec_candidates("prog", "/a::/b") ==
        std::vector<std::string>{"/a/prog", "./prog", "/b/prog"});
  CHECK(exec_candidates("./prog", "/a") == std::vector<std::string>{"./prog"});
  CHECK(exec_candidates("prog", nullptr) == std::vector<std::string>{"/bin/prog", "/usr/bin/prog"});
}
