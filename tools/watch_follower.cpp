#include "tools/watch_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/base/read_regular_file.h"
#include "rules/roaming/atomic_file.h"

namespace ucspi {
namespace {

// Up to count bytes of fd at offset (fewer at the end of the file); nothing on a read error.
std::optional<std::string> read_at(int fd, std::uint64_t offset, std::size_t count) {
  std::string bytes(count, '\0');
  std::size_t got = 0;
  while (got < count) {
    const ssize_t n = ::pread(fd, bytes.data() + got, count - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

// The bytes before offset that FilePosition keeps.
std::string recent_before(int fd, std::uint64_t offset) {
  const std::uint64_t count = std::min<std::uint64_t>(offset, FilePosition::recent_bytes);
  return read_at(fd, offset - count, static_cast<std::size_t>(count)).value_or("");
}

std::optional<struct stat> stat_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return st;
}

bool same_file(const struct stat& st, const FilePosition& position) {
  return static_cast<std::uint64_t>(st.st_dev) == position.device &&
         static_cast<std::uint64_t>(st.st_ino) == position.inode;
}

// Whether st may be the file of a saved position: its device number may have changed since
// (a reboot can number the disks anew), so the inode, with holds(), tells.
bool same_inode(const struct stat& st, const FilePosition& position) {
  return static_cast<std::uint64_t>(st.st_ino) == position.inode;
}

// Whether fd still holds, up to position.offset, what it held when position was taken.
bool holds(int fd, const FilePosition& position) {
  const std::optional<struct stat> st = stat_of(fd);
  if (!st || static_cast<std::uint64_t>(st->st_size) < position.offset) return false;
  return recent_before(fd, position.offset) == position.recent;
}

// The offset where fd's last line starts (its size when it ends with a newline, or when the
// last line is already longer than a line may be).
std::uint64_t start_of_last_line(int fd) {
  const std::optional<struct stat> st = stat_of(fd);
  if (!st) return 0;
  const auto size = static_cast<std::uint64_t>(st->st_size);
  const std::uint64_t count = std::min<std::uint64_t>(size, LogFollower::max_line_bytes);
  const std::string tail = read_at(fd, size - count, static_cast<std::size_t>(count)).value_or("");
  const std::size_t newline = tail.rfind('\n');
  if (newline == std::string::npos) return count == size ? 0 : size;
  return size - count + newline + 1;
}

// A regular file opened for reading, or the reason it cannot be.
struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

LogFollower::LogFollower(std::string path, const std::optional<FilePosition>& resume, Notice notice)
    : path_(std::move(path)),
      notice_(std::move(notice)),
      buffer_(std::make_unique_for_overwrite<char[]>(max_line_bytes)) {
  if (resume) {
    resume_from(*resume);
    return;
  }
  std::string problem;
  UniqueFd fd = open_regular_file(path_, problem);
  if (!fd) return;  // it is read from its start when it appears
  const std::uint64_t offset = start_of_last_line(fd.get());
  start(std::move(fd), offset);
}

void LogFollower::resume_from(const FilePosition& saved) {
  std::string problem;
  UniqueFd fd = open_regular_file(path_, problem);
  const std::optional<struct stat> st = fd ? stat_of(fd.get()) : std::nullopt;
  if (st && same_inode(*st, saved) && holds(fd.get(), saved)) {
    start(std::move(fd), saved.offset);
    return;
  }
  const bool still_at_name = st && same_inode(*st, saved);  // then truncated in place
  if (const std::optional<std::string> old = still_at_name ? std::nullopt : rotated_file(saved)) {
    if (UniqueFd old_fd = open_regular_file(*old, problem)) {
      if (holds(old_fd.get(), saved)) {
        notice_("info: " + path_ + " was rotated while relay-watch was not running: finishing " +
                *old + " first, then reading " + path_ + " from its start (a file rotated in "
                "between, if it was rotated more than once, is not read)");
        start(std::move(old_fd), saved.offset);
      } else {
        // Truncated (copytruncate) and then rotated: everything it holds was written after
        // the last line read, so all of it is read, like a file truncated in place.
        notice_("warning: " + path_ + " was truncated and then rotated while relay-watch was "
                "not running: reading " + *old + " from its start, then " + path_ +
                " (logins written between the last line read and the truncation are not seen)");
        start(std::move(old_fd), 0);
        catching_up_ = true;
      }
      next_catches_up_ = true;
      return;
    }
  }
  if (st && same_file(*st, saved))
    notice_("warning: " + path_ + " was truncated while relay-watch was not running: reading it "
            "from its start (logins written between the last line read and the truncation are "
            "not seen)");
  else
    notice_("warning: the file " + path_ + " was at (inode " + std::to_string(saved.inode) +
            ") is no longer in " + directory_of(path_) + ": logins written to it after offset " +
            std::to_string(saved.offset) + " are not seen; reading " + path_ + " from its start");
  if (!fd) return;  // read from its start when it appears: new, not history
  start(std::move(fd), 0);
  catching_up_ = true;
}

std::optional<std::string> LogFollower::rotated_file(const FilePosition& saved) const {
  const std::string dir = directory_of(path_);
  const std::unique_ptr<DIR, DirCloser> listing(::opendir(dir.c_str()));
  if (!listing) return std::nullopt;
  while (const dirent* entry = ::readdir(listing.get())) {
    struct stat st {};
    if (::fstatat(::dirfd(listing.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode) && same_inode(st, saved)) return dir + "/" + entry->d_name;
  }
  return std::nullopt;
}

void LogFollower::start(UniqueFd fd, std::uint64_t offset) {
  const std::optional<struct stat> st = stat_of(fd.get());
  fd_ = std::move(fd);
  position_ = FilePosition{st ? static_cast<std::uint64_t>(st->st_dev) : 0,
                           st ? static_cast<std::uint64_t>(st->st_ino) : 0, offset,
                           recent_before(fd_.get(), offset)};
  seen_end_ = offset;
  catching_up_ = false;
  // Starting inside a line (one too long to wait for) means skipping to its end.
  skipping_long_line_ = !position_.recent.empty() && position_.recent.back() != '\n';
}

UniqueFd LogFollower::open_at_name() {
  std::string problem;
  UniqueFd fd = open_regular_file(path_, problem);
  if (!fd && problem != open_problem_)
    notice_("warning: unable to read " + path_ + ": " + problem + " (waiting for it)");
  open_problem_ = fd ? "" : problem;
  return fd;
}

bool LogFollower::truncated() const {
  const std::optional<struct stat> st = stat_of(fd_.get());
  if (!st) return false;
  if (static_cast<std::uint64_t>(st->st_size) < position_.offset) return true;
  return recent_before(fd_.get(), position_.offset) != position_.recent;
}

void LogFollower::consume(std::string_view bytes) {
  position_.offset += bytes.size();
  const std::size_t keep = FilePosition::recent_bytes;
  position_.recent.append(bytes.substr(bytes.size() > keep ? bytes.size() - keep : 0));
  if (position_.recent.size() > keep) position_.recent.erase(0, position_.recent.size() - keep);
}

bool LogFollower::read_lines(const LineHandler& on_line) {
  const std::uint64_t seen_before = seen_end_;
  std::string pending;  // read past the offset, not yet a whole line
  std::uint64_t read_offset = position_.offset;
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), buffer_.get(), max_line_bytes, static_cast<off_t>(read_offset));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) catching_up_ = false;  // what comes next is written while relay-watch looks
    if (n <= 0) break;  // the end, or a read error that the next poll tries again
    read_offset += static_cast<std::uint64_t>(n);
    pending.append(buffer_.get(), static_cast<std::size_t>(n));
    std::size_t from = 0;
    for (std::size_t newline; (newline = pending.find('\n', from)) != std::string::npos; from = newline + 1) {
      const std::string_view line(pending.data() + from, newline - from);
      consume(std::string_view(pending.data() + from, newline + 1 - from));
      if (skipping_long_line_) {
        skipping_long_line_ = false;
        continue;
      }
      on_line(line, position_);
    }
    pending.erase(0, from);
    if (pending.size() >= max_line_bytes) {
      if (!skipping_long_line_)
        notice_("warning: skipped a line of more than " + std::to_string(max_line_bytes) +
                " bytes in " + path_ + " at offset " + std::to_string(position_.offset));
      skipping_long_line_ = true;
      consume(pending);
      pending.clear();
    }
  }
  seen_end_ = std::max(seen_end_, read_offset);
  return seen_end_ > seen_before;
}

void LogFollower::follow_rotation(const LineHandler& on_line) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || same_file(st, position_)) return;
  UniqueFd fd = open_at_name();
  if (!fd) return;  // the next poll tries again; the old file is still open
  if (seen_end_ > position_.offset)
    notice_("warning: skipped the unfinished last line of " + path_ + "'s rotated file");
  notice_("info: " + path_ + " was rotated: reading the new file from its start");
  start(std::move(fd), 0);
  catching_up_ = std::exchange(next_catches_up_, false);
  read_lines(on_line);
}

void LogFollower::poll(const LineHandler& on_line) {
  if (!fd_) {
    UniqueFd fd = open_at_name();
    if (!fd) return;
    start(std::move(fd), 0);
  }
  if (truncated()) {
    notice_("warning: " + path_ + " was truncated: reading it again from its start");
    start(std::move(fd_), 0);
  }
  // The writer may still be writing to a rotated file: leave it only once it stops growing.
  if (!read_lines(on_line)) follow_rotation(on_line);
}

}  // namespace ucspi
