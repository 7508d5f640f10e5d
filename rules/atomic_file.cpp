#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "error_str.h"
#include "roaming_store.h"

namespace ucspi {
namespace {

[[noreturn]] void fail(std::string_view what, const std::string& path, int err) {
  throw StoreError(std::string(what) + path + ": " + error_str(err));
}

void sync_directory(const std::string& path) {
  const std::string dir = directory_of(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) fail("unable to open directory ", dir, errno);
  if (::fsync(fd.get()) == -1) fail("unable to sync directory ", dir, errno);
}

}  // namespace

AtomicFile::AtomicFile(std::string temp_path, std::string final_path, mode_t mode)
    : temp_path_(std::move(temp_path)), final_path_(std::move(final_path)) {
  // O_EXCL|O_NOFOLLOW: in a shared directory a planted symlink must not redirect our write.
  ::unlink(temp_path_.c_str());
  fd_.reset(::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd_) fail("unable to create ", temp_path_, errno);
}

AtomicFile::~AtomicFile() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail_write(int err) const { fail("unable to write to ", temp_path_, err); }

void AtomicFile::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_write(n < 0 ? errno : EIO);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void AtomicFile::commit(Durability durability) {
  const bool durable = durability == Durability::durable;
  if (durable && ::fsync(fd_.get()) == -1) fail_write(errno);
  if (::close(fd_.release()) == -1) fail_write(errno);  // NFS reports write errors here
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw StoreError("unable to move " + temp_path_ + " to " + final_path_ + ": " +
                     error_str(errno));
  committed_ = true;
  if (durable) sync_directory(final_path_);
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace ucspi
