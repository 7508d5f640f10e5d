// What the embedded roaming store holds: the base cdb PATH seen through PATH.journal.old and
// then PATH.journal (roaming_journal_file.h), as tcpserver, relay-list and the writers read it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rules/cdb/cdb_follower.h"
#include "rules/roaming/background_open.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_journal_file.h"

namespace ucspi {

// The journals over a base, oldest first.
using JournalLayers = std::span<const JournalState* const>;

// ip's last login as the base says (base_time) seen through the layers.
std::optional<std::int64_t> resolve_through(JournalLayers layers, std::string_view ip,
                                            std::optional<std::int64_t> base_time);

// Calls visit for every live entry of base (which may be closed: no base yet) seen through
// layers: the base entries no layer names, in file order, with the IPs the layers name put in
// before the first later one (the IPs among themselves in order of time). A fold writes them in
// this order, so a base in order of time stays so. 0, or -1 for a corrupt base.
int for_each_live(RoamingCdb& base, JournalLayers layers, const AddEntry& visit);

// How many live entries have a last login <= cutoff, for a base in order of time (as every
// fold writes it) reading only the base's entries up to the first later one: relay-clear's
// cost is what it expires (and what earlier expires hid that no fold has dropped yet), not the
// store's size. On a base in another order it counts only that leading run. A corrupt record
// ends the count (the fold that drops the entries refuses the base).
std::size_t count_expiring(RoamingCdb& base, JournalLayers layers, std::int64_t cutoff);

// The two halves of for_each_live: whether a layer names ip (then the base's entry is not
// visited in file order), and the live entries of the IPs the layers name.
bool named_by(JournalLayers layers, std::string_view ip);
int for_each_named(RoamingCdb& base, JournalLayers layers, const AddEntry& visit);

// What failed to read: the file and errno (EPROTO: the base is not a roaming cdb, a journal
// not a regular file; EBADMSG: a corrupt base).
struct ViewError {
  std::string path;
  int err;
};

// What to tell the admin of it, the same from tcpserver's log and the tools' messages:
// "PATH is not a roaming cdb (no marker record)", "PATH: corrupt roaming cdb", "JOURNAL is not
// a regular file", or "unable to read PATH: ERRSTR". store_path: the base's path.
std::string view_problem(const ViewError& error, const std::string& store_path);

class RoamingView {
 public:
  // mapping: the base's (CdbFollower). base_required: a missing base is ENOENT, as tcpserver
  // must say (a mistyped path must not look like a quiet store); else an empty store, as the
  // tools see it before the first login.
  RoamingView(const std::string& path, CdbMapping mapping, bool base_required);

  // A new base of at least `bytes` is opened on a thread while find() answers from the base
  // it replaces, seen through the journal the fold merged into it (kept from before the
  // fold), when the view saw that fold under way: a busy tcpserver's loop does not stop for
  // the whole-file check of a large base. The answers are those of the base that fold wrote
  // (only the store's folds write it; a base some other program put in place meanwhile is
  // seen once opened, a few hundred milliseconds later at most). A base that fails to open
  // ends that with the error an inline open gives. A fold the view did not see under way (no
  // lookups while it ran) is opened inline, as before.
  void open_large_bases_in_background(std::size_t bytes) { background_from_ = bytes; }

  // Makes the journals read only what concerns ip (JournalParser::only_about): find(ip) stays
  // exact, for_each() and damaged_lines() do not. Call before the first refresh.
  void only_about(const std::string& ip) {
    journal_.only_about(ip);
    old_.only_about(ip);
  }

  // Brings the view up to date. Usually one stat of the journal, a read of what was appended
  // to it, and one stat of the base; everything is read again, journal first, then old, then
  // base, only when the journal was moved aside or the base replaced (a fold ran).
  std::optional<ViewError> refresh();

  // 1 and last_login set for a live entry, 0 none, -1 a corrupt base record.
  int find(std::string_view ip, std::int64_t& last_login);
  int for_each(const AddEntry& visit);  // 0, or -1 for a corrupt base
  std::size_t count_expiring(std::int64_t cutoff);  // the free function, on this view

  bool has_base() { return base_.reader().is_open(); }
  // Whether a new base is being opened on a thread (the old one still answering).
  bool opening_base() const { return pending_.has_value(); }
  // The latest expire record's cutoff in either journal: entries <= it are gone already.
  std::optional<std::int64_t> max_cutoff() const;
  // Whether a journal or a dead fold's old one was there when last read: something to fold.
  bool has_journal() const { return journal_.present() || old_.present(); }
  RoamingCdb& base() { return base_.reader(); }
  std::uint64_t damaged_lines() const { return old_.damaged_lines() + journal_.damaged_lines(); }

 private:
  struct PendingBase {
    struct stat target;  // what the path named when the open started
    BackgroundOpen open;
    // The journal the fold merged, as it was before the fold: read between the old base and
    // old_, it holds the records the new base has and the old one lacks.
    JournalState merged;
  };

  // The journals over the base, oldest first: at most three, kept on the stack (every
  // tcpserver lookup asks for them).
  struct Layers {
    std::array<const JournalState*, 3> items{};
    std::size_t count = 0;
    operator JournalLayers() const { return {items.data(), count}; }
  };

  // journal_moved: the journal the path names is not the one read (see fold_seen).
  std::optional<ViewError> reload(bool journal_moved = true);
  bool base_unchanged();
  Layers layers() const;
  std::optional<JournalState> fold_seen();
  bool open_in_background(JournalState merged);
  std::optional<ViewError> finish_pending();

  bool base_required_;
  bool loaded_ = false;  // the first refresh reads all three, whatever the stats say
  JournalFile journal_;
  JournalFile old_;
  CdbFollower<RoamingCdb> base_;
  std::optional<std::size_t> background_from_;
  std::optional<PendingBase> pending_;
};

}  // namespace ucspi
