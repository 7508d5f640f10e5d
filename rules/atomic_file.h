// A file built under a temporary name next to its final name and renamed over it only when
// complete, so a reader (tcpserver mapping the store) sees the old file or the new one, never
// a partial one. Used by the roaming stores; errors are StoreError with djb wording.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "unique_fd.h"

namespace ucspi {

// durable: fsync the file before the rename and the directory after it, so that a crash
// leaves the old store or the new one, not an empty file or a lost rename.
enum class Durability { durable, best_effort };

class AtomicFile {
 public:
  // Creates temp_path (after removing a crashed writer's leftover); throws StoreError.
  AtomicFile(std::string temp_path, std::string final_path, mode_t mode);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  int fd() const { return fd_.get(); }
  const std::string& temp_path() const { return temp_path_; }
  void write(std::string_view data);
  // Closes, renames over the final name; throws StoreError.
  void commit(Durability durability);
  [[noreturn]] void fail_write(int err) const;

 private:
  std::string temp_path_;
  std::string final_path_;
  UniqueFd fd_;
  bool committed_ = false;
};

// The directory part of path ("." for a bare name), for fsync after a rename.
std::string directory_of(const std::string& path);

}  // namespace ucspi
