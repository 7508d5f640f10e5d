#include "rules/roaming/roaming_journal.h"

#include <algorithm>
#include <charconv>

#include "rules/base/ip_address.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {
namespace {

constexpr std::size_t checksum_digits = 16;
// The base's limit too: parse_login_time reads at most 18 digits.
constexpr std::int64_t max_time = 999'999'999'999'999'999;

// FNV-1a 64: catches every single-byte change and torn writes; nobody forges journals we
// would trust anyway (the file is the store's own, writable only by its owner).
std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3;
  }
  return hash;
}

std::string checksum_text(std::string_view body) {
  static constexpr char digits[] = "0123456789abcdef";
  std::uint64_t hash = fnv1a64(body);
  std::string text(checksum_digits, '0');
  for (std::size_t i = checksum_digits; i-- > 0; hash >>= 4) text[i] = digits[hash & 0xf];
  return text;
}

bool is_canonical_ip(std::string_view ip) {
  std::optional<std::string> canonical = canonical_ip_text(ip);
  return canonical && *canonical == ip;
}

// What encode writes: the digits to_chars gives, so each time has exactly one spelling.
std::optional<std::int64_t> parse_time(std::string_view text) {
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  return parse_login_time(text);
}

std::optional<std::string_view> parse_ip(std::string_view text) {
  if (!is_canonical_ip(text)) return std::nullopt;
  return text;
}

void check_ip(std::string_view ip) {
  if (!is_canonical_ip(ip)) throw StoreError("not a canonical IP address: " + std::string(ip));
}

std::string time_text(std::int64_t time) {
  if (time < 0) throw StoreError("time before 1970");
  if (time > max_time) throw StoreError("time beyond 10^18 seconds");
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, time);
  return std::string(buf, end);
}

// The body of a record: "+ IP TIME", "- IP" or "< CUTOFF".
std::optional<JournalRecord> parse_body(std::string_view body) {
  if (body.size() < 3 || body[1] != ' ') return std::nullopt;
  const char op = body[0];
  std::string_view args = body.substr(2);
  if (op == '+') {
    const std::size_t space = args.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::optional<std::string_view> ip = parse_ip(args.substr(0, space));
    std::optional<std::int64_t> time = parse_time(args.substr(space + 1));
    if (!ip || !time) return std::nullopt;
    return JournalRecord{JournalOp::login, *ip, *time};
  }
  if (op == '-') {
    std::optional<std::string_view> ip = parse_ip(args);
    if (!ip) return std::nullopt;
    return JournalRecord{JournalOp::clear, *ip, 0};
  }
  if (op == '<') {
    std::optional<std::int64_t> cutoff = parse_time(args);
    if (!cutoff) return std::nullopt;
    return JournalRecord{JournalOp::expire, {}, *cutoff};
  }
  return std::nullopt;
}

}  // namespace

std::string seal_journal_record(std::string_view body) {
  std::string record;
  record.reserve(body.size() + checksum_digits + 3);
  record += '\n';
  record += body;
  record += ' ';
  record += checksum_text(body);
  record += '\n';
  return record;
}

std::string encode_login(std::string_view ip, std::int64_t time) {
  check_ip(ip);
  return seal_journal_record("+ " + std::string(ip) + " " + time_text(time));
}

std::string encode_clear(std::string_view ip) {
  check_ip(ip);
  return seal_journal_record("- " + std::string(ip));
}

std::string encode_expire(std::int64_t cutoff) {
  return seal_journal_record("< " + time_text(cutoff));
}

std::optional<JournalRecord> parse_journal_line(std::string_view line) {
  if (line.size() > journal_max_line) return std::nullopt;
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view body = line.substr(0, space);
  // checksum_text gives lowercase only: an uppercase digit is a changed byte.
  if (line.substr(space + 1) != checksum_text(body)) return std::nullopt;
  return parse_body(body);
}

void JournalParser::feed(std::string_view bytes, const Sink& sink) {
  std::size_t newline;
  while ((newline = bytes.find('\n')) != std::string_view::npos) {
    std::string_view part = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    // Counted before the sink runs: one that throws leaves the parser just after its record.
    fed_ += newline + 1;
    consumed_ = fed_;
    if (line_.empty() && !overlong_) {
      end_line(part, sink);  // the usual case: the whole line is in this chunk, no copy
      continue;
    }
    hold(part);
    std::string line;
    line.swap(line_);
    end_line(line, sink);
  }
  fed_ += bytes.size();
  hold(bytes);
}

// Keeps part of the unterminated tail, unless the tail is too long to be a record: memory
// stays bounded however long the line runs before its newline.
void JournalParser::hold(std::string_view part) {
  if (overlong_) return;
  if (line_.size() + part.size() > journal_max_line) {
    overlong_ = true;
    line_.clear();
    return;
  }
  line_ += part;
}

void JournalParser::end_line(std::string_view line, const Sink& sink) {
  if (overlong_) {
    overlong_ = false;
    ++damaged_;
    return;
  }
  if (line.empty()) return;  // the newline every record starts with
  if (skipped(line)) return;
  std::optional<JournalRecord> record = parse_journal_line(line);
  if (!record) {
    ++damaged_;
    return;
  }
  ++records_;
  sink(*record);
}

// Whether only_about() rules the line out: a login or clear ("+ IP ..." or "- IP ...") of
// another IP. Anything else, damage included, goes on to be parsed.
bool JournalParser::skipped(std::string_view line) const {
  if (only_ip_.empty() || line.size() < 2 || (line[0] != '+' && line[0] != '-') || line[1] != ' ')
    return false;
  std::string_view rest = line.substr(2);
  const std::size_t space = rest.find(' ');
  return rest.substr(0, space) != only_ip_;
}

void JournalState::apply(const JournalRecord& record) {
  const std::uint64_t seq = applied_++;
  switch (record.op) {
    case JournalOp::login:
    case JournalOp::clear: {
      Latest latest{seq, record.op == JournalOp::login ? std::optional(record.time) : std::nullopt};
      if (auto it = latest_.find(record.ip); it != latest_.end())
        it->second = latest;
      else
        latest_.emplace(std::string(record.ip), latest);
      break;
    }
    case JournalOp::expire:
      add_expire(seq, record.time);
      break;
  }
}

// An expire with a cutoff no larger than a later one's never decides anything the later one
// does not: drop it, keeping cutoffs falling along the vector. Cutoffs are "now - window" and
// rise over time, so the vector is usually one long.
void JournalState::add_expire(std::uint64_t seq, std::int64_t cutoff) {
  while (!expires_.empty() && expires_.back().cutoff <= cutoff) expires_.pop_back();
  expires_.push_back({seq, cutoff});
}

std::optional<std::int64_t> JournalState::cutoff_after(std::uint64_t seq) const {
  auto later = std::upper_bound(expires_.begin(), expires_.end(), seq,
                                [](std::uint64_t s, const Expire& e) { return s < e.seq; });
  if (later == expires_.end()) return std::nullopt;
  return later->cutoff;
}

JournalEntry JournalState::entry_of(const Latest& latest) const {
  if (!latest.login) return {};
  std::optional<std::int64_t> cutoff = cutoff_after(latest.seq);
  if (cutoff && *latest.login <= *cutoff) return {};
  return {latest.login};
}

std::optional<JournalEntry> JournalState::entry_for(std::string_view ip) const {
  auto it = latest_.find(ip);
  if (it == latest_.end()) return std::nullopt;
  return entry_of(it->second);
}

std::optional<std::int64_t> JournalState::resolve(std::string_view ip,
                                                  std::optional<std::int64_t> base_time) const {
  if (std::optional<JournalEntry> entry = entry_for(ip)) return entry->last_login;
  // Every base entry precedes every journal record, so every expire applies to it.
  std::optional<std::int64_t> cutoff = max_cutoff();
  if (base_time && cutoff && *base_time <= *cutoff) return std::nullopt;
  return base_time;
}

std::optional<std::int64_t> JournalState::max_cutoff() const {
  if (expires_.empty()) return std::nullopt;
  return expires_.front().cutoff;
}

void JournalState::for_each(const Visitor& visit) const {
  for (const auto& [ip, latest] : latest_) visit(ip, entry_of(latest));
}

}  // namespace ucspi
