#include "rules/roaming/roaming_view.h"

#include <sys/stat.h>

#include <cerrno>
#include <unordered_set>

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
  if (base.is_open() && base.for_each([&](std::string_view ip, std::int64_t last_login) {
        if (named_by(layers, ip)) return true;
        if (auto t = resolve_through(layers, ip, last_login)) visit(ip, *t);
        return true;
      }) != 0)
    return -1;
  return for_each_named(base, layers, visit);
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

RoamingView::RoamingView(const std::string& path, CdbMapping mapping, bool base_required)
    : base_required_(base_required),
      journal_(journal_path(path)),
      old_(old_journal_path(path)),
      base_(path, mapping) {}

std::optional<ViewError> RoamingView::refresh() {
  if (!loaded_) return reload();
  bool moved = false;
  if (int err = journal_.follow(moved); err != 0) return ViewError{journal_.path(), err};
  if (moved || !base_unchanged()) return reload();
  return std::nullopt;
}

// The readers' order: a record is in the journal, then old, then the base, and a fold moves
// it only forward, so reading them in this order misses none.
std::optional<ViewError> RoamingView::reload() {
  loaded_ = false;
  if (int err = journal_.reload(); err != 0) return ViewError{journal_.path(), err};
  if (int err = old_.reload(); err != 0) return ViewError{old_.path(), err};
  const int err = base_.refresh();
  loaded_ = err == 0 || err == ENOENT;  // else the next refresh tries everything again
  if (err == 0 || (err == ENOENT && !base_required_)) return std::nullopt;
  return ViewError{base_.path(), err};
}

// True when the base is still the file mapped (or still missing, where that is allowed).
// An error says false: reload() reports it.
bool RoamingView::base_unchanged() {
  struct stat st {};
  if (::stat(base_.path().c_str(), &st) != 0)
    return errno == ENOENT && !base_required_ && !base_.reader().is_open();
  return base_.reader().is_open() && same_file(base_.reader().identity(), st);
}

int RoamingView::find(std::string_view ip, std::int64_t& last_login) {
  std::optional<std::int64_t> base_time;
  std::int64_t t = 0;
  const int r = has_base() ? base_.reader().find(ip, t) : 0;
  if (r < 0) return -1;
  if (r == 1) base_time = t;
  const JournalState* layers[] = {&old_.state(), &journal_.state()};
  std::optional<std::int64_t> resolved = resolve_through(layers, ip, base_time);
  if (!resolved) return 0;
  last_login = *resolved;
  return 1;
}

int RoamingView::for_each(const AddEntry& visit) {
  const JournalState* layers[] = {&old_.state(), &journal_.state()};
  return for_each_live(base_.reader(), layers, visit);
}

}  // namespace ucspi
