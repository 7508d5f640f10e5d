#include "rules/roaming/roaming_cdb_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/cdb/cdb_follower.h"
#include "rules/roaming/file_lock.h"
#include "rules/base/ip_address.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/base/unique_fd.h"

namespace ucspi {
namespace {

class CdbLookup final : public RoamingLookup {
 public:
  CdbLookup(std::string path, std::int64_t window) : cdb_(std::move(path)), window_(window) {}

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> done) override {
    done(answer(ip, now));
  }

 private:
  RelayVerdict answer(const std::string& ip, std::int64_t now) {
    if (ip.empty()) return {};  // the marker's key, never an address
    if (std::string problem = refresh(); !problem.empty())
      return {RelayAnswer::unavailable, std::move(problem)};
    std::int64_t last_login = 0;
    int r = cdb_.reader().find(ip, last_login);
    if (r < 0) return {RelayAnswer::unavailable, cdb_.path() + ": corrupt record for " + ip};
    if (r == 1 && within_window(last_login, now, window_)) return {RelayAnswer::relay, {}};
    return {};
  }

  // A store that does not exist yet is a problem too: until a login creates it, nobody relays,
  // and a path mistyped in a run file must not look like a quiet store.
  std::string refresh() {
    const int err = cdb_.refresh();
    if (err == 0) return {};
    if (err == EPROTO) return cdb_.path() + " is not a roaming cdb";
    if (err == EBADMSG) return cdb_.path() + ": corrupt roaming cdb";
    return "unable to read " + cdb_.path() + ": " + error_str(err);
  }

  CdbFollower<RoamingCdb> cdb_;
  std::int64_t window_;
};

class CdbAdmin final : public RoamingAdmin {
 public:
  CdbAdmin(std::string path, CdbWriterOptions options)
      : path_(std::move(path)), options_(options) {}

  void record(const std::string& ip, std::int64_t now) override {
    std::optional<std::string> canonical = canonical_ip_text(ip);
    if (!canonical || *canonical != ip) throw StoreError("not a canonical IP address: " + ip);
    if (now < 0) throw StoreError("time before 1970");
    {
      // Most logins are polls from an IP recorded a minute ago: answer those without the lock.
      RoamingCdb unlocked = open_current();
      if (is_recorded_recently(unlocked, ip, now)) return;
    }
    UniqueFd lock = take_lock();
    RoamingCdb current = open_current();
    if (is_recorded_recently(current, ip, now)) return;
    // Usually the file is as this store wrote it: its records go out straight from the map.
    if (current.is_open() &&
        replace_roaming_entry(path_, current.identity(), ip, now, options_.new_file_mode))
      return;
    write_roaming_cdb(path_, [&](const AddEntry& add) {
      copy_entries(current, [&](std::string_view other, std::int64_t) { return other != ip; }, add);
      add(ip, now);
    }, size_of(current) + ip.size() + 64, options_.new_file_mode);
  }

  std::vector<RoamingEntry> list() override {
    std::vector<RoamingEntry> entries;
    RoamingCdb current = open_current(CdbMapping::private_copy);
    visit_entries(current, [&](std::string_view ip, std::int64_t last_login) {
      entries.push_back(RoamingEntry{std::string(ip), last_login});
      return true;
    });
    return entries;
  }

  std::size_t expire(std::int64_t cutoff) override {
    UniqueFd lock = take_lock();
    RoamingCdb current = open_current();
    std::size_t expired = 0;
    visit_entries(current, [&](std::string_view, std::int64_t last_login) {
      if (last_login <= cutoff) ++expired;
      return true;
    });
    if (expired == 0) return 0;  // nothing to drop: leave the file (and readers' maps) alone
    write_roaming_cdb(path_, [&](const AddEntry& add) {
      copy_entries(current, [&](std::string_view, std::int64_t t) { return t > cutoff; }, add);
    }, size_of(current), options_.new_file_mode);
    return expired;
  }

 private:
  using Keep = std::function<bool(std::string_view ip, std::int64_t last_login)>;

  // The current file, or a closed RoamingCdb when there is none yet.
  RoamingCdb open_current(CdbMapping mapping = CdbMapping::shared) const {
    RoamingCdb cdb;
    int err = cdb.open(path_, mapping);
    if (err == 0 || err == ENOENT) return cdb;
    if (err == EPROTO) throw StoreError(path_ + " is not a roaming cdb (no marker record)");
    if (err == EBADMSG) throw corrupt();
    throw_store_error("unable to read ", path_, err);
  }

  // The new file is about as large as the current one: a hint to allocate it once.
  static std::size_t size_of(const RoamingCdb& cdb) {
    return cdb.is_open() ? static_cast<std::size_t>(cdb.identity().st_size) : 0;
  }

  bool is_recorded_recently(RoamingCdb& cdb, const std::string& ip, std::int64_t now) const {
    std::int64_t last_login = 0;
    if (!cdb.is_open()) return false;
    int r = cdb.find(ip, last_login);
    if (r < 0) throw corrupt();
    return r == 1 && is_recent(last_login, now, options_.refresh_interval);
  }

  void visit_entries(RoamingCdb& cdb, const RoamingCdb::Visitor& visit) const {
    if (cdb.is_open() && cdb.for_each(visit) != 0) throw corrupt();
  }

  void copy_entries(RoamingCdb& cdb, const Keep& keep, const AddEntry& add) const {
    visit_entries(cdb, [&](std::string_view ip, std::int64_t last_login) {
      if (keep(ip, last_login)) add(ip, last_login);
      return true;
    });
  }

  UniqueFd take_lock() const {
    const std::string lock_path = path_ + ".lock";
    // 0644, not new_file_mode: opening it takes no right to the store, and every writer needs it.
    UniqueFd fd = open_lock_file(lock_path, 0644);
    if (!fd) throw_store_error("unable to open ", lock_path, errno);
    int err = lock_with_timeout(fd.get(), LockMode::exclusive, options_.lock_wait);
    if (err != 0) throw_store_error("unable to lock ", lock_path, err);
    return fd;
  }

  StoreError corrupt() const { return StoreError(path_ + ": corrupt roaming cdb"); }

  std::string path_;
  CdbWriterOptions options_;
};

}  // namespace

std::unique_ptr<RoamingLookup> make_cdb_lookup(std::string path, std::int64_t window) {
  return std::make_unique<CdbLookup>(std::move(path), window);
}

std::unique_ptr<RoamingAdmin> make_cdb_admin(std::string path, CdbWriterOptions options) {
  return std::make_unique<CdbAdmin>(std::move(path), options);
}

}  // namespace ucspi
