// tcprulescheck rules.cdb: print which rule tcpserver would apply to the client described by
// $TCPREMOTEIP, $TCPREMOTEHOST and $TCPREMOTEINFO. Output as djb's.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "rules/cdb/cdb_file.h"
#include "rules/cidr_key.h"
#include "rules/client_ip.h"
#include "rules/base/ip_address.h"
#include "rules/base/messages.h"
#include "rules/rule_data.h"
#include "rules/rules_lookup.h"
#include "rules/base/write_all.h"

using namespace ucspi;

namespace {

std::optional<std::string_view> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(value);
}

// A CIDR key prints as the network it stands for, e.g. "10.1.0.0/16".
std::string display_key(const RuleMatch& match, std::string_view ip) {
  if (match.cidr_prefix < 0) return match.key;
  auto bits = static_cast<unsigned>(match.cidr_prefix);
  std::string text;
  if (auto v4 = parse_ip4(ip)) {
    Ip4 net{};
    for (unsigned i = 0; i < bits; ++i)
      if ((*v4)[i / 8] & (0x80 >> (i % 8))) net[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    text = format_ip4(net);
  } else if (auto v6 = parse_ip6(ip)) {
    Ip6 net{};
    for (unsigned i = 0; i < bits; ++i)
      if ((*v6)[i / 8] & (0x80 >> (i % 8))) net[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    text = format_ip6_rfc5952(net);
  }
  return text + "/" + std::to_string(bits);
}

void put(std::string& out, std::string_view text) { out.append(text); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die(100, {"tcprulescheck: usage: tcprulescheck rules.cdb"});
  const char* path = argv[1];

  // djb looks the text up as given; we look it up as tcpserver would have presented it.
  std::string ip = client_ip_text(env("TCPREMOTEIP").value_or("0.0.0.0"));
  Client client{ip, env("TCPREMOTEHOST"), env("TCPREMOTEINFO")};

  CdbReader cdb;
  RuleMatch match;
  int err = cdb.open(path, CdbMapping::private_copy);
  if (err == 0) err = find_rule(cdb, client, match);
  if (err != 0) die_sys(err, {"tcprulescheck: fatal: unable to read ", path});

  std::string out;
  if (!match.found) {
    put(out, "default:\nallow connection\n");
  } else {
    put(out, "rule ");
    put(out, display_key(match, ip));
    put(out, ":\n");
    bool denied = false;
    for_each_rule_entry(match.data, [&](std::string_view entry) {
      if (!entry.empty() && entry.front() == 'D') {
        denied = true;
        return false;  // djb prints the deny and exits at once
      }
      if (!entry.empty() && entry.front() == '+') {
        put(out, "set environment variable ");
        put(out, entry.substr(1));
        put(out, "\n");
      }
      return true;
    });
    put(out, denied ? "deny connection\n" : "allow connection\n");
  }
  return write_all(1, out) == 0 ? 0 : 111;
}
