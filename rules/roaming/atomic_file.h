// A file built under a temporary name next to its final name and renamed over it only when
// complete, so a reader (tcpserver mapping the store) sees the old file or the new one, never
// a partial one. Used by the roaming stores; errors are StoreError with djb wording.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "rules/base/unique_fd.h"

namespace ucspi {

// durable: fsync the file before the rename and the directory after it, so that a crash
// leaves the old store or the new one, not an empty file or a lost rename.
enum class Durability { durable, best_effort };

// The mode of a store file created new, unless the admin asks for another (relay-allow -m):
// readable by tcpserver whatever user -u makes it.
inline constexpr mode_t default_store_file_mode = 0644;

class AtomicFile {
 public:
  // Creates temp_path (after removing a crashed writer's leftover); throws StoreError.
  //
  // The writer is often not the reader (relay-allow runs as root or as Dovecot's user, with
  // Dovecot's umask 0077; tcpserver reads as its -u/-g user), so the new file's permissions
  // never come from the umask. When final_path names a file, the new one takes its mode and,
  // as far as this process may give a file away (only root may), its owner and group. When
  // the owner or group cannot be kept and the new file would shut out a reader of the old one
  // (its owner, unless root, or its group, where the mode let them read and does not let all
  // read), nothing is replaced: StoreError, because a store the server cannot read stops every
  // roaming user, not just this login. Otherwise a change of hands is silent: a warning on
  // every login would be noise. A file created new gets new_file_mode exactly.
  AtomicFile(std::string temp_path, std::string final_path, mode_t new_file_mode);
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
  void take_permissions(mode_t new_file_mode) const;

  std::string temp_path_;
  std::string final_path_;
  UniqueFd fd_;
  bool committed_ = false;
};

// Gives the file open as fd (named fd_path, for messages) the permissions AtomicFile gives its
// new file when it replaces model_path (see there): model_path's mode and owner, else
// new_file_mode. For files that sit beside the store and must be readable by its readers
// (the journal). Throws StoreError.
void give_permissions_of(int fd, const std::string& fd_path, const std::string& model_path,
                         mode_t new_file_mode);

// fsync of path's directory, after a name in it was created or removed. Throws StoreError.
void sync_directory_of(const std::string& path);

// The directory part of path ("." for a bare name), for fsync after a rename.
std::string directory_of(const std::string& path);

}  // namespace ucspi
