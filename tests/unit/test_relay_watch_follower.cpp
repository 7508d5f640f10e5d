// relay-watch's follower on real files: every complete line handed over once and in order
// through partial writes, rotation by rename (the writer still writing the old file for a
// while), truncation (also truncation followed by more writing than was read), restarts from a
// saved position (also after a rotation or truncation while stopped), and overlong lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/unit/roaming_test_support.h"
#include "tools/watch_follower.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

void append(const std::string& path, const std::string& text) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

void truncate_to_empty(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  REQUIRE(fd);
}

// A follower whose lines and notices are kept for the checks.
struct Watch {
  std::vector<std::string> lines;
  std::vector<std::string> notices;
  std::vector<FilePosition> after;
  std::vector<bool> catching_up;  // of each line
  LogFollower follower;

  Watch(const std::string& path, const std::optional<FilePosition>& resume = std::nullopt)
      : follower(path, resume, [this](const std::string& text) { notices.push_back(text); }) {}

  // The lines one poll hands over.
  std::vector<std::string> poll() {
    const std::size_t before = lines.size();
    follower.poll([this](std::string_view line, const FilePosition& position) {
      lines.emplace_back(line);
      after.push_back(position);
      catching_up.push_back(follower.catching_up());
    });
    return {lines.begin() + static_cast<std::ptrdiff_t>(before), lines.end()};
  }

  bool noticed(const std::string& part) const { return times_noticed(part) > 0; }

  std::size_t times_noticed(const std::string& part) const {
    std::size_t times = 0;
    for (const std::string& text : notices)
      if (text.find(part) != std::string::npos) ++times;
    return times;
  }
};

using Lines = std::vector<std::string>;
using Flags = std::vector<bool>;

// A run that reads line (written after it started) and stops: where it stopped.
FilePosition first_run(const std::string& log, const std::string& line) {
  Watch watch(log);
  append(log, line + "\n");
  CHECK(watch.poll() == Lines{line});
  return watch.follower.position();
}

// A run that read "1 aaaa", then the file truncated and written again past where it stopped
// ("2 bbbb", "3 cccc"): only the bytes before the saved offset tell it from the same file grown.
FilePosition first_run_then_truncated(const std::string& log) {
  const FilePosition saved = first_run(log, "1 aaaa");
  truncate_to_empty(log);
  append(log, "2 bbbb\n3 cccc\n");
  return saved;
}

}  // namespace

TEST_CASE("a file that appears later is read from its start", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  CHECK(watch.poll().empty());
  CHECK(watch.noticed("unable to read " + log + ": file does not exist (waiting for it)"));
  watch.notices.clear();
  CHECK(watch.poll().empty());
  CHECK(watch.notices.empty());  // a lasting problem is told once
  append(log, "one\ntwo\n");
  CHECK(watch.poll() == Lines{"one", "two"});
  CHECK(watch.follower.position().offset == 8);
}

TEST_CASE("a file already there is followed from its last line", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  append(log, "old 1\nold 2\npart");
  Watch watch(log);
  CHECK(watch.poll().empty());
  append(log, "ial\nnew\n");
  CHECK(watch.poll() == Lines{"partial", "new"});
}

TEST_CASE("a line is handed over when its newline is written", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, "abc");
  CHECK(watch.poll().empty());
  CHECK(watch.follower.position().offset == 0);
  append(log, "def\nxyz");
  CHECK(watch.poll() == Lines{"abcdef"});
  append(log, "\n\n");
  CHECK(watch.poll() == Lines{"xyz", ""});
  REQUIRE(watch.after.size() == 3);
  CHECK(watch.after[0].offset == 7);
  CHECK(watch.after[1].offset == 11);
  CHECK(watch.after[2].offset == 12);
  CHECK(watch.after[2].recent == "abcdef\nxyz\n\n");
}

TEST_CASE("a file rotated by rename is finished before the new one", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, "1\n");
  CHECK(watch.poll() == Lines{"1"});
  REQUIRE(std::rename(log.c_str(), (log + ".1").c_str()) == 0);
  append(log + ".1", "2\n");  // the writer has not reopened its log yet
  append(log, "3\n");
  CHECK(watch.poll() == Lines{"2"});  // the old file grew: it may grow again
  append(log + ".1", "4\n");
  CHECK(watch.poll() == Lines{"4"});
  CHECK(watch.poll() == Lines{"3"});  // quiet for a poll: on to the new file
  CHECK(watch.noticed(log + " was rotated: reading the new file from its start"));
  append(log, "5\n");
  append(log + ".1", "lost\n");  // written after the switch: a writer that never reopened
  CHECK(watch.poll() == Lines{"5"});
}

TEST_CASE("a rotated file's unfinished last line is skipped", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "current";
  Watch watch(log);
  append(log, "1\nunfinish");
  CHECK(watch.poll() == Lines{"1"});
  REQUIRE(std::rename(log.c_str(), (dir / "@400000006580e0a01c9c3b8c.s").c_str()) == 0);
  append(log, "2\n");
  CHECK(watch.poll() == Lines{"2"});
  CHECK(watch.noticed("skipped the unfinished last line of " + log + "'s rotated file"));
}

TEST_CASE("a truncated file is read again from its start", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, "first line\nsecond line\n");
  CHECK(watch.poll().size() == 2);
  truncate_to_empty(log);
  append(log, "a\n");
  CHECK(watch.poll() == Lines{"a"});
  CHECK(watch.noticed(log + " was truncated: reading it again from its start"));
}

TEST_CASE("a file truncated and written past the offset is read from its start",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, "1 aaaa\n2 bbbb\n");
  CHECK(watch.poll().size() == 2);
  truncate_to_empty(log);
  append(log, "3 cccc\n4 dddd\n5 eeee\n");  // longer than what was read
  CHECK(watch.poll() == Lines{"3 cccc", "4 dddd", "5 eeee"});
}

TEST_CASE("a restart goes on where the last run stopped", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run(log, "1");
  append(log, "2\n3\n");
  Watch again(log, saved);
  CHECK(again.poll() == Lines{"2", "3"});
  CHECK(again.notices.empty());
}

TEST_CASE("a restart finishes a file rotated while stopped, then reads the new one",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run(log, "1");
  append(log, "2\n");
  REQUIRE(std::rename(log.c_str(), (dir / "mail.log-20240105").c_str()) == 0);
  append(log, "3\n");
  Watch again(log, saved);
  CHECK(again.noticed("was rotated while relay-watch was not running: finishing " +
                      dir.path() + "/mail.log-20240105 first"));
  CHECK(again.noticed("if it was rotated more than once, is not read"));
  again.poll();
  again.poll();
  CHECK(again.lines == Lines{"2", "3"});
  // The old file is resumed where it stopped; the new one was written unseen, up to its end.
  CHECK(again.catching_up == Flags{false, true});
  append(log, "4\n");
  CHECK(again.poll() == Lines{"4"});
  CHECK(again.catching_up.back() == false);
}

TEST_CASE("a restart after the old file is gone reads the new one whole, and says so",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run(log, "1");
  REQUIRE(std::rename(log.c_str(), (dir / "mail.log.1").c_str()) == 0);
  append(log, "2\n");  // before the unlink, so that the new file cannot take the old inode
  REQUIRE(::unlink((dir / "mail.log.1").c_str()) == 0);  // compressed away, say
  Watch again(log, saved);
  CHECK(again.noticed("is no longer in " + dir.path() + ": logins written to it after offset 2"));
  CHECK(again.poll() == Lines{"2"});
}

TEST_CASE("a restart after a truncation while stopped reads the file from its start",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run_then_truncated(log);
  Watch again(log, saved);
  CHECK(again.noticed("was truncated while relay-watch was not running"));
  CHECK(again.poll() == Lines{"2 bbbb", "3 cccc"});
}

// What a run killed after recording a line but before saving its position leaves behind when
// copytruncate and then a rename rotation follow while it is down: the saved bytes are those
// before the truncation, the inode is now under the rotated name.
TEST_CASE("a restart after a truncation and then a rotation while stopped reads the old file whole",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run_then_truncated(log);
  REQUIRE(std::rename(log.c_str(), (dir / "mail.log.3").c_str()) == 0);
  append(log, "4 dddd\n");
  Watch again(log, saved);
  CHECK(again.noticed("was truncated and then rotated while relay-watch was not running: "
                      "reading " + dir.path() + "/mail.log.3 from its start"));
  again.poll();
  again.poll();
  CHECK(again.lines == Lines{"2 bbbb", "3 cccc", "4 dddd"});
  CHECK(again.catching_up == Flags{true, true, true});
}

TEST_CASE("an overlong line is skipped whole, also across a restart", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, std::string(LogFollower::max_line_bytes + 10, 'x'));
  CHECK(watch.poll().empty());
  CHECK(watch.noticed("skipped a line of more than 65536 bytes"));
  const FilePosition inside = watch.follower.position();
  append(log, "tail of the long line\nok\n");
  Watch restarted(log, inside);  // the saved offset is inside the long line
  CHECK(watch.poll() == Lines{"ok"});
  CHECK(restarted.poll() == Lines{"ok"});
}

TEST_CASE("a new file that cannot be read is told once, the old one left only for a readable one",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);
  append(log, "1\nunfinished");
  CHECK(watch.poll() == Lines{"1"});
  REQUIRE(std::rename(log.c_str(), (dir / "mail.log.1").c_str()) == 0);
  REQUIRE(::mkdir(log.c_str(), 0755) == 0);  // a slip of the admin's, say
  for (int i = 0; i < 3; ++i) CHECK(watch.poll().empty());
  CHECK(watch.times_noticed("unable to read " + log + ": is a directory") == 1);
  CHECK_FALSE(watch.noticed("unfinished"));
  REQUIRE(::rmdir(log.c_str()) == 0);
  append(log, "2\n");
  CHECK(watch.poll() == Lines{"2"});
  CHECK(watch.poll().empty());
  CHECK(watch.times_noticed("skipped the unfinished last line") == 1);
}

TEST_CASE("a restart that finds its file under another device number goes on where it stopped",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  FilePosition saved = first_run(log, "1");
  saved.device += 1;  // a reboot that numbered the disks anew
  append(log, "2\n");
  Watch again(log, saved);
  CHECK(again.poll() == Lines{"2"});
  CHECK(again.notices.empty());
  CHECK(again.catching_up == Flags{false});
}

TEST_CASE("lines of a file read from its start after a restart are caught up on, up to its end",
          "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  const FilePosition saved = first_run_then_truncated(log);
  Watch again(log, saved);
  CHECK(again.poll() == Lines{"2 bbbb", "3 cccc"});
  CHECK(again.catching_up == Flags{true, true});
  CHECK_FALSE(again.follower.catching_up());
  append(log, "4\n");  // written while it looks
  CHECK(again.poll() == Lines{"4"});
  CHECK(again.catching_up == Flags{true, true, false});
}

TEST_CASE("following a file seen being written catches up on nothing", "[relay-watch][follower]") {
  const TempDir dir;
  const std::string log = dir / "mail.log";
  Watch watch(log);  // not there yet: new when it appears
  append(log, "1\n");
  CHECK(watch.poll() == Lines{"1"});
  truncate_to_empty(log);
  append(log, "2\n");
  CHECK(watch.poll() == Lines{"2"});
  CHECK(watch.catching_up == Flags{false, false});
}
