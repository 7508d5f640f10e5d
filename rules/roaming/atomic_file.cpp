#include "rules/roaming/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/roaming/roaming_store.h"
#include "rules/base/write_all.h"

namespace ucspi {
namespace {

UniqueFd open_directory_of(const std::string& path) {
  const std::string dir = directory_of(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_store_error("unable to open directory ", dir, errno);
  return fd;
}

// The file the new one will replace, or nullopt when path names no regular file yet.
std::optional<struct stat> replaced_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == -1) {
    if (errno == ENOENT) return std::nullopt;
    throw_store_error("unable to stat ", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;  // the rename will say what is wrong
  return st;
}

struct OwnerKept {
  bool user;
  bool group;
};

// Gives fd the owner and group of old, or as much of them as this process may: only root gives
// a file away, and others may choose only among their own groups.
OwnerKept give_owner(int fd, const struct stat& old, const std::string& temp_path) {
  struct stat mine {};
  if (::fstat(fd, &mine) == -1) throw_store_error("unable to stat ", temp_path, errno);
  OwnerKept kept{mine.st_uid == old.st_uid, mine.st_gid == old.st_gid};
  if (kept.user && kept.group) return kept;  // the usual case: the same user rewrites its store
  if (::fchown(fd, old.st_uid, old.st_gid) == 0) return {true, true};
  // EINVAL: an owner this user namespace cannot name, as good as forbidden.
  if (errno != EPERM && errno != EINVAL) throw_store_error("unable to change the owner of ", temp_path, errno);
  if (!kept.group && ::fchown(fd, static_cast<uid_t>(-1), old.st_gid) == 0) kept.group = true;
  return kept;
}

// Whether those who could read the old file may still read one of this mode and ownership.
// Root reads anything, so a file of root's loses nobody by changing hands (relay-ctrl-allow
// left its files 0600 root). A kept group with read permission serves the old owner too:
// tcpserver reads with -u and -g.
bool readers_keep_access(const struct stat& old, OwnerKept kept, mode_t mode) {
  if (mode & S_IROTH) return true;
  const bool owner_reads = kept.user || old.st_uid == 0 || !(mode & S_IRUSR) ||
                           (kept.group && (mode & S_IRGRP));
  const bool group_reads = kept.group || !(mode & S_IRGRP);
  return owner_reads && group_reads;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
  return text;
}

}  // namespace

// fchmod, unlike open's mode, is not cut down by the umask. Owner first: a chown may clear
// mode bits.
void give_permissions_of(int fd, const std::string& fd_path, const std::string& model_path,
                         mode_t new_file_mode) {
  std::optional<struct stat> old = replaced_file(model_path);
  const mode_t mode = old ? old->st_mode & 0777 : new_file_mode;
  if (old) {
    const OwnerKept kept = give_owner(fd, *old, fd_path);
    if (!readers_keep_access(*old, kept, mode))
      throw StoreError("unable to keep owner " + std::to_string(old->st_uid) + ':' +
                       std::to_string(old->st_gid) + " of " + model_path + " (mode " +
                       octal_mode(mode) + ", not readable by all): " + error_str(EPERM));
  }
  if (::fchmod(fd, mode) == -1) throw_store_error("unable to set the mode of ", fd_path, errno);
}

void sync_directory_of(const std::string& path) {
  UniqueFd directory = open_directory_of(path);
  if (::fsync(directory.get()) == -1)
    throw_store_error("unable to sync directory ", directory_of(path), errno);
}

AtomicFile::AtomicFile(std::string temp_path, std::string final_path, mode_t new_file_mode)
    : temp_path_(std::move(temp_path)), final_path_(std::move(final_path)) {
  // O_EXCL|O_NOFOLLOW: in a shared directory a planted symlink must not redirect our write.
  ::unlink(temp_path_.c_str());
  fd_.reset(::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd_) throw_store_error("unable to create ", temp_path_, errno);
  try {
    take_permissions(new_file_mode);
  } catch (...) {
    ::unlink(temp_path_.c_str());  // the destructor does not run for a constructor that throws
    throw;
  }
}

void AtomicFile::take_permissions(mode_t new_file_mode) const {
  give_permissions_of(fd_.get(), temp_path_, final_path_, new_file_mode);
}

AtomicFile::~AtomicFile() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail_write(int err) const { throw_store_error("unable to write to ", temp_path_, err); }

void AtomicFile::write(std::string_view data) {
  if (int err = write_all(fd_.get(), data); err != 0) fail_write(err);
}

void AtomicFile::commit(Durability durability) {
  const bool durable = durability == Durability::durable;
  if (durable && ::fsync(fd_.get()) == -1) fail_write(errno);
  if (::close(fd_.release()) == -1) fail_write(errno);  // NFS reports write errors here
  // Opened before the rename: a directory we may not open fails the write with the old file
  // in place, rather than replacing it and then reporting a failure.
  UniqueFd directory = durable ? open_directory_of(final_path_) : UniqueFd();
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw StoreError("unable to move " + temp_path_ + " to " + final_path_ + ": " +
                     error_str(errno));
  committed_ = true;
  if (durable && ::fsync(directory.get()) == -1)
    throw_store_error("unable to sync directory ", directory_of(final_path_), errno);
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace ucspi
