#include "rules/roaming/roaming_cdb_fold.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <utility>
#include <vector>

#include "rules/base/messages.h"
#include "rules/roaming/file_lock.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_view.h"

namespace ucspi {
namespace {

RoamingCdb open_base(const std::string& path) {
  RoamingCdb base;
  const int err = base.open(path);
  if (err == 0 || err == ENOENT) return base;
  throw StoreError(view_problem(ViewError{path, err}, path), err);
}

// The new base written straight from the mapped old one (rewrite_roaming_entries): at 10^6
// entries several times faster than building it anew, as the per-login rewrite was. False when
// the old base is not as the store writes it: the caller goes the long way round.
bool rewrite_base_in_place(const std::string& path, mode_t new_file_mode, RoamingCdb& base,
                           JournalLayers layers) {
  if (!base.is_open()) return false;
  LoginEntries added;
  if (for_each_named(base, layers, [&](std::string_view ip, std::int64_t last_login) {
        added.emplace_back(ip, last_login);
      }) != 0)
    return false;
  return rewrite_roaming_entries(
      path, base.identity(),
      [&](std::string_view ip, std::int64_t last_login) {
        return !named_by(layers, ip) && resolve_through(layers, ip, last_login).has_value();
      },
      added, new_file_mode);
}

// Writes the base seen through layers as the new base, in order of time even when the old one
// was not (another tool's making): from then on relay-clear reads only what it expires.
void rewrite_base(const std::string& path, mode_t new_file_mode, JournalLayers layers) {
  RoamingCdb base = open_base(path);
  if (rewrite_base_in_place(path, new_file_mode, base, layers)) return;
  LoginEntries live;
  if (for_each_live(base, layers, [&](std::string_view ip, std::int64_t last_login) {
        live.emplace_back(ip, last_login);
      }) != 0)
    throw StoreError(path + ": corrupt roaming cdb");
  sort_by_login_time(live);
  const std::size_t size = base.is_open() ? static_cast<std::size_t>(base.identity().st_size) : 0;
  write_roaming_cdb(path, [&](const AddEntry& add) {
    for (const auto& [ip, last_login] : live) add(ip, last_login);
  }, size, new_file_mode);
}

// Writes base + PATH.journal.old (+ the cutoff, if any) as the new base and removes the old
// journal; false, having written nothing, when there is none. Folding the same old journal
// twice gives the same base, so a fold that died after its rename of the base is finished by
// doing it all again.
bool fold_old_journal(const std::string& path, mode_t new_file_mode, const JournalState& cutoff,
                      FoldReport& report) {
  JournalFile old(old_journal_path(path));
  if (int err = old.reload(); err != 0) throw_store_error("unable to read ", old.path(), err);
  if (!old.present()) return false;
  const JournalState* layers[] = {&old.state(), &cutoff};
  rewrite_base(path, new_file_mode, layers);
  report.folded = true;
  report.damaged_lines += old.damaged_lines();
  if (::unlink(old.path().c_str()) != 0) throw_store_error("unable to remove ", old.path(), errno);
  sync_directory_of(old.path());
  return true;
}

// Nothing, or an expire record of cutoff: the last layer of a fold.
JournalState cutoff_layer(std::optional<std::int64_t> cutoff) {
  JournalState layer;
  if (cutoff) layer.apply(JournalRecord{JournalOp::expire, {}, *cutoff});
  return layer;
}

UniqueFd open_store_lock(const std::string& path) {
  const std::string lock_path = path + ".lock";
  // 0644, not new_file_mode: opening it takes no right to the store, and every writer needs it.
  UniqueFd fd = open_lock_file(lock_path, 0644);
  if (!fd) throw_store_error("unable to open ", lock_path, errno);
  return fd;
}

// The detached fold's whole life: no descriptor of the login (its socket, Dovecot's pipes)
// may stay open in a process that outlives it, stderr excepted for warnings.
[[noreturn]] void run_detached_fold(const std::string& path, mode_t new_file_mode) {
  // relay-allow's SIGBUS handler execs the login's program: never from here.
  ::signal(SIGBUS, SIG_DFL);
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
  }
  ::close_range(3, ~0U, 0);
  int code = 0;
  try {
    UniqueFd lock = open_store_lock(path);
    // Busy: another fold, or relay-clear's, is at it; this one would find nothing left.
    if (lock_with_timeout(lock.get(), LockMode::exclusive, std::chrono::milliseconds(0)) == 0)
      warn_damaged_lines(path, fold_journals(path, new_file_mode, std::nullopt));
  } catch (const std::exception& e) {
    print_line({program_invocation_short_name, ": warning: unable to fold ",
                journal_path(path), ": ", e.what()});
    code = 111;
  }
  ::_exit(code);
}

}  // namespace

UniqueFd take_store_lock(const std::string& path, std::chrono::milliseconds wait) {
  UniqueFd fd = open_store_lock(path);
  if (int err = lock_with_timeout(fd.get(), LockMode::exclusive, wait); err != 0)
    throw_store_error("unable to lock ", path + ".lock", err);
  return fd;
}

FoldReport fold_journals(const std::string& path, mode_t new_file_mode,
                         std::optional<std::int64_t> cutoff) {
  remove_dead_journal_temps(path);
  FoldReport report;
  const JournalState none;
  fold_old_journal(path, new_file_mode, none, report);
  const std::string journal = journal_path(path);
  const std::string old = old_journal_path(path);
  const JournalState last = cutoff_layer(cutoff);
  if (std::rename(journal.c_str(), old.c_str()) != 0) {
    if (errno != ENOENT) throw StoreError("unable to move " + journal + " to " + old + ": " + error_str(errno));
    // Nothing logged since the last fold: only a cutoff has something to do.
    const JournalState* only_cutoff[] = {&last};
    if (cutoff) rewrite_base(path, new_file_mode, only_cutoff);
    return report;
  }
  fold_old_journal(path, new_file_mode, last, report);
  return report;
}

void warn_damaged_lines(const std::string& path, const FoldReport& report) {
  if (report.damaged_lines == 0) return;
  print_line({program_invocation_short_name, ": warning: ", std::to_string(report.damaged_lines),
              " damaged lines skipped in ", journal_path(path)});
}

void start_background_fold(const std::string& path, mode_t new_file_mode) {
  const pid_t middle = ::fork();
  if (middle < 0) return;  // no fold this time: the next login past the threshold tries again
  if (middle == 0) {
    // A session of its own and a second fork: the fold is nobody's child but init's, and no
    // terminal's hangup reaches it.
    ::setsid();
    const pid_t fold = ::fork();
    if (fold == 0) run_detached_fold(path, new_file_mode);
    ::_exit(0);
  }
  // The middle child exits at once: reaped here, it leaves no zombie, and no SIGCHLD for the
  // login's program that this process becomes.
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
}

FoldReport fold_cdb_journal(const std::string& path, const CdbWriterOptions& options) {
  UniqueFd lock = take_store_lock(path, options.lock_wait);
  return fold_journals(path, options.new_file_mode, std::nullopt);
}

FoldReport fold_cdb_journal_expiring(const std::string& path, const CdbWriterOptions& options,
                                     std::int64_t cutoff) {
  UniqueFd lock = take_store_lock(path, options.lock_wait);
  return fold_journals(path, options.new_file_mode, cutoff);
}

}  // namespace ucspi
