// Follows a log file by name, as tail -F does, and hands over each complete line once.
//
// Polling, not inotify: relay-watch calls poll() once a second, as tail -F does without
// inotify. A second is far below any relay window, polling sees a rename, a truncation and a
// file that is not there yet with one code path, and it works where inotify does not (NFS,
// some container overlays) without a watch to re-arm on every rotation.
//
// Rotation by rename (logrotate's default, multilog's `current` -> `@....s`): when the name
// points to a new file, the old one is read to its end first and left only after a poll in
// which it did not grow, since the writer keeps writing to it until it reopens its log
// (doveadm log reopen, syslog's HUP). A last line without its newline there is skipped: the
// writer never finishes it. Truncation (copytruncate): the file is shorter than the offset,
// or the bytes before the offset changed (it was truncated and written past the offset since
// the last look); it is read again from its start. A line is not handed over until its
// newline is there. A line longer than max_line_bytes is skipped with a warning: no login
// line is that long, and the follower's memory stays bounded.
//
// Resuming from a saved position (watch_state.h): the same file, if the name still holds it
// unchanged; else the rotated file of that inode in the same directory, read to its end
// before the new one (from its start, with a warning, if it was truncated before the rotation);
// else (the old file is gone, or was truncated) the file at the name from its start, with a
// warning saying what may have been missed. The same file is the same inode
// holding the same bytes before the offset, whatever its device number: that can change at a
// reboot, and reading the file again from its start on each restart would be worse. Without a
// saved position, a file already there is followed from its end (its old lines are history,
// not new logins); a file that appears later is new and read from its start.
//
// A new file found at the name, or a missing one, is told once per problem (a directory, a
// FIFO, no permission), not at every poll.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rules/base/unique_fd.h"
#include "tools/watch_state.h"

namespace ucspi {

class LogFollower {
 public:
  static constexpr std::size_t max_line_bytes = 64 * 1024;

  // A complete line without its newline, and the position just after it.
  using LineHandler = std::function<void(std::string_view line, const FilePosition& after)>;
  // "warning: ..." or "info: ..." about the file itself, for relay-watch's log.
  using Notice = std::function<void(const std::string& text)>;

  LogFollower(std::string path, const std::optional<FilePosition>& resume, Notice notice);

  // Hands over every line completed since the last call, then takes a rotation or truncation
  // into account. A missing or unreadable file is waited for (one notice per new problem).
  void poll(const LineHandler& on_line);

  // Where reading stands: what the state file keeps. All zero before a file was opened.
  const FilePosition& position() const { return position_; }

  // Whether the lines handed over come from a file read from its start that was written while
  // relay-watch was not running (after a truncation or rotation then), up to its end: a line
  // without a timestamp there may be any age (relay-watch.cpp skips its login).
  bool catching_up() const { return catching_up_; }

 private:
  void resume_from(const FilePosition& saved);
  UniqueFd open_at_name();
  void start(UniqueFd fd, std::uint64_t offset);
  bool truncated() const;
  bool read_lines(const LineHandler& on_line);
  void consume(std::string_view bytes);
  void follow_rotation(const LineHandler& on_line);
  std::optional<std::string> rotated_file(const FilePosition& saved) const;

  std::string path_;
  Notice notice_;
  UniqueFd fd_;
  FilePosition position_;
  std::uint64_t seen_end_ = 0;  // how far the file has been read, an unfinished line included
  bool skipping_long_line_ = false;
  bool catching_up_ = false;
  bool next_catches_up_ = false;  // the file after a rotated one finished at a restart
  std::string open_problem_;      // the last one told, so that a lasting one is told once
  std::unique_ptr<char[]> buffer_;  // read_lines', once: a poll a second need not zero 64 KB
};

}  // namespace ucspi
