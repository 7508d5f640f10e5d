// tcprules' compiler (rules/rules_compiler.h) over a whole rules text, into a cdb in a memfd,
// then read back with CdbReader and find_rule (rules/rules_lookup.h). The oracle is the same
// text parsed line by line (rule_line.h, rule_keys.h) into a map of each key's first value:
// the compiler must stop at the same bad line, every key must read back with its first
// value, the open-relay warning must match, and find_rule must answer a few clients (taken
// from the rules and fixed ones) as the lookup order over the map does.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/ip_address.h"
#include "rules/client_ip.h"
#include "rules/rule_keys.h"
#include "rules/rule_line.h"
#include "rules/rules_compiler.h"
#include "rules/rules_lookup.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

struct Expected {
  bool bad = false;
  std::string bad_line;
  std::map<std::string, std::string, std::less<>> first_value;  // key -> its first value
  std::vector<std::string> addresses;               // of the rules, in order
};

Expected compile_in_memory(std::string_view text) {
  Expected out;
  RuleLine rule;
  AddressKeys keys;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    text.remove_prefix(raw.size());
    const LineKind kind = parse_rule_line(raw, rule);
    if (kind == LineKind::skipped) continue;
    if (kind == LineKind::bad || !expand_address(rule.address, keys)) {
      out.bad = true;
      out.bad_line = rule.text.substr(0, rule.text.find('\0'));
      return out;
    }
    out.addresses.emplace_back(rule.address);
    for (const std::string& key : keys.keys) out.first_value.emplace(key, rule.data);
  }
  return out;
}

bool opens_relay(const Expected& expected) {
  for (const char* key : {"", "=", "_", "^"}) {
    auto it = expected.first_value.find(key);
    if (it == expected.first_value.end() || it->second.starts_with(std::string_view("D", 2)))
      continue;
    if ((std::string(1, '\0') + it->second).find(std::string("\0+RELAYCLIENT=", 14)) !=
        std::string::npos)
      return true;
  }
  return false;
}

// Clients whose lookups reach the rules: each rule's own address taken as an IP, an info@IP
// or a =host, and a few fixed ones.
std::vector<std::string> client_parts(const Expected& expected) {
  std::vector<std::string> parts = {"10.0.0.1", "2001:db8::1"};
  for (const std::string& address : expected.addresses) {
    if (parts.size() >= 6) break;
    parts.push_back(address);
  }
  return parts;
}

void check_client(CdbReader& cdb, const Expected& expected, const Client& client) {
  RuleMatch match;
  FUZZ_CHECK(find_rule(cdb, client, match) == 0);
  bool found = false;
  std::string key;
  int prefix = -1;
  for_each_candidate(client, [&](const Candidate& candidate) {
    if (expected.first_value.find(candidate.key) == expected.first_value.end()) return false;
    found = true;
    key = candidate.key;
    prefix = candidate.cidr_prefix;
    return true;
  });
  FUZZ_CHECK(match.found == found);
  if (!found) return;
  FUZZ_CHECK(match.key == key);
  FUZZ_CHECK(match.cidr_prefix == prefix);
  FUZZ_CHECK(match.data == expected.first_value.at(key));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static fuzz::MemFile rules_text("rules");
  static fuzz::MemFile rules_cdb("rules.cdb");
  const std::string_view text = fuzz::bytes_of(bytes, size);
  rules_text.assign(text);
  rules_cdb.clear();

  CompileOutcome outcome;
  {
    CdbWriter writer(rules_cdb.fd());
    FUZZ_CHECK(writer.start_error() == 0);
    outcome = compile_rules(rules_text.fd(), writer, [](std::string_view) {});
    // Finished even after a bad line: tinycdb frees its lists only there (cdb_file.cpp).
    const bool finished = writer.finish();
    FUZZ_CHECK(finished || outcome.status != CompileOutcome::Status::ok);
  }
  const Expected expected = compile_in_memory(text);
  FUZZ_CHECK((outcome.status == CompileOutcome::Status::bad_line) == expected.bad);
  if (expected.bad) {
    FUZZ_CHECK(outcome.bad_line == expected.bad_line);
    return 0;
  }
  FUZZ_CHECK(outcome.status == CompileOutcome::Status::ok);
  FUZZ_CHECK(outcome.open_relay == opens_relay(expected));

  CdbReader cdb;
  FUZZ_CHECK(cdb.open(rules_cdb.path()) == 0);
  std::size_t checked = 0;
  for (const auto& [key, value] : expected.first_value) {
    if (++checked > 64) break;
    std::string_view data;
    FUZZ_CHECK(cdb.find(key, data) == 1);
    FUZZ_CHECK(data == value);
  }

  for (const std::string& part : client_parts(expected)) {
    // As an IP (TCPREMOTEIP as tcpserver would show it), then split as info@ip or =host.
    const std::string ip = client_ip_text(std::string_view(part));
    check_client(cdb, expected, Client{ip, std::nullopt, std::nullopt});
    const std::size_t at = part.rfind('@');
    if (at != std::string::npos) {
      const std::string info_ip = client_ip_text(std::string_view(part).substr(at + 1));
      check_client(cdb, expected, Client{info_ip, std::nullopt, part.substr(0, at)});
    }
    if (part.starts_with('=')) {
      const std::string_view host = std::string_view(part).substr(1);
      check_client(cdb, expected, Client{"192.0.2.1", host, "joe"});
    }
  }
  return 0;
}
