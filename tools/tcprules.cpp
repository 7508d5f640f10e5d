// tcprules rules.cdb rules.tmp: compile tcprules text on stdin into rules.cdb, atomically.
// Drop-in for djb's: same messages, exit codes (100 bad input, 111 system), and byte-identical
// output for every input his accepts. Adds IPv6 keys, CIDR, and an open-relay warning.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "rules/cdb/cdb_file.h"
#include "rules/base/messages.h"
#include "rules/rules_compiler.h"
#include "rules/base/unique_fd.h"

using namespace ucspi;

namespace {

constexpr std::string_view fatal = "tcprules: fatal: ";

[[noreturn]] void die_write(const char* tmp, int err) {
  die_sys(err, {fatal, "unable to write to ", tmp});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) die(100, {"tcprules: usage: tcprules rules.cdb rules.tmp"});
  const char* cdb_path = argv[1];
  const char* tmp_path = argv[2];

  // djb opens the temp file before reading any input; scripts rely on that order.
  UniqueFd fd(::open(tmp_path, O_WRONLY | O_NDELAY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) die_sys(errno, {fatal, "unable to create ", tmp_path});

  CdbWriter writer(fd.get());
  if (writer.start_error() != 0) die_write(tmp_path, writer.start_error());

  auto warn = [](std::string_view text) { print_line({"tcprules: warning: ", text}); };
  CompileOutcome outcome = compile_rules(0, writer, warn);
  switch (outcome.status) {
    case CompileOutcome::Status::ok: break;
    case CompileOutcome::Status::bad_line:
      die(100, {fatal, "unable to parse this line: ", outcome.bad_line});
    case CompileOutcome::Status::read_error:
      die_sys(outcome.error, {fatal, "unable to read input"});
    case CompileOutcome::Status::write_error: die_write(tmp_path, outcome.error);
  }

  if (!writer.finish()) die_write(tmp_path, errno);
  if (::fsync(fd.get()) == -1) die_write(tmp_path, errno);
  if (::close(fd.release()) == -1) die_write(tmp_path, errno);  // NFS reports errors here
  if (std::rename(tmp_path, cdb_path) != 0)
    die_sys(errno, {fatal, "unable to move ", tmp_path, " to ", cdb_path});

  if (outcome.open_relay)
    warn("the catch-all rule sets RELAYCLIENT: this file makes an open relay");
  return 0;
}
