#include "rules/roaming/roaming_view.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>
#include <unordered_set>

#include "rules/base/error_str.h"

namespace ucspi {

std::optional<std::int64_t> resolve_through(JournalLayers layers, std::string_view ip,
                                            std::optional<std::int64_t> base_time) {
  for (const JournalState* layer : layers) base_time = layer->resolve(ip, base_time);
  return base_time;
}

bool named_by(JournalLayers layers, std::string_view ip) {
  for (const JournalState* layer : layers)
    if (layer->entry_for(ip)) return true;
  return false;
}

int for_each_live(RoamingCdb& base, JournalLayers layers, const AddEntry& visit) {
  LoginEntries named;
  if (for_each_named(base, layers, [&](std::string_view ip, std::int64_t last_login) {
        named.emplace_back(ip, last_login);
      }) != 0)
    return -1;
  sort_by_login_time(named);
  std::size_t next = 0;
  auto visit_named_before = [&](std::optional<std::int64_t> time) {
    for (; next < named.size() && (!time || named[next].second < *time); ++next)
      visit(named[next].first, named[next].second);
  };
  if (base.is_open() && base.for_each([&](std::string_view ip, std::int64_t last_login) {
        if (named_by(layers, ip)) return true;
        // Not named, so only an expire can touch it, and that drops it or leaves its time.
        if (!resolve_through(layers, ip, last_login)) return true;
        visit_named_before(last_login);
        visit(ip, last_login);
        return true;
      }) != 0)
    return -1;
  visit_named_before(std::nullopt);
  return 0;
}

std::size_t count_expiring(RoamingCdb& base, JournalLayers layers, std::int64_t cutoff) {
  std::size_t count = 0;
  for_each_named(base, layers, [&](std::string_view, std::int64_t last_login) {
    if (last_login <= cutoff) ++count;
  });
  if (!base.is_open()) return count;
  base.for_each([&](std::string_view ip, std::int64_t last_login) {
    if (last_login > cutoff) return false;  // in order of time: nothing later expires
    if (!named_by(layers, ip) && resolve_through(layers, ip, last_login)) ++count;
    return true;
  });
  return count;
}

int for_each_named(RoamingCdb& base, JournalLayers layers, const AddEntry& visit) {
  std::unordered_set<std::string_view> done;  // an IP both layers name is one entry
  bool corrupt = false;
  for (const JournalState* layer : layers)
    layer->for_each([&](std::string_view ip, const JournalEntry&) {
      if (corrupt || !done.insert(ip).second) return;
      std::optional<std::int64_t> base_time;
      std::int64_t t = 0;
      const int r = base.is_open() ? base.find(ip, t) : 0;
      if (r < 0) corrupt = true;
      if (r == 1) base_time = t;
      if (auto last_login = resolve_through(layers, ip, base_time)) visit(ip, *last_login);
    });
  return corrupt ? -1 : 0;
}

std::string view_problem(const ViewError& error, const std::string& store_path) {
  if (error.err == EPROTO && error.path != store_path) return error.path + " is not a regular file";
  if (error.err == EPROTO) return error.path + " is not a roaming cdb (no marker record)";
  if (error.err == EBADMSG) return error.path + ": corrupt roaming cdb";
  return "unable to read " + error.path + ": " + error_str(error.err);
}

RoamingView::RoamingView(const std::string& path, CdbMapping mapping, bool base_required)
    : base_required_(base_required),
      journal_(journal_path(path)),
      old_(old_journal_path(path)),
      base_(path, mapping) {}

std::optional<ViewError> RoamingView::refresh() {
  if (pending_ && pending_->open.ready())
    if (std::optional<ViewError> error = finish_pending()) return error;
  if (!loaded_) return reload();
  bool moved = false;
  if (int err = journal_.follow(moved); err != 0) return ViewError{journal_.path(), err};
  if (moved || !base_unchanged()) return reload(moved);
  return std::nullopt;
}

// The readers' order: a record is in the journal, then old, then the base, and a fold moves
// it only forward, so reading them in this order misses none.
std::optional<ViewError> RoamingView::reload(bool journal_moved) {
  // Another fold while a base was being opened: rare enough to wait for it, then start over.
  if (pending_) finish_pending();
  std::optional<JournalState> merged = journal_moved ? std::nullopt : fold_seen();
  loaded_ = false;
  if (int err = journal_.reload(); err != 0) return ViewError{journal_.path(), err};
  if (int err = old_.reload(); err != 0) return ViewError{old_.path(), err};
  if (merged && open_in_background(std::move(*merged))) {
    loaded_ = true;
    return std::nullopt;
  }
  const int err = base_.refresh();
  loaded_ = err == 0 || err == ENOENT;  // else the next refresh tries everything again
  if (err == 0 || (err == ENOENT && !base_required_)) return std::nullopt;
  return ViewError{base_.path(), err};
}

// The journal the fold that wrote the new base merged, read to its end, when it can be
// known: the last look saw a fold under way (PATH.journal.old open, the journal it folds) and
// the journal since (PATH.journal, open), and the path still names that journal, so no later
// fold has started. The new base is then the old one and this journal, and the old base seen
// through it answers as the new one until that is opened. Nothing otherwise (a fold, or two,
// done between two looks): the base is opened inline.
std::optional<JournalState> RoamingView::fold_seen() {
  if (!background_from_ || !base_.reader().is_open() || !old_.present() || !journal_.present())
    return std::nullopt;
  if (old_.read_to_end() != 0) return std::nullopt;
  return old_.state();
}

// Starts opening the file the path names on a thread, when it is another file than the base
// open and large enough to be worth it; merged answers over the old base meanwhile.
bool RoamingView::open_in_background(JournalState merged) {
  struct stat st {};
  if (::stat(base_.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      same_file(base_.reader().identity(), st) ||
      static_cast<std::uint64_t>(st.st_size) < *background_from_)
    return false;
  std::optional<BackgroundOpen> open = BackgroundOpen::start(base_.path(), base_.mapping());
  if (!open) return false;
  pending_.emplace(PendingBase{st, std::move(*open), std::move(merged)});
  return true;
}

// Puts the base opened on the thread in place of the old one, waiting for it if need be. A
// failed open is the base's error, as reload() would have said it.
std::optional<ViewError> RoamingView::finish_pending() {
  BackgroundOpen::Result result = pending_->open.take();
  pending_.reset();
  if (result.err == 0) {
    base_.adopt(std::move(result.base));
    return std::nullopt;
  }
  base_.forget();
  loaded_ = false;
  if (result.err == ENOENT && !base_required_) return std::nullopt;
  return ViewError{base_.path(), result.err};
}

// True when the base is still the file mapped, or being opened (or still missing, where that
// is allowed). An error says false: reload() reports it.
bool RoamingView::base_unchanged() {
  struct stat st {};
  if (::stat(base_.path().c_str(), &st) != 0)
    return errno == ENOENT && !base_required_ && !base_.reader().is_open();
  if (pending_) return same_file(pending_->target, st);
  return base_.reader().is_open() && same_file(base_.reader().identity(), st);
}

RoamingView::Layers RoamingView::layers() const {
  Layers all;
  if (pending_) all.items[all.count++] = &pending_->merged;
  all.items[all.count++] = &old_.state();
  all.items[all.count++] = &journal_.state();
  return all;
}

int RoamingView::find(std::string_view ip, std::int64_t& last_login) {
  std::optional<std::int64_t> base_time;
  std::int64_t t = 0;
  const int r = has_base() ? base_.reader().find(ip, t) : 0;
  if (r < 0) return -1;
  if (r == 1) base_time = t;
  std::optional<std::int64_t> resolved = resolve_through(layers(), ip, base_time);
  if (!resolved) return 0;
  last_login = *resolved;
  return 1;
}

int RoamingView::for_each(const AddEntry& visit) {
  return for_each_live(base_.reader(), layers(), visit);
}

std::optional<std::int64_t> RoamingView::max_cutoff() const {
  std::optional<std::int64_t> journal = journal_.state().max_cutoff(), old = old_.state().max_cutoff();
  if (journal && old) return std::max(*journal, *old);
  return journal ? journal : old;
}

std::size_t RoamingView::count_expiring(std::int64_t cutoff) {
  return ucspi::count_expiring(base_.reader(), layers(), cutoff);
}

}  // namespace ucspi
