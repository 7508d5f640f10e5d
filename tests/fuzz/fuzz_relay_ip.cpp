// relay-allow's client IP (-i, $TCPREMOTEIP or $IP): tools/relay-allow.cpp keeps what
// canonical_ip_text (rules/base/ip_address.h) makes of the C string it is given, and stores
// it as the roaming key; tcpserver later asks the store for the key of the client's binary
// address (rules/client_ip.h, then canonical_ip_text) in a socketmap request. Also -m, through
// parse_mode (tools/tool_args.h). Properties: the stored key is non-empty, canonical, and the
// key tcpserver asks for when that client connects, over IPv4 or a dual-stack socket, with or
// without -6; the request carrying it reads back; a mode is at most 0777 and reads back from
// its octal text.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "rules/base/ip_address.h"
#include "rules/client_ip.h"
#include "rules/roaming/socketmap.h"
#include "tests/fuzz/fuzz_support.h"
#include "tools/tool_args.h"

using namespace ucspi;

namespace {

// What tcpserver would ask the store for, given the text it presents the client by.
std::optional<std::string> tcpserver_key(const std::string& presented) {
  return canonical_ip_text(presented);
}

void check_key(std::string_view given, const std::string& key) {
  FUZZ_CHECK(!key.empty());
  FUZZ_CHECK(key.find_first_of(std::string_view(" \0\n", 3)) == std::string::npos);
  FUZZ_CHECK(canonical_ip_text(key) == key);
  if (const auto v4 = parse_ip4(given)) {
    FUZZ_CHECK(tcpserver_key(client_ip_text(*v4)) == key);
    const Ip6 mapped = mapped_of_v4(*v4);
    FUZZ_CHECK(tcpserver_key(client_ip_text(mapped, false)) == key);
    FUZZ_CHECK(tcpserver_key(client_ip_text(mapped, true)) == key);
  } else {
    const auto v6 = parse_ip6(given);
    FUZZ_CHECK(v6.has_value());
    FUZZ_CHECK(tcpserver_key(client_ip_text(*v6, false)) == key);
    FUZZ_CHECK(tcpserver_key(client_ip_text(*v6, true)) == key);
  }
  // tcprulescheck and a helper see TCPREMOTEIP text: the same key from it.
  FUZZ_CHECK(tcpserver_key(client_ip_text(given)) == key);

  NetstringReader reader(socketmap_max_payload);
  reader.feed(socketmap_request(relay_map, key));
  std::string payload;
  FUZZ_CHECK(reader.next(payload) == NetstringReader::Status::ready);
  const auto request = parse_socketmap_request(payload);
  FUZZ_CHECK(request && request->map == relay_map && request->key == key);
}

void check_mode(std::string_view text) {
  const std::optional<mode_t> mode = parse_mode(text);
  if (!mode) return;
  FUZZ_CHECK(*mode <= 0777);
  FUZZ_CHECK(text.size() >= 1 && text.size() <= 4);
  char octal[8];
  std::snprintf(octal, sizeof octal, "%o", static_cast<unsigned>(*mode));
  FUZZ_CHECK(parse_mode(octal) == mode);
  FUZZ_CHECK(parse_mode("0" + std::string(octal)) == mode);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view given = fuzz::bytes_of(bytes, size);
  given = given.substr(0, given.find('\0'));  // an argument or a variable: a C string
  check_mode(given);
  if (given.empty()) return 0;  // refused before canonical_ip_text ("is empty")
  const std::optional<std::string> key = canonical_ip_text(given);
  if (key) check_key(given, *key);
  else FUZZ_CHECK(!parse_ip4(given) && !parse_ip6(given));
  return 0;
}
