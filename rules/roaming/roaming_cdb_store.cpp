#include "rules/roaming/roaming_cdb_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/base/ip_address.h"
#include "rules/roaming/roaming_cdb_fold.h"
#include "rules/roaming/roaming_journal.h"
#include "rules/roaming/roaming_journal_file.h"
#include "rules/roaming/roaming_view.h"

namespace ucspi {
namespace {

// A base from this size up is opened off tcpserver's loop: its copy and whole-file check cost
// about 4 ms a megabyte, 170 ms at 10^6 entries; below it the thread would cost more than it
// saves.
constexpr std::size_t background_open_bytes = 1 << 20;

class CdbLookup final : public RoamingLookup {
 public:
  CdbLookup(std::string path, std::int64_t window)
      : path_(std::move(path)), view_(path_, CdbMapping::private_copy, true), window_(window) {
    view_.open_large_bases_in_background(background_open_bytes);
  }

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> done) override {
    done(answer(ip, now));
  }

 private:
  RelayVerdict answer(const std::string& ip, std::int64_t now) {
    if (ip.empty()) return {};  // the marker's key, never an address
    if (std::optional<ViewError> error = view_.refresh())
      return {RelayAnswer::unavailable, problem(*error)};
    std::int64_t last_login = 0;
    int r = view_.find(ip, last_login);
    if (r < 0) return {RelayAnswer::unavailable, path_ + ": corrupt record for " + ip};
    if (r == 1 && within_window(last_login, now, window_)) return {RelayAnswer::relay, {}};
    return {};
  }

  // A store that does not exist yet is a problem too: until a login creates it, nobody relays,
  // and a path mistyped in a run file must not look like a quiet store.
  std::string problem(const ViewError& error) const { return view_problem(error, path_); }

  std::string path_;
  RoamingView view_;
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
    // Most logins are polls from an IP recorded a minute ago: they write nothing.
    if (is_recorded_recently(ip, now)) return;
    const JournalAppend appended =
        append_journal_record(path_, encode_login(ip, now), options_.new_file_mode);
    // The first login makes the base, which readers require: until then nobody relays.
    if (!has_base_) return fold_now();
    if (static_cast<std::uint64_t>(appended.journal.st_size) >= options_.fold_threshold)
      start_fold_once(appended.journal);
  }

  std::vector<RoamingEntry> list() override {
    // A private copy, checked whole: a store damaged anywhere is refused, not half listed.
    RoamingView view(path_, CdbMapping::private_copy, false);
    refresh(view);
    std::vector<RoamingEntry> entries;
    visit_entries(view, [&](std::string_view ip, std::int64_t last_login) {
      entries.push_back(RoamingEntry{std::string(ip), last_login});
    });
    return entries;
  }

  // relay-clear. One expire record appended to the journal: readers drop the entries at once
  // and the next fold (relay-allow's, in the background) leaves them out of the base. So its
  // cost is what it expires, not the store's size: the count reads the base only up to its
  // first later entry (folds keep it in order of time), and nothing is rewritten. The record
  // goes in even when the count finds nothing (unless an expire at least as late is there):
  // a base another tool wrote in another order holds expired entries the count does not
  // reach, until the first fold sorts it. A user that may not write the journal (relay-clear
  // from another user's cron needed only the directory when it rewrote the base by rename,
  // doc/permissions.md) still can: it folds with the cutoff instead, rewriting the base as it
  // always did. A journal past the fold threshold is folded too: relay-allow's background
  // folds are then failing, and relay-clear from cron is the fold of last resort.
  std::size_t expire(std::int64_t cutoff) override {
    RoamingView view(path_, CdbMapping::shared, false);  // read once: no copy of the base
    refresh(view);
    const std::size_t expired = view.count_expiring(cutoff);
    const std::optional<std::int64_t> done = view.max_cutoff();
    const bool appended = (done && *done >= cutoff) || append_expire(cutoff);
    if (appended && journal_outgrown()) fold_now();
    return expired;
  }

 private:
  void refresh(RoamingView& view) const {
    if (std::optional<ViewError> error = view.refresh())
      throw StoreError(view_problem(*error, path_), error->err);
  }

  // On a view of its own that reads only ip's records: a journal near the fold threshold
  // would otherwise cost every login milliseconds of checksums for other IPs.
  bool is_recorded_recently(const std::string& ip, std::int64_t now) {
    RoamingView view(path_, CdbMapping::shared, false);
    view.only_about(ip);
    refresh(view);
    has_base_ = view.has_base();
    std::int64_t last_login = 0;
    int r = view.find(ip, last_login);
    if (r < 0) throw corrupt();
    return r == 1 && is_recent(last_login, now, options_.refresh_interval);
  }

  void visit_entries(RoamingView& view, const AddEntry& visit) const {
    if (view.for_each(visit) != 0) throw corrupt();
  }

  void fold_now() const { warn_damaged_lines(path_, fold_cdb_journal(path_, options_)); }

  // True when appended; false when this user may not write the journal and folded with the
  // cutoff instead.
  bool append_expire(std::int64_t cutoff) const {
    try {
      append_journal_record(path_, encode_expire(cutoff), options_.new_file_mode);
      return true;
    } catch (const StoreError& e) {
      if (e.error_number() != EACCES && e.error_number() != EPERM) throw;
    }
    warn_damaged_lines(path_, fold_cdb_journal_expiring(path_, options_, cutoff));
    return false;
  }

  bool journal_outgrown() const {
    struct stat st {};
    return ::stat(journal_path(path_).c_str(), &st) == 0 &&
           static_cast<std::uint64_t>(st.st_size) >= options_.fold_threshold;
  }

  // One background fold per journal: the logins after the one that started it find the same
  // journal still over the threshold until the fold moves it aside, and must not each fork.
  void start_fold_once(const struct stat& journal) {
    if (fold_started_ && same_journal(*fold_started_, journal)) return;
    fold_started_ = journal;
    start_background_fold(path_, options_.new_file_mode);
  }

  StoreError corrupt() const { return StoreError(path_ + ": corrupt roaming cdb"); }

  std::string path_;
  CdbWriterOptions options_;
  bool has_base_ = false;  // as record()'s check found it
  std::optional<struct stat> fold_started_;
};

}  // namespace

std::unique_ptr<RoamingLookup> make_cdb_lookup(std::string path, std::int64_t window) {
  return std::make_unique<CdbLookup>(std::move(path), window);
}

std::unique_ptr<RoamingAdmin> make_cdb_admin(std::string path, CdbWriterOptions options) {
  return std::make_unique<CdbAdmin>(std::move(path), options);
}

}  // namespace ucspi
