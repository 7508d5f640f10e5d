// The roaming journal without I/O: its record format, a parser that survives whatever a power
// cut leaves in the file, and the state a reader builds from the records on top of the base.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/roaming/roaming_journal.h"
#include "rules/roaming/roaming_store.h"

using namespace ucspi;

namespace {

constexpr std::int64_t now = 1'700'000'000;

// A record as the bytes a writer appends for it, so records compare as strings.
std::string encoded(const JournalRecord& record) {
  switch (record.op) {
    case JournalOp::login:
      return encode_login(record.ip, record.time);
    case JournalOp::clear:
      return encode_clear(record.ip);
    case JournalOp::expire:
      return encode_expire(record.time);
  }
  return {};
}

// A parser and what it emitted, fed the way a reader would.
struct Reader {
  JournalParser parser;
  JournalState state;
  std::vector<std::string> records;

  void feed(std::string_view bytes) {
    parser.feed(bytes, [this](const JournalRecord& record) {
      records.push_back(encoded(record));
      state.apply(record);
    });
  }
  void feed_in_chunks(std::string_view bytes, std::size_t chunk) {
    for (std::size_t at = 0; at < bytes.size(); at += chunk) feed(bytes.substr(at, chunk));
  }
};

std::vector<std::string> parsed(std::string_view bytes) {
  Reader reader;
  reader.feed(bytes);
  return reader.records;
}

std::string joined(const std::vector<std::string>& records) {
  std::string bytes;
  for (const auto& record : records) bytes += record;
  return bytes;
}

// The state as a sorted list, to compare two states.
std::vector<std::pair<std::string, std::optional<std::int64_t>>> entries(const JournalState& state) {
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> list;
  state.for_each([&](std::string_view ip, const JournalEntry& entry) {
    list.emplace_back(std::string(ip), entry.last_login);
  });
  std::sort(list.begin(), list.end());
  return list;
}

// About twenty records of every kind, IPv4 and IPv6, as a journal holds them.
std::vector<std::string> mixed_records() {
  return {
      encode_login("10.1.2.3", now),
      encode_login("2001:db8::1", now + 1),
      encode_login("192.168.0.7", now + 2),
      encode_clear("10.1.2.3"),
      encode_login("fe80::1:2", now + 3),
      encode_expire(now - 1800),
      encode_login("10.1.2.3", now + 4),
      encode_login("::1", 0),
      encode_clear("2001:db8::1"),
      encode_login("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 999'999'999'999'999'999),
      encode_expire(now + 2),
      encode_login("172.16.0.1", now + 10),
      encode_login("2001:db8::1", now + 11),
      encode_clear("172.16.0.1"),
      encode_login("0.0.0.0", now + 12),
      encode_expire(0),
      encode_login("255.255.255.255", now + 13),
      encode_clear("::"),
      encode_login("192.168.0.7", now + 14),
      encode_expire(now + 12),
  };
}

std::vector<std::string> later_records() {
  return {encode_login("10.9.9.9", now + 100), encode_clear("192.168.0.7"),
          encode_expire(now + 50), encode_login("2001:db8::99", now + 101)};
}

std::size_t last_newline_end(std::string_view bytes) {
  const std::size_t newline = bytes.rfind('\n');
  return newline == std::string_view::npos ? 0 : newline + 1;
}

}  // namespace

TEST_CASE("journal: each record is one line a writer appends after a newline", "[journal]") {
  // The checksums are FNV-1a 64 of the text before them (computed apart, in Python), fixed
  // here so the format cannot drift from journals already on disk.
  CHECK(encode_login("10.1.2.3", now) == "\n+ 10.1.2.3 1700000000 cd5eb3521c6dd6d3\n");
  CHECK(encode_clear("2001:db8::1") == "\n- 2001:db8::1 c0768caf2c751230\n");
  CHECK(encode_expire(0) == "\n< 0 70ee7e1830d2bf63\n");
  CHECK(seal_journal_record("") == "\n cbf29ce484222325\n");  // the FNV offset basis
  for (const std::string& record : mixed_records()) {
    CHECK(record.front() == '\n');
    CHECK(record.back() == '\n');
    CHECK(std::count(record.begin(), record.end(), '\n') == 2);
    CHECK(record.size() - 2 <= journal_max_line);
  }
}

TEST_CASE("journal: every record type reads back as written", "[journal]") {
  Reader reader;
  reader.feed(encode_login("10.1.2.3", now));
  reader.feed(encode_login("2001:db8::1", 999'999'999'999'999'999));
  reader.feed(encode_clear("fe80::1"));
  reader.feed(encode_expire(now - 1800));
  reader.feed(encode_expire(0));
  CHECK(reader.records == std::vector<std::string>{
                              encode_login("10.1.2.3", now),
                              encode_login("2001:db8::1", 999'999'999'999'999'999),
                              encode_clear("fe80::1"), encode_expire(now - 1800),
                              encode_expire(0)});
  CHECK(reader.parser.records() == 5);
  CHECK(reader.parser.damaged_lines() == 0);
  CHECK(reader.state.records_applied() == 5);

  auto login = parse_journal_line("+ 10.1.2.3 1700000000 cd5eb3521c6dd6d3");
  REQUIRE(login);
  CHECK(login->op == JournalOp::login);
  CHECK(login->ip == "10.1.2.3");
  CHECK(login->time == now);
  std::string expire = encode_expire(42);
  auto cutoff = parse_journal_line(std::string_view(expire).substr(1, expire.size() - 2));
  REQUIRE(cutoff);
  CHECK(cutoff->op == JournalOp::expire);
  CHECK(cutoff->time == 42);
}

TEST_CASE("journal: writers refuse what readers would skip", "[journal]") {
  CHECK_THROWS_AS(encode_login("::ffff:10.1.2.3", now), StoreError);
  CHECK_THROWS_AS(encode_login("2001:DB8::1", now), StoreError);
  CHECK_THROWS_AS(encode_login("", now), StoreError);
  CHECK_THROWS_AS(encode_clear("10.1.2.3 "), StoreError);
  CHECK_THROWS_AS(encode_login("10.1.2.3", -1), StoreError);
  CHECK_THROWS_AS(encode_login("10.1.2.3", 1'000'000'000'000'000'000), StoreError);
  CHECK_THROWS_AS(encode_expire(-1), StoreError);
  CHECK_NOTHROW(encode_expire(999'999'999'999'999'999));
}

TEST_CASE("journal: only canonical addresses and times are records", "[journal]") {
  auto valid = [](std::string_view body) { return parsed(seal_journal_record(body)).size() == 1; };
  CHECK(valid("+ 10.1.2.3 1700000000"));
  CHECK(valid("+ 2001:db8::1 1700000000"));
  CHECK(valid("- 2001:db8::1"));
  CHECK(valid("< 0"));
  CHECK(valid("+ 10.1.2.3 999999999999999999"));
  // Addresses as other peers spell them: the reader takes only canonical_ip_text's spelling.
  CHECK_FALSE(valid("+ ::ffff:10.1.2.3 1700000000"));  // v4-mapped is the dotted quad
  CHECK_FALSE(valid("+ 2001:DB8::1 1700000000"));
  CHECK_FALSE(valid("+ 2001:0db8::1 1700000000"));
  CHECK_FALSE(valid("+ 2001:db8:0:0:0:0:0:1 1700000000"));
  CHECK_FALSE(valid("+ 010.1.2.3 1700000000"));
  CHECK_FALSE(valid("+ 10.1.2 1700000000"));
  CHECK_FALSE(valid("- ::ffff:10.1.2.3"));
  CHECK_FALSE(valid("- nobody"));
  // Times: the base's 18 digits at most, no sign, no leading zero.
  CHECK_FALSE(valid("+ 10.1.2.3 01700000000"));
  CHECK_FALSE(valid("+ 10.1.2.3 1000000000000000000"));
  CHECK_FALSE(valid("+ 10.1.2.3 -1"));
  CHECK_FALSE(valid("+ 10.1.2.3 +1"));
  CHECK_FALSE(valid("+ 10.1.2.3 "));
  CHECK_FALSE(valid("< 00"));
  CHECK_FALSE(valid("< "));
  CHECK_FALSE(valid("< 1x"));
  // Syntax: one space between fields, nothing more.
  CHECK_FALSE(valid("+ 10.1.2.3"));
  CHECK_FALSE(valid("+  10.1.2.3 1"));
  CHECK_FALSE(valid("+ 10.1.2.3  1"));
  CHECK_FALSE(valid("+ 10.1.2.3 1 "));
  CHECK_FALSE(valid("- 10.1.2.3 1"));
  CHECK_FALSE(valid("< 1 2"));
  CHECK_FALSE(valid("+10.1.2.3 1"));
  CHECK_FALSE(valid("* 10.1.2.3 1"));
  CHECK_FALSE(valid(""));
  CHECK_FALSE(valid("+"));
  CHECK_FALSE(valid(std::string_view("+ 10.1.2.3\0 1", 13)));
  CHECK_FALSE(valid(std::string_view("\0+ 10.1.2.3 1", 13)));
  CHECK_FALSE(valid("+ 10.1.2.3 1700000000\r"));
  // The checksum: 16 lowercase hex digits of what precedes it.
  std::string line = encode_login("10.1.2.3", now).substr(1);
  line.pop_back();
  CHECK(parse_journal_line(line));
  std::string upper = line;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
  CHECK(upper != line);
  CHECK_FALSE(parse_journal_line(upper));
  CHECK_FALSE(parse_journal_line(line.substr(0, line.size() - 1)));
  CHECK_FALSE(parse_journal_line(line + "0"));
  CHECK_FALSE(parse_journal_line(line + " "));
  CHECK_FALSE(parse_journal_line("+ 10.1.2.3 1700000000"));
  CHECK_FALSE(parse_journal_line(""));
}

TEST_CASE("journal: any one byte changed makes the record damage, and the next one still reads",
          "[journal]") {
  const std::string next = encode_login("10.7.7.7", now + 60);
  for (const std::string& record :
       {encode_login("10.1.2.3", now), encode_login("2001:db8::1:2:3", now + 1),
        encode_clear("192.168.0.7"), encode_expire(now - 1800)}) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      for (int value = 0; value < 256; ++value) {
        std::string changed = record;
        changed[i] = static_cast<char>(value);
        if (changed == record) continue;
        Reader reader;
        reader.feed(changed + next);
        INFO("record " << record << "byte " << i << " set to " << value);
        REQUIRE(reader.records == std::vector<std::string>{next});
        REQUIRE(reader.parser.damaged_lines() >= 1);
      }
    }
  }
}

TEST_CASE("journal: a journal cut at any byte gives exactly the records ended before the cut, "
          "and the records a writer appends after the cut all read",
          "[journal]") {
  const std::vector<std::string> records = mixed_records();
  const std::string bytes = joined(records);
  const std::vector<std::string> after = later_records();
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    INFO("cut at " << cut << " of " << bytes.size());
    const std::string_view kept = std::string_view(bytes).substr(0, cut);
    std::vector<std::string> ended;
    // A record cut just before its closing newline has all its bytes: the next record's
    // leading newline ends it, and it reads then (a writer retrying it only repeats it).
    std::optional<std::string> all_but_newline;
    std::size_t end = 0;
    for (const std::string& record : records) {
      end += record.size();
      if (end <= cut) ended.push_back(record);
      if (end == cut + 1) all_but_newline = record;
    }

    Reader reader;
    reader.feed(kept);
    const std::uint64_t consumed = reader.parser.consumed();
    REQUIRE(reader.records == ended);
    REQUIRE(reader.parser.damaged_lines() == 0);
    REQUIRE(consumed == last_newline_end(kept));
    REQUIRE(reader.parser.pending() == cut - consumed);

    // The writer, after the power cut, appends to the torn file: the torn tail is at most one
    // damaged line, ended by the first new record's leading newline.
    reader.feed(joined(after));
    std::vector<std::string> all = ended;
    if (all_but_newline) all.push_back(*all_but_newline);
    all.insert(all.end(), after.begin(), after.end());
    REQUIRE(reader.records == all);
    const bool torn = cut != consumed && !all_but_newline;
    REQUIRE(reader.parser.damaged_lines() == (torn ? 1u : 0u));
    REQUIRE(reader.parser.pending() == 0);

    // A reader that starts afresh where the first had consumed up to reads the same after it.
    Reader resumed;
    resumed.feed(std::string(kept.substr(consumed)) + joined(after));
    REQUIRE(resumed.records == std::vector<std::string>(all.begin() + std::ssize(ended), all.end()));
    REQUIRE(resumed.parser.damaged_lines() == reader.parser.damaged_lines());
  }
}

TEST_CASE("journal: zeros where data never reached the disk are one damaged line", "[journal]") {
  const std::string first = encode_login("10.1.2.3", now);
  const std::string second = encode_login("2001:db8::1", now + 1);
  for (std::size_t zeros : {1u, 2u, 16u, 127u, 128u, 129u, 4096u, 70000u}) {
    INFO(zeros << " zero bytes");
    Reader reader;
    reader.feed(first + std::string(zeros, '\0') + second);
    CHECK(reader.records == std::vector<std::string>{first, second});
    CHECK(reader.parser.damaged_lines() == 1);
    CHECK(reader.parser.buffered() <= journal_max_line);

    // The whole of the first record's block zeroed, and zeros after a torn record.
    Reader zeroed;
    zeroed.feed(std::string(zeros, '\0') + second);
    CHECK(zeroed.records == std::vector<std::string>{second});
    Reader torn;
    torn.feed(first.substr(0, first.size() / 2) + std::string(zeros, '\0') + second);
    CHECK(torn.records == std::vector<std::string>{second});
    CHECK(torn.parser.damaged_lines() == 1);
  }
}

TEST_CASE("journal: bytes fed in chunks of any size read as when fed at once", "[journal]") {
  // Records with damage between them: zeros, a bad line, a long one; and a tail still being
  // written.
  const std::vector<std::string> records = mixed_records();
  std::string bytes;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i == 7) bytes += std::string(300, '\0');
    if (i == 13) bytes += "\ngarbage\n\n\n" + std::string(1000, 'x');
    bytes += records[i];
  }
  bytes += encode_login("10.1.2.3", now).substr(0, 20);

  Reader whole;
  whole.feed(bytes);
  REQUIRE(whole.records == records);
  REQUIRE(whole.parser.damaged_lines() == 3);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 128u, 129u}) {
    INFO("chunks of " << chunk);
    Reader chunked;
    chunked.feed_in_chunks(bytes, chunk);
    CHECK(chunked.records == whole.records);
    CHECK(chunked.parser.damaged_lines() == whole.parser.damaged_lines());
    CHECK(chunked.parser.consumed() == whole.parser.consumed());
    CHECK(chunked.parser.pending() == whole.parser.pending());
    CHECK(entries(chunked.state) == entries(whole.state));
    CHECK(chunked.state.max_cutoff() == whole.state.max_cutoff());
  }
}

TEST_CASE("journal: a line of garbage without end holds bounded memory, the record after it reads",
          "[journal]") {
  const std::string garbage(1 << 20, 'x');
  const std::string record = encode_login("10.1.2.3", now);
  for (std::size_t chunk : {std::size_t{4096}, garbage.size()}) {
    Reader reader;
    reader.feed("\n");
    for (std::size_t at = 0; at < garbage.size(); at += chunk) {
      reader.feed(std::string_view(garbage).substr(at, chunk));
      REQUIRE(reader.parser.buffered() <= journal_max_line);
    }
    CHECK(reader.parser.pending() == garbage.size());
    CHECK(reader.parser.consumed() == 1);
    CHECK(reader.parser.damaged_lines() == 0);  // not ended: perhaps still being written
    reader.feed(record);
    CHECK(reader.records == std::vector<std::string>{record});
    CHECK(reader.parser.damaged_lines() == 1);
    CHECK(reader.parser.buffered() == 0);
  }
  // Just over the limit, ended in the same chunk, is damage too.
  CHECK(parsed(std::string(journal_max_line + 1, 'y') + "\n" + record).size() == 1);
}

TEST_CASE("journal: the latest record for an IP decides, expires apply to what precedes them",
          "[journal]") {
  JournalState state;
  auto apply = [&](const std::string& bytes) {
    JournalParser parser;
    parser.feed(bytes, state.sink());
    REQUIRE(parser.records() == 1);
  };
  auto time_of = [&](std::string_view ip) -> std::optional<std::int64_t> {
    auto entry = state.entry_for(ip);
    REQUIRE(entry);
    return entry->last_login;
  };

  CHECK_FALSE(state.entry_for("10.1.2.3"));
  CHECK_FALSE(state.max_cutoff());
  apply(encode_login("10.1.2.3", 100));
  CHECK(time_of("10.1.2.3") == 100);
  apply(encode_clear("10.1.2.3"));
  CHECK(time_of("10.1.2.3") == std::nullopt);  // gone, not "ask the base"
  apply(encode_login("10.1.2.3", 90));         // a clock gone back: the latest login still wins
  CHECK(time_of("10.1.2.3") == 90);

  apply(encode_expire(89));
  CHECK(time_of("10.1.2.3") == 90);
  apply(encode_expire(90));  // cutoff >= time: gone
  CHECK(time_of("10.1.2.3") == std::nullopt);
  apply(encode_login("10.1.2.3", 80));  // a login after the expire is not touched by it
  CHECK(time_of("10.1.2.3") == 80);
  CHECK(state.max_cutoff() == 90);

  // A small cutoff after a large one: a login between them meets only the small one.
  apply(encode_login("10.2.2.2", 50));
  apply(encode_expire(10));
  CHECK(time_of("10.2.2.2") == 50);
  CHECK(time_of("10.1.2.3") == 80);
  CHECK(state.max_cutoff() == 90);
  apply(encode_login("10.3.3.3", 5));
  CHECK(time_of("10.3.3.3") == 5);
  apply(encode_expire(5));
  CHECK(time_of("10.3.3.3") == std::nullopt);
  CHECK(time_of("10.2.2.2") == 50);

  apply(encode_clear("10.4.4.4"));  // a clear of an IP the journal never saw logging in
  CHECK(time_of("10.4.4.4") == std::nullopt);
  CHECK(state.records_applied() == 11);
  CHECK(state.ips() == 4);
  CHECK(entries(state) == std::vector<std::pair<std::string, std::optional<std::int64_t>>>{
                              {"10.1.2.3", 80},
                              {"10.2.2.2", 50},
                              {"10.3.3.3", std::nullopt},
                              {"10.4.4.4", std::nullopt}});
}

TEST_CASE("journal: resolve puts the journal over the base, the base filtered by every expire",
          "[journal]") {
  JournalState state;
  JournalParser parser;
  parser.feed(encode_login("10.1.2.3", 100) + encode_clear("10.2.2.2") + encode_expire(60) +
                  encode_expire(30) + encode_login("10.5.5.5", 20),
              state.sink());
  REQUIRE(state.records_applied() == 5);
  // Named by the journal: the base's answer does not matter.
  CHECK(state.resolve("10.1.2.3", 500) == 100);
  CHECK(state.resolve("10.1.2.3", std::nullopt) == 100);
  CHECK(state.resolve("10.2.2.2", 500) == std::nullopt);
  CHECK(state.resolve("10.5.5.5", std::nullopt) == 20);  // after both expires
  // Not named: the base's entry, unless the largest cutoff (60, not the last one, 30) took it.
  CHECK(state.max_cutoff() == 60);
  CHECK(state.resolve("10.9.9.9", std::nullopt) == std::nullopt);
  CHECK(state.resolve("10.9.9.9", 61) == 61);
  CHECK(state.resolve("10.9.9.9", 60) == std::nullopt);
  CHECK(state.resolve("10.9.9.9", 45) == std::nullopt);
  JournalState empty;
  CHECK(empty.resolve("10.9.9.9", 0) == 0);
  CHECK(empty.resolve("10.9.9.9", std::nullopt) == std::nullopt);
}

TEST_CASE("journal: resolve agrees with replaying every record on a copy of the base",
          "[journal]") {
  const std::vector<std::string> ips = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1",
                                        "2001:db8::2", "::1"};
  std::mt19937 random(20261130);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  for (int round = 0; round < 300; ++round) {
    std::map<std::string, std::int64_t> base;
    for (const auto& ip : ips)
      if (pick(2)) base[ip] = pick(100);
    std::map<std::string, std::int64_t> replayed = base;
    JournalState state;
    JournalParser parser;
    const int count = pick(40);
    for (int i = 0; i < count; ++i) {
      const std::string& ip = ips[static_cast<std::size_t>(pick(static_cast<int>(ips.size())))];
      const int kind = pick(10);
      std::string record;
      if (kind < 6) {
        const std::int64_t time = pick(100);
        replayed[ip] = time;
        record = encode_login(ip, time);
      } else if (kind < 8) {
        replayed.erase(ip);
        record = encode_clear(ip);
      } else {
        const std::int64_t cutoff = pick(100);
        std::erase_if(replayed, [&](const auto& entry) { return entry.second <= cutoff; });
        record = encode_expire(cutoff);
      }
      parser.feed(record, state.sink());
    }
    REQUIRE(state.records_applied() == static_cast<std::uint64_t>(count));
    for (const auto& ip : ips) {
      INFO("round " << round << " ip " << ip);
      std::optional<std::int64_t> base_time;
      if (auto it = base.find(ip); it != base.end()) base_time = it->second;
      std::optional<std::int64_t> expected;
      if (auto it = replayed.find(ip); it != replayed.end()) expected = it->second;
      REQUIRE(state.resolve(ip, base_time) == expected);
    }
  }
}

TEST_CASE("journal: a sink that throws leaves the parser just after its record", "[journal]") {
  const std::vector<std::string> records = {encode_login("10.1.2.3", now), encode_clear("::1"),
                                            encode_expire(now)};
  const std::string bytes = joined(records);
  JournalParser parser;
  int calls = 0;
  auto failing = [&](const JournalRecord&) {
    if (++calls == 2) throw std::runtime_error("state full");
  };
  CHECK_THROWS_AS(parser.feed(bytes, failing), std::runtime_error);
  CHECK(parser.consumed() == records[0].size() + records[1].size());
  CHECK(parser.pending() == 0);
  Reader rest;
  rest.feed(std::string_view(bytes).substr(parser.consumed()));
  CHECK(rest.records == std::vector<std::string>{records[2]});
}

TEST_CASE("journal: a parser only about one IP skips the other IPs' lines unchecked, and "
          "answers that IP as a full one does", "[journal]") {
  const std::string mine = "10.0.0.1";
  const std::string bytes = encode_login("10.0.0.10", now) + encode_login(mine, now - 50) +
                            "\n+ 10.0.0.2 garbage\n" + encode_clear("::1") +
                            encode_expire(now - 100) + "\n+ 10.0.0.1 17000\n" +
                            encode_login("10.0.0.3", now - 200) + encode_clear(mine) +
                            encode_login(mine, now);
  Reader full, only;
  only.parser.only_about(mine);
  full.feed(bytes);
  only.feed_in_chunks(bytes, 7);
  // 10.0.0.10 shares 10.0.0.1's first characters: skipped all the same.
  CHECK(only.records == std::vector<std::string>{encode_login(mine, now - 50), encode_expire(now - 100),
                                                 encode_clear(mine), encode_login(mine, now)});
  CHECK(only.parser.damaged_lines() == 1);  // its own forged line; not 10.0.0.2's
  CHECK(full.parser.damaged_lines() == 2);
  CHECK(only.parser.consumed() == full.parser.consumed());
  for (std::int64_t cut = 0; cut < 6; ++cut) {
    const std::optional<std::int64_t> base = now - 100 - cut + 3;
    CHECK(only.state.resolve(mine, base) == full.state.resolve(mine, base));
  }
  CHECK(only.state.entry_for("10.0.0.3") == std::nullopt);
}
