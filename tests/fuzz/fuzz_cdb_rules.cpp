// tcpserver's -x lookup over arbitrary bytes taken as a rules cdb: CdbReader
// (rules/cdb/cdb_file.h), find_rule (rules/rules_lookup.h), and the value decoder
// (for_each_rule_entry and split_env_entry, rules/rule_data.h) on what it finds. Properties:
// every record for_each visits lies within the file; find_rule answers with the first
// candidate of the lookup order that CdbReader::find finds, with that record's data, and an
// error when a find before it met corruption; a record's own key, looked up as a client IP,
// is found when it is the first candidate; the decoder walks the data's entries exactly.
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/cdb/cdb_file.h"
#include "rules/rule_data.h"
#include "rules/rules_lookup.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

// What tcpserver does with a rule's value: deny, or set variables.
void decode(std::string_view data) {
  std::size_t walked = 0;
  for_each_rule_entry(data, [&](std::string_view entry) {
    FUZZ_CHECK(entry.find('\0') == std::string_view::npos);
    walked += entry.size() + 1;
    RuleEnv env;
    if (split_env_entry(entry, env)) {
      FUZZ_CHECK(env.name.find('=') == std::string_view::npos);
      FUZZ_CHECK(env.name.size() + env.value.size() + 2 == entry.size());
      FUZZ_CHECK(entry[0] == '+' && entry[1 + env.name.size()] == '=');
    } else {
      FUZZ_CHECK(entry.empty() || entry[0] != '+' || entry.find('=') == std::string_view::npos);
    }
    return true;
  });
  // Bytes after the last NUL are no entry.
  FUZZ_CHECK(walked == (data.rfind('\0') == std::string_view::npos ? 0 : data.rfind('\0') + 1));
}

void check_client(CdbReader& cdb, const Client& client) {
  // The oracle: the lookup order, against CdbReader::find.
  bool corrupt = false;
  bool found = false;
  std::string hit_key;  // a candidate's key lives only as long as its visit
  int hit_prefix = -1;
  std::string_view hit_data;
  for_each_candidate(client, [&](const Candidate& candidate) {
    std::string_view data;
    const int r = cdb.find(candidate.key, data);
    if (r < 0) return corrupt = true;
    if (r == 0) return false;
    found = true;
    hit_key = candidate.key;
    hit_prefix = candidate.cidr_prefix;
    hit_data = data;
    return true;
  });

  RuleMatch match;
  const int error = find_rule(cdb, client, match);
  FUZZ_CHECK(error == (corrupt ? EPROTO : 0));
  if (corrupt) return;
  FUZZ_CHECK(match.found == found);
  if (!found) return;
  FUZZ_CHECK(match.key == hit_key && match.cidr_prefix == hit_prefix);
  FUZZ_CHECK(match.data == hit_data);
  decode(match.data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static fuzz::MemFile file("fuzz.cdb");
  file.assign(fuzz::bytes_of(bytes, size));
  CdbReader cdb;
  if (cdb.open(file.path()) != 0) return 0;

  std::vector<std::string> keys;
  std::size_t records = 0;
  cdb.for_each([&](std::string_view key, std::string_view data) {
    FUZZ_CHECK(key.size() + data.size() <= size);
    decode(data);
    if (keys.size() < 4) keys.emplace_back(key);
    return ++records < 10000;
  });

  for (const char* ip : {"10.0.0.1", "2001:db8::1"})
    check_client(cdb, Client{ip, std::nullopt, std::nullopt});
  check_client(cdb, Client{"192.0.2.7", "mail.example.com", "joe"});
  for (const std::string& key : keys) {
    const Client client{key, std::nullopt, std::nullopt};
    check_client(cdb, client);
    // A key that is the first candidate of its own client is that client's rule, if readable.
    std::string first;
    for_each_candidate(client, [&](const Candidate& candidate) {
      first = candidate.key;
      return true;
    });
    std::string_view data;
    RuleMatch match;
    if (first == key && cdb.find(key, data) == 1 && find_rule(cdb, client, match) == 0)
      FUZZ_CHECK(match.found && match.key == key && match.data == data);
    const std::size_t at = key.rfind('@');
    if (at != std::string::npos)
      check_client(cdb, Client{std::string_view(key).substr(at + 1), std::nullopt,
                               std::string_view(key).substr(0, at)});
  }
  return 0;
}
