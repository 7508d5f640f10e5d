// The roaming journal's files beside the base cdb PATH (record format in roaming_journal.h):
//   PATH.journal      appended to by every writer, without the lock
//   PATH.journal.old  the journal a fold has moved aside and is merging into the base; it
//                     outlives the fold only when the fold died (the next fold finishes it)
// A record moves only forward (journal, then old, then base), so a reader that opens them in
// that order sees every record at least once, whatever fold runs meanwhile.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/base/unique_fd.h"
#include "rules/roaming/roaming_journal.h"

namespace ucspi {

std::string journal_path(const std::string& store_path);

// Whether a and b are the same journal file: device and inode only. same_file (cdb_file.h)
// also compares size and times, which every append changes; a journal is only ever replaced
// by a fold's rename, which changes the inode the path names.
inline bool same_journal(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string old_journal_path(const std::string& store_path);

// One journal file as a reader follows it: the descriptor kept open, the records applied so
// far, and on each follow() only the bytes appended since, so that a long-lived reader pays
// per lookup one stat and the new records, not the whole journal.
class JournalFile {
 public:
  explicit JournalFile(std::string path) : path_(std::move(path)) {}

  // Reads only what concerns ip (JournalParser::only_about), now and after every reload.
  void only_about(std::string ip) { only_ip_ = std::move(ip); }

  // Reads what was appended to the open file since the last call. moved is set when the
  // path now names another file, or none, or one shorter than what was read: the caller
  // reloads everything, in the readers' order. 0 or errno.
  int follow(bool& moved);
  // Forgets everything and reads the file the path names now from its start. A missing file
  // is an empty journal (present() false). 0 or errno (EPROTO: not a regular file).
  int reload();

  // Reads the open file to its end, whatever the path names now: a journal a fold moved
  // aside holds records the new base has, which a reader still using the old base needs.
  int read_to_end() { return present() ? read_appended() : 0; }

  bool present() const { return fd_.valid(); }
  const JournalState& state() const { return state_; }
  // Lines that are no record (a power cut's torn tail): skipped, counted for a warning.
  std::uint64_t damaged_lines() const { return parser_.damaged_lines(); }
  const std::string& path() const { return path_; }

 private:
  int read_appended();

  std::string path_;
  std::string only_ip_;
  UniqueFd fd_;
  struct stat identity_ {};
  JournalParser parser_;
  JournalState state_;
};

// Where a record went: the journal's identity and size just after it was written.
struct JournalAppend {
  struct stat journal;
};

// Appends record (an encode_* result) to PATH.journal with one write and fdatasync, without
// the writers' lock: O_APPEND keeps concurrent records whole. A fold that moved the journal
// aside after our open may have read it before our write, so the record goes again into the
// new journal until it lands in the file PATH.journal still names (a duplicate is harmless).
// A missing journal is created with the base's mode and owner, else new_file_mode, never
// the umask's (give_permissions_of). Throws StoreError.
JournalAppend append_journal_record(const std::string& store_path, std::string_view record,
                                    mode_t new_file_mode);

// Removes what writers killed while creating the journal left: PATH.journal.PID.tmp of a
// process that no longer exists, or older than an hour (a PID another process has since
// taken; a writer holds its name for microseconds). For the fold, under the writers' lock.
// A failure to remove one is left for the next fold: nothing reads these files.
void remove_dead_journal_temps(const std::string& store_path);

}  // namespace ucspi
