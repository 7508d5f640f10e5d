// The roaming store's journal (rules/roaming/roaming_journal.h): bytes a power cut, a full
// disk or a hostile writer left in PATH.journal, read by tcpserver as they are appended.
// Properties: the parser never holds more than a line's worth of a tail; reading the bytes
// in any chunks gives the records, counts and offset of reading them whole; every record it
// yields is one a writer could have sealed (encoding it again parses back to it); a reader
// that asks about one IP (only_about) sees the same answer for it as one that reads all.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules/roaming/roaming_journal.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;
using namespace ucspi::fuzz;

namespace {

struct Seen {
  JournalOp op;
  std::string ip;
  std::int64_t time;
  bool operator==(const Seen&) const = default;
};

struct Reading {
  std::vector<Seen> records;
  JournalState state;
  std::uint64_t consumed = 0;
  std::uint64_t damaged = 0;
};

std::string encoded(const Seen& record) {
  switch (record.op) {
    case JournalOp::login: return encode_login(record.ip, record.time);
    case JournalOp::clear: return encode_clear(record.ip);
    case JournalOp::expire: return encode_expire(record.time);
  }
  return {};
}

Reading read(std::string_view bytes, const std::vector<std::size_t>& cuts,
             const std::string& only_ip = {}) {
  Reading reading;
  JournalParser parser;
  if (!only_ip.empty()) parser.only_about(only_ip);
  const auto sink = [&](const JournalRecord& record) {
    reading.records.push_back(Seen{record.op, std::string(record.ip), record.time});
    reading.state.apply(record);
  };
  feed_in_chunks(bytes, cuts, [&](std::string_view chunk) {
    parser.feed(chunk, sink);
    FUZZ_CHECK(parser.buffered() <= journal_max_line);
    FUZZ_CHECK(parser.consumed() + parser.pending() <= bytes.size());
    return false;
  });
  FUZZ_CHECK(parser.consumed() + parser.pending() == bytes.size());
  reading.consumed = parser.consumed();
  reading.damaged = parser.damaged_lines();
  return reading;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::vector<std::size_t> cuts = take_cuts(provider, 8);
  const std::string bytes = provider.ConsumeRemainingBytesAsString();

  const Reading whole = read(bytes, {});
  const Reading chunked = read(bytes, cuts);
  FUZZ_CHECK(chunked.records == whole.records);
  FUZZ_CHECK(chunked.consumed == whole.consumed);
  FUZZ_CHECK(chunked.damaged == whole.damaged);

  for (const Seen& record : whole.records) {
    const std::string line = encoded(record);  // "\n" LINE "\n"
    FUZZ_CHECK(line.size() >= 2 && line.front() == '\n' && line.back() == '\n');
    const std::optional<JournalRecord> again =
        parse_journal_line(std::string_view(line).substr(1, line.size() - 2));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK((Seen{again->op, std::string(again->ip), again->time} == record));
  }

  if (!whole.records.empty() && !whole.records.front().ip.empty()) {
    const std::string& ip = whole.records.front().ip;
    const Reading only = read(bytes, cuts, ip);
    for (const std::optional<std::int64_t> base : {std::optional<std::int64_t>(),
                                                   std::optional<std::int64_t>(0),
                                                   std::optional<std::int64_t>(1700000000)})
      FUZZ_CHECK(only.state.resolve(ip, base) == whole.state.resolve(ip, base));
  }
  return 0;
}
