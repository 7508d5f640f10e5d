#include "rules/roaming/relay_ctrl_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "rules/roaming/atomic_file.h"
#include "rules/base/error_str.h"
#include "rules/roaming/file_lock.h"
#include "rules/base/ip_address.h"
#include "rules/base/unique_fd.h"

namespace ucspi {
namespace {

using DirStream = std::unique_ptr<DIR, int (*)(DIR*)>;

// Cheap guard for lookups (the interface already promises canonical text): never let a key
// leave the directory or name a temp file.
bool is_safe_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string_view::npos;
}

bool is_entry_name(std::string_view name) {
  if (!is_safe_name(name)) return false;
  std::optional<std::string> canonical = canonical_ip_text(name);
  return canonical && *canonical == name;
}

class RelayCtrlLookup final : public RoamingLookup {
 public:
  RelayCtrlLookup(std::string dir, std::int64_t window) : dir_(std::move(dir)), window_(window) {}

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> done) override {
    done(answer(ip, now));
  }

 private:
  RelayVerdict answer(const std::string& ip, std::int64_t now) const {
    if (!is_safe_name(ip)) return {};
    const std::string path = dir_ + '/' + ip;
    struct stat st {};
    if (::stat(path.c_str(), &st) == -1) {
      if (errno != ENOENT) return unavailable("unable to read " + path, errno);
      // No file for this client, or no directory at all: only the first is a quiet "no".
      if (::stat(dir_.c_str(), &st) == -1) return unavailable("unable to read " + dir_, errno);
      if (!S_ISDIR(st.st_mode)) return unavailable("unable to read " + dir_, ENOTDIR);
      return {};
    }
    if (!S_ISREG(st.st_mode)) return {};
    if (within_window(st.st_mtime, now, window_)) return {RelayAnswer::relay, {}};
    return {};
  }

  static RelayVerdict unavailable(const std::string& what, int err) {
    return {RelayAnswer::unavailable, what + ": " + error_str(err)};
  }

  std::string dir_;
  std::int64_t window_;
};

class RelayCtrlAdmin final : public RoamingAdmin {
 public:
  RelayCtrlAdmin(std::string dir, RelayCtrlOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}

  void record(const std::string& ip, std::int64_t now) override {
    if (!is_entry_name(ip)) throw StoreError("not a canonical IP address: " + ip);
    const std::string path = dir_ + '/' + ip;
    if (is_recorded_recently(path, now)) return;
    UniqueFd lock = lock_dir(LockMode::shared);
    AtomicFile file(dir_ + '/' + temp_name(), path, options_.new_file_mode);
    file.write(options_.payload);
    const struct timespec times[2] = {{now, 0}, {now, 0}};
    if (::futimens(file.fd(), times) == -1) throw_store_error("unable to set the time of ", file.temp_path(), errno);
    // No fsync: an entry lost in a crash costs one more login, and logins must stay fast.
    file.commit(Durability::best_effort);
  }

  std::vector<RoamingEntry> list() override {
    std::vector<RoamingEntry> entries;
    for_each_entry([&](DIR*, const char* name, const struct stat& st) {
      entries.push_back(RoamingEntry{name, static_cast<std::int64_t>(st.st_mtime)});
    });
    return entries;
  }

  std::size_t expire(std::int64_t cutoff) override {
    UniqueFd lock = lock_dir(LockMode::exclusive);
    std::size_t expired = 0;
    for_each_entry([&](DIR* dir, const char* name, const struct stat& st) {
      if (st.st_mtime > cutoff) return;
      if (::unlinkat(::dirfd(dir), name, 0) == 0) {
        ++expired;
      } else if (errno != ENOENT) {
        throw_store_error("unable to remove ", dir_ + '/' + name, errno);
      }
    });
    return expired;
  }

 private:
  using EntryVisitor = std::function<void(DIR*, const char* name, const struct stat&)>;

  // Visits the regular files named by canonical IPs. A missing directory is an error, not an
  // empty store: relay-allow cannot record into it either, so it is a wrong path or a store
  // never set up, which relay-list and relay-clear must say rather than print nothing.
  void for_each_entry(const EntryVisitor& visit) const {
    DirStream dir(::opendir(dir_.c_str()), &::closedir);
    if (!dir) throw_store_error("unable to open directory ", dir_, errno);
    errno = 0;
    while (const struct dirent* entry = ::readdir(dir.get())) {
      struct stat st {};
      if (is_entry_name(entry->d_name) &&
          ::fstatat(::dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISREG(st.st_mode))
        visit(dir.get(), entry->d_name, st);
      errno = 0;
    }
    if (errno != 0) throw_store_error("unable to read directory ", dir_, errno);
  }

  bool is_recorded_recently(const std::string& path, std::int64_t now) const {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) == -1 || !S_ISREG(st.st_mode)) return false;
    if (!is_recent(st.st_mtime, now, options_.refresh_interval)) return false;
    // A different user logging in from the same address must still be written down.
    std::string content(options_.payload.size() + 1, '\0');
    ssize_t n = ::read(fd.get(), content.data(), content.size());
    return n >= 0 && std::string_view(content.data(), static_cast<std::size_t>(n)) == options_.payload;
  }

  UniqueFd lock_dir(LockMode mode) const {
    UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_store_error("unable to open directory ", dir_, errno);
    int err = lock_with_timeout(fd.get(), mode, options_.lock_wait);
    if (err != 0) throw_store_error("unable to lock ", dir_, err);
    return fd;
  }

  // relay-ctrl-allow's temp name: unique per process and microsecond, hidden from readers.
  static std::string temp_name() {
    struct timeval tv {};
    ::gettimeofday(&tv, nullptr);
    return '.' + std::to_string(tv.tv_sec) + '.' + std::to_string(tv.tv_usec) + ':' +
           std::to_string(::getpid());
  }

  std::string dir_;
  RelayCtrlOptions options_;
};

}  // namespace

std::string relay_ctrl_payload(const char* user, const char* domain) {
  std::string payload;
  auto add = [&](std::string_view name, const char* value) {
    if (value == nullptr) return;
    payload.append(name).append("=").append(value);
    payload += '\0';
  };
  add("USER", user);
  add("DOMAIN", domain);
  return payload;
}

std::unique_ptr<RoamingLookup> make_relay_ctrl_lookup(std::string dir, std::int64_t window) {
  return std::make_unique<RelayCtrlLookup>(std::move(dir), window);
}

std::unique_ptr<RoamingAdmin> make_relay_ctrl_admin(std::string dir, RelayCtrlOptions options) {
  return std::make_unique<RelayCtrlAdmin>(std::move(dir), std::move(options));
}

}  // namespace ucspi
