// A cdb that follows its path. Writers replace these files by rename (tcprules for the rules,
// relay-allow for the roaming store), so a reader checks with one stat per use and reopens
// and remaps only when the path names another file than the one it has mapped: a new file
// takes effect on the next connection, with no signal and no reread of an unchanged one.
// It maps a private copy (CdbMapping::private_copy) by default: its readers live long, and a
// file rewritten in place must not be able to take them down. A short-lived reader that asks
// one key of a large file may map it shared instead, rather than copy and check all of it.
// Reader is CdbReader or a reader built on it: open(path, mapping) -> 0 or errno, is_open(),
// identity() (the stat of the file it opened), and a closed default state.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <utility>

#include "rules/cdb/cdb_file.h"

namespace ucspi {

template <typename Reader>
class CdbFollower {
 public:
  explicit CdbFollower(std::string path, CdbMapping mapping = CdbMapping::private_copy)
      : path_(std::move(path)), mapping_(mapping) {}

  // 0 when reader() maps the file the path names now; else the errno of the stat or open
  // (ENOENT: no file; EPROTO: not a cdb of this kind), with the reader closed.
  int refresh() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      const int err = errno;
      forget();
      return err;
    }
    if (reader_.is_open() && same_file(reader_.identity(), st)) return 0;
    const int err = reader_.open(path_, mapping_);
    if (err != 0) forget();
    return err;
  }

  // Drops the mapping, so the next refresh opens the file again: for a file found corrupt,
  // which may have been caught while it was being replaced.
  void forget() { reader_ = Reader{}; }

  // Takes a reader of this path opened elsewhere (a thread: background_open.h).
  void adopt(Reader&& reader) { reader_ = std::move(reader); }

  Reader& reader() { return reader_; }
  const std::string& path() const { return path_; }
  CdbMapping mapping() const { return mapping_; }

 private:
  std::string path_;
  CdbMapping mapping_;
  Reader reader_;
};

}  // namespace ucspi
