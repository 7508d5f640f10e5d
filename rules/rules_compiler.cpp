#include "rules/rules_compiler.h"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "rules/rule_keys.h"
#include "rules/rule_line.h"

namespace ucspi {
namespace {

// Reads fd in large chunks and hands out lines including their '\n' (the last may lack it).
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // true with a line, false at EOF or on error (error() tells).
  bool next(std::string_view& line) {
    for (;;) {
      std::size_t nl = buffer_.find('\n', scan_from_);
      if (nl != std::string::npos) {
        line = std::string_view(buffer_).substr(start_, nl + 1 - start_);
        start_ = scan_from_ = nl + 1;
        return true;
      }
      if (eof_) {
        if (start_ == buffer_.size()) return false;
        line = std::string_view(buffer_).substr(start_);
        start_ = scan_from_ = buffer_.size();
        return true;
      }
      if (!fill()) return false;
    }
  }

  int error() const { return error_; }

 private:
  bool fill() {
    buffer_.erase(0, start_);
    scan_from_ -= start_;
    start_ = 0;
    const std::size_t old = buffer_.size();
    ssize_t n;
    do n = ::read(fd_, chunk_.get(), chunk);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      error_ = errno;
      return false;
    }
    buffer_.append(chunk_.get(), static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    scan_from_ = old;
    return true;
  }

  static constexpr std::size_t chunk = 1 << 16;
  int fd_;
  // Read into a chunk that is never cleared: growing buffer_ by 64 KB of zeroes before every
  // read cost more than the read itself for a short file (a rules file is often a few lines).
  std::unique_ptr<char[]> chunk_ = std::make_unique_for_overwrite<char[]>(chunk);
  std::string buffer_;
  std::size_t start_ = 0;
  std::size_t scan_from_ = 0;
  bool eof_ = false;
  int error_ = 0;
};

bool is_catch_all(std::string_view key) {
  return key.empty() || key == "=" || key == "_" || key == "^";
}

bool sets_relayclient(std::string_view data) {
  for (std::size_t pos = 0; pos < data.size();) {
    std::size_t nul = data.find('\0', pos);
    if (nul == std::string_view::npos) break;
    if (data.substr(pos, nul - pos).starts_with("+RELAYCLIENT=")) return true;
    pos = nul + 1;
  }
  return false;
}

}  // namespace

CompileOutcome compile_rules(int in_fd, CdbWriter& writer,
                             const std::function<void(std::string_view)>& warn) {
  CompileOutcome outcome;
  LineReader reader(in_fd);
  RuleLine rule;
  AddressKeys keys;
  std::set<std::string> catch_all_seen;
  std::string_view raw;
  while (reader.next(raw)) {
    LineKind kind = parse_rule_line(raw, rule);
    if (kind == LineKind::skipped) continue;
    if (kind == LineKind::bad || !expand_address(rule.address, keys)) {
      outcome.status = CompileOutcome::Status::bad_line;
      outcome.bad_line.assign(rule.text.substr(0, rule.text.find('\0')));
      return outcome;
    }
    if (!keys.warning.empty()) warn(keys.warning);
    for (const std::string& key : keys.keys) {
      if (!writer.add(key, rule.data)) {
        outcome.status = CompileOutcome::Status::write_error;
        outcome.error = errno;
        return outcome;
      }
      // Only the first record of a key is ever found, so only the first catch-all counts.
      if (is_catch_all(key) && catch_all_seen.insert(key).second && !rule.deny &&
          sets_relayclient(rule.data))
        outcome.open_relay = true;
    }
  }
  if (reader.error() != 0) {
    outcome.status = CompileOutcome::Status::read_error;
    outcome.error = reader.error();
  }
  return outcome;
}

}  // namespace ucspi
