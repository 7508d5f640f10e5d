#include "tools/helper_recorder.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/base/error_str.h"
#include "rules/base/sibling_program.h"
#include "rules/base/unique_fd.h"
#include "rules/base/write_all.h"

namespace ucspi {
namespace {

// What the helper said last, without its "PROG: fatal: unable to record IP: " part: the one
// warning relay-allow prints then reads as if it had recorded the login itself.
std::string reason_in(std::string_view said, const std::string& ip) {
  while (!said.empty() && said.back() == '\n') said.remove_suffix(1);
  said = said.substr(said.rfind('\n') + 1);
  for (const std::string_view part : {std::string_view("fatal: "), std::string_view("warning: ")})
    if (const std::size_t at = said.find(part); at != std::string_view::npos) {
      said.remove_prefix(at + part.size());
      break;
    }
  const std::string own = "unable to record " + ip + ": ";
  if (said.starts_with(own)) said.remove_prefix(own.size());
  return std::string(said);
}

class HelperRecorder final : public RoamingAdmin {
 public:
  HelperRecorder(std::string path, std::string program, std::string store)
      : path_(std::move(path)), program_(std::move(program)), store_(std::move(store)) {}

  void record(const std::string& ip, std::int64_t) override {
    std::vector<const char*> argv{program_.c_str(), "allow", "-s", store_.c_str(), "-i",
                                  ip.c_str(), nullptr};
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) throw failure("unable to create a pipe");
    UniqueFd read_end(ends[0]), write_end(ends[1]);
    const std::string cannot_run = "unable to run " + path_ + ": ";
    const pid_t pid = ::fork();
    if (pid == -1) throw failure("unable to fork");
    if (pid == 0) run_helper(argv, write_end.get(), cannot_run);
    write_end.reset();
    const std::string said = read_all(read_end.get());
    const int status = wait_for(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string reason = reason_in(said, ip);
    if (reason.empty()) reason = ended(status);
    throw StoreError(reason);
  }

  std::vector<RoamingEntry> list() override { throw only_records(); }
  std::size_t expire(std::int64_t) override { throw only_records(); }

 private:
  // The child: its stderr into the pipe, so relay-allow prints one warning, not two lines.
  [[noreturn]] void run_helper(const std::vector<const char*>& argv, int err,
                               const std::string& cannot_run) const {
    if (::dup2(err, 2) == 2) {
      ::execv(path_.c_str(), const_cast<char* const*>(argv.data()));
      const std::string text = cannot_run + error_str(errno) + "\n";
      write_all(2, text);
    }
    ::_exit(127);
  }

  static std::string read_all(int fd) {
    std::string text;
    char buffer[1024];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return text;
      if (text.size() < 16384) text.append(buffer, static_cast<std::size_t>(n));
    }
  }

  static int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1)
      if (errno != EINTR) throw StoreError(std::string("unable to wait for the helper: ") + error_str(errno));
    return status;
  }

  std::string ended(int status) const {
    if (WIFEXITED(status)) return program_ + " exited " + std::to_string(WEXITSTATUS(status));
    return program_ + " was killed by signal " + std::to_string(WTERMSIG(status));
  }

  StoreError failure(const char* what) const {
    return StoreError(std::string(what) + " for " + program_ + ": " + error_str(errno));
  }

  StoreError only_records() const { return StoreError(program_ + ": relay-allow only records"); }

  std::string path_;
  std::string program_;
  std::string store_;
};

}  // namespace

std::unique_ptr<RoamingAdmin> make_helper_recorder(std::string path, std::string program,
                                                   const StoreSpec& spec) {
  std::string store = std::string(store_kind_name(spec.kind)) + ":" + spec.path;
  return std::make_unique<HelperRecorder>(std::move(path), std::move(program), std::move(store));
}

std::string helper_path(const std::string& program) {
  const std::optional<std::string> found = sibling_program(program);
  if (!found) throw StoreError("unable to find " + program + ": cannot read /proc/self/exe");
  return *found;
}

std::unique_ptr<RoamingAdmin> open_recorder(StoreWriter writer, const StoreSpec& spec) {
  if (writer.admin) return std::move(writer.admin);
  return make_helper_recorder(helper_path(writer.program), writer.program, spec);
}

}  // namespace ucspi
