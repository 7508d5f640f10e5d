// RAII over tinycdb: a read-only mapped cdb, and a cdb being written to an fd.
#pragma once

#include <cdb.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>

#include "rules/base/unique_fd.h"

namespace ucspi {

// How a reader maps its file. shared: the file itself, as tinycdb does (relay-allow and
// relay-clear, whose one read per run must not cost a copy of a large store). private_copy: a
// sealed copy in memory (memfd), for the long-lived tcpserver parent and for the readers that
// print (relay-list, tcprulescheck): a writer that rewrites or truncates the file in place
// (`cat new > rules.cdb`) then cannot fault them with SIGBUS; a copy torn by such a writer
// fails that one lookup (EPROTO), never the process.
enum class CdbMapping { shared, private_copy };

class CdbReader {
 public:
  CdbReader() = default;
  CdbReader(const CdbReader&) = delete;
  CdbReader& operator=(const CdbReader&) = delete;
  CdbReader(CdbReader&& other) noexcept;
  CdbReader& operator=(CdbReader&& other) noexcept;
  ~CdbReader();

  // Opens and maps path. Returns 0, or an errno value (EPROTO for a file that is no cdb or
  // was cut while copied, EISDIR for a directory).
  int open(const char* path, CdbMapping mapping = CdbMapping::shared);
  int open(const std::string& path, CdbMapping mapping = CdbMapping::shared) {
    return open(path.c_str(), mapping);
  }
  bool is_open() const { return mapped_; }

  // 1 found (data set), 0 not found, -1 corrupt file (errno is EPROTO).
  int find(std::string_view key, std::string_view& data);

  // Visits every record in file order until visit returns false: stores that rewrite a cdb
  // copy it record by record. 0 done, -1 corrupt file (errno is EPROTO).
  using Visitor = std::function<bool(std::string_view key, std::string_view data)>;
  int for_each(const Visitor& visit);

  // The whole mapped file (empty when closed), for checks of its structure (cdb_structure.h).
  std::string_view bytes() const;

  // What the file was when opened: callers reopen only when the path now names another file.
  const struct stat& identity() const { return stat_; }

 private:
  void close();

  UniqueFd fd_;
  struct cdb cdb_ {};
  struct stat stat_ {};
  bool mapped_ = false;
};

class CdbWriter {
 public:
  explicit CdbWriter(int fd);  // does not own fd; check start_error()
  CdbWriter(const CdbWriter&) = delete;
  CdbWriter& operator=(const CdbWriter&) = delete;
  ~CdbWriter();

  int start_error() const { return start_error_; }
  // cdb_make_add: duplicates are kept, so the first one added wins at lookup (djb's tcprules).
  bool add(std::string_view key, std::string_view data);
  bool finish();

 private:
  struct cdb_make make_ {};
  int start_error_ = 0;
};

// Same file (device and inode, size and mtime)? Used to skip remapping an unchanged cdb.
bool same_file(const struct stat& a, const struct stat& b);

}  // namespace ucspi
