// The roaming store's journal: logins appended as text lines to PATH.journal beside the cdb
// (roaming_cdb_file.h), which stays the base, so a login costs one small write instead of
// rewriting the whole cdb; a fold later merges the journal into a new base. This file is the
// part without I/O: the record format, parsing bytes into records, and what a reader makes of
// the records on top of the base.
//
// One record a line, readable with cat:
//   + IP TIME       a login from IP at TIME
//   - IP            IP cleared
//   < CUTOFF        every entry recorded before this record (the base included) whose time is
//                   <= CUTOFF is gone
// followed by " " and the FNV-1a 64 checksum of everything before that space, as 16 lowercase
// hex digits. IP is canonical_ip_text(), TIME and CUTOFF are decimal Unix seconds in the
// base's canonical form (no sign, no leading zero, at most 18 digits).
//
// A writer appends each record with one write() of "\n" LINE "\n". The leading newline ends
// whatever a power cut left unterminated (a torn record, or the zeros a delayed-allocation
// filesystem leaves where data never reached the disk), so that tail is one damaged line and
// never swallows the record written after it. Readers therefore see an empty line before every
// record, and skip empty lines silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ucspi {

// The longest line a reader holds, newline excluded. The longest record (a full IPv6 address
// and 18 digits) is 77 bytes; a longer line is damage, dropped as it arrives.
inline constexpr std::size_t journal_max_line = 128;

enum class JournalOp { login, clear, expire };

struct JournalRecord {
  JournalOp op;
  std::string_view ip;    // login and clear; points into the line parsed
  std::int64_t time = 0;  // login: its time; expire: the cutoff
};

// The bytes to append for each record: "\n" LINE "\n". ip must be canonical_ip_text() and
// times 0 .. 10^18 - 1 (what the base holds); anything else throws StoreError, since the
// reader would skip it as damage.
std::string encode_login(std::string_view ip, std::int64_t time);
std::string encode_clear(std::string_view ip);
std::string encode_expire(std::int64_t cutoff);

// "\n" body " " checksum "\n" for any body: the encoders' common end, and tests' way to forge
// records that are checksummed but otherwise wrong.
std::string seal_journal_record(std::string_view body);

// One line without its newline: the record, or nullopt when it is not exactly one a writer
// could have sealed (wrong checksum, syntax, IP or time, stray bytes).
std::optional<JournalRecord> parse_journal_line(std::string_view line);

// Turns bytes, fed in chunks of any size as they are read, into records. Only lines ended by
// "\n" count; the unterminated tail is held (its write may still be in progress) until more
// bytes end it. Never throws on any input.
class JournalParser {
 public:
  // Called for each valid record; the record's ip is valid only during the call.
  using Sink = std::function<void(const JournalRecord&)>;

  // When sink throws, the parser stands just after that record's line (consumed()), the rest
  // of bytes unread.
  void feed(std::string_view bytes, const Sink& sink);

  // From now on, lines that name another IP than ip are skipped without being checked:
  // neither records nor damage. Expire records, and ip's own, are parsed as always. For a
  // reader that asks one IP (relay-allow's "recorded lately?"), so that a journal near the
  // fold threshold costs a scan for newlines, not thousands of checksums and addresses.
  void only_about(std::string ip) { only_ip_ = std::move(ip); }

  // Bytes up to and including the last newline fed: where a new parser would start reading
  // the same file to get the same records after these (the tail not yet ended is re-read).
  std::uint64_t consumed() const { return consumed_; }
  // Bytes fed after that newline: the unterminated tail, of any length.
  std::uint64_t pending() const { return fed_ - consumed_; }
  // Bytes of the tail held in memory: at most journal_max_line, however long the tail.
  std::size_t buffered() const { return line_.size(); }
  // Lines ended but no record: for "N damaged journal lines skipped".
  std::uint64_t damaged_lines() const { return damaged_; }
  std::uint64_t records() const { return records_; }

 private:
  void end_line(std::string_view line, const Sink& sink);
  void hold(std::string_view part);

  bool skipped(std::string_view line) const;

  std::string only_ip_;      // empty: every line
  std::string line_;         // the unterminated tail, while it is short enough to be a record
  bool overlong_ = false;    // the tail outgrew journal_max_line: dropped up to its newline
  std::uint64_t fed_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t damaged_ = 0;
  std::uint64_t records_ = 0;
};

// What the journal says of one IP it names.
struct JournalEntry {
  std::optional<std::int64_t> last_login;  // nullopt: gone (cleared, or expired since)
};

// The journal's records applied in order, answering on top of the base with one hash lookup
// and, for an IP whose latest record is a login, a binary search over the expire records that
// can still matter (usually one: cutoffs rise over time, and a later larger one hides the rest).
class JournalState {
 public:
  void apply(const JournalRecord& record);
  // The same as a JournalParser::Sink.
  JournalParser::Sink sink() {
    return [this](const JournalRecord& record) { apply(record); };
  }

  // nullopt when the journal says nothing of ip: the base decides, filtered by max_cutoff().
  std::optional<JournalEntry> entry_for(std::string_view ip) const;
  // The last login of ip, base and journal together; base_time is the base's answer.
  std::optional<std::int64_t> resolve(std::string_view ip,
                                      std::optional<std::int64_t> base_time) const;
  // The largest expire cutoff: a base entry whose time is <= it is gone.
  std::optional<std::int64_t> max_cutoff() const;

  // Every IP the journal names, with its entry as entry_for gives it, in no particular order.
  using Visitor = std::function<void(std::string_view ip, const JournalEntry& entry)>;
  void for_each(const Visitor& visit) const;

  std::uint64_t records_applied() const { return applied_; }
  std::size_t ips() const { return latest_.size(); }

 private:
  struct Latest {
    std::uint64_t seq;
    std::optional<std::int64_t> login;  // nullopt: the latest record for the IP is a clear
  };
  struct Expire {
    std::uint64_t seq;
    std::int64_t cutoff;
  };
  // Lets lookups by string_view find std::string keys without building one.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  JournalEntry entry_of(const Latest& latest) const;
  std::optional<std::int64_t> cutoff_after(std::uint64_t seq) const;
  void add_expire(std::uint64_t seq, std::int64_t cutoff);

  std::unordered_map<std::string, Latest, Hash, std::equal_to<>> latest_;
  // The expires that are the largest from their own on: cutoffs fall and seqs rise along it,
  // so the first one after seq s holds the largest cutoff applying to a login at s.
  std::vector<Expire> expires_;
  std::uint64_t applied_ = 0;
};

}  // namespace ucspi
