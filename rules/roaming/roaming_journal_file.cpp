#include "rules/roaming/roaming_journal_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <memory>

#include "rules/base/read_regular_file.h"
#include "rules/base/scan_ulong.h"
#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {
namespace {

// How often a record is appended again because a fold moved the journal aside under it. Each
// retry means another fold started meanwhile, and a fold takes at least one rewrite of the
// base: ten in a row is a broken file system, not contention.
constexpr int max_append_attempts = 10;

// The removal of a temporary name on every way out.
class TempName {
 public:
  explicit TempName(std::string path) : path_(std::move(path)) {}
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
  ~TempName() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string journal_temp_path(const std::string& journal, pid_t pid) {
  return journal + '.' + std::to_string(pid) + ".tmp";
}

// The pid in NAME = PREFIX <digits> ".tmp", or 0 when NAME is not such a name.
pid_t temp_owner(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return 0;
  const std::string_view rest = name.substr(prefix.size());
  std::size_t digits = 0;
  const unsigned long pid = scan_ulong(rest, &digits);
  if (digits == 0 || digits > 9 || rest.substr(digits) != ".tmp") return 0;
  return static_cast<pid_t>(pid);
}

// Creates the journal under a temporary name with its final permissions, then links it into
// place, so that PATH.journal never exists with the umask's mode for a moment. Another writer
// may have created it meanwhile (EEXIST): theirs serves as well.
void create_journal(const std::string& store_path, mode_t new_file_mode) {
  const std::string journal = journal_path(store_path);
  const TempName temp(journal_temp_path(journal, ::getpid()));
  ::unlink(temp.path().c_str());  // a crashed writer's leftover with our pid
  // O_EXCL|O_NOFOLLOW: in a shared directory a planted symlink must not redirect our write.
  UniqueFd fd(::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  // Named by its final name: a missing or unwritable directory is what the admin must fix.
  if (!fd) throw_store_error("unable to create ", journal, errno);
  give_permissions_of(fd.get(), temp.path(), store_path, new_file_mode);
  if (::link(temp.path().c_str(), journal.c_str()) != 0 && errno != EEXIST)
    throw StoreError("unable to link " + temp.path() + " to " + journal + ": " + error_str(errno));
  sync_directory_of(journal);  // the record's fdatasync does not make the name durable
}

void write_record(int fd, const std::string& journal, std::string_view record) {
  ssize_t n;
  do n = ::write(fd, record.data(), record.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_store_error("unable to write to ", journal, errno);
  // A part of a record would be a damaged line; the rest written later a second one.
  if (static_cast<std::size_t>(n) != record.size()) throw_store_error("unable to write to ", journal, ENOSPC);
  if (::fdatasync(fd) != 0) throw_store_error("unable to write to ", journal, errno);
}

// Whether path still names the file open as fd: if not, a fold moved it aside after our open.
bool still_named(int fd, const std::string& path, struct stat& opened) {
  if (::fstat(fd, &opened) != 0) throw_store_error("unable to stat ", path, errno);
  struct stat named {};
  if (::stat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) return false;
    throw_store_error("unable to stat ", path, errno);
  }
  return same_journal(opened, named);
}

}  // namespace

std::string journal_path(const std::string& store_path) { return store_path + ".journal"; }
std::string old_journal_path(const std::string& store_path) { return store_path + ".journal.old"; }

int JournalFile::reload() {
  fd_.reset();
  parser_ = JournalParser{};
  if (!only_ip_.empty()) parser_.only_about(only_ip_);
  state_ = JournalState{};
  identity_ = {};
  // O_NONBLOCK and a regular file only: a FIFO at the path would block the open, and a device
  // such as /dev/zero would never end the read, holding up tcpserver's every connection.
  const int err = open_regular(path_.c_str(), fd_, identity_);
  if (err == 0) return read_appended();
  identity_ = {};
  return err == ENOENT ? 0 : err;
}

int JournalFile::follow(bool& moved) {
  struct stat named {};
  if (::stat(path_.c_str(), &named) != 0) {
    if (errno != ENOENT) return errno;
    moved = present();
    return 0;
  }
  const std::uint64_t read = parser_.consumed() + parser_.pending();
  moved = !present() || !same_journal(identity_, named) ||
          static_cast<std::uint64_t>(named.st_size) < read;
  if (moved || static_cast<std::uint64_t>(named.st_size) == read) return 0;
  return read_appended();
}

// Reads from where the parser stopped to the end of the file.
int JournalFile::read_appended() {
  char buffer[65536];
  auto sink = state_.sink();
  for (;;) {
    const auto offset = static_cast<off_t>(parser_.consumed() + parser_.pending());
    const ssize_t n = ::pread(fd_.get(), buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    parser_.feed(std::string_view(buffer, static_cast<std::size_t>(n)), sink);
  }
}

void remove_dead_journal_temps(const std::string& store_path) {
  const std::string journal = journal_path(store_path);
  const std::string dir = directory_of(journal);
  // The journal's own name (npos + 1 is 0: a bare name is all name).
  const std::string prefix = journal.substr(journal.rfind('/') + 1) + '.';
  const std::unique_ptr<DIR, int (*)(DIR*)> entries(::opendir(dir.c_str()), ::closedir);
  if (!entries) return;
  const std::time_t hour_ago = std::time(nullptr) - 3600;
  while (const dirent* entry = ::readdir(entries.get())) {
    const pid_t pid = temp_owner(entry->d_name, prefix);
    if (pid <= 0) continue;
    const std::string path = dir + '/' + entry->d_name;
    struct stat st {};
    const bool dead = ::kill(pid, 0) != 0 && errno == ESRCH;
    if (dead || (::lstat(path.c_str(), &st) == 0 && st.st_mtime < hour_ago)) ::unlink(path.c_str());
  }
}

JournalAppend append_journal_record(const std::string& store_path, std::string_view record,
                                    mode_t new_file_mode) {
  const std::string journal = journal_path(store_path);
  for (int attempt = 0; attempt < max_append_attempts; ++attempt) {
    UniqueFd fd(::open(journal.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd) {
      if (errno != ENOENT) throw_store_error("unable to open ", journal, errno);
      create_journal(store_path, new_file_mode);
      continue;
    }
    write_record(fd.get(), journal, record);
    JournalAppend appended;
    if (still_named(fd.get(), journal, appended.journal)) return appended;
  }
  throw StoreError("unable to append to " + journal + ": moved aside " +
                   std::to_string(max_append_attempts) + " times in a row");
}

}  // namespace ucspi
