// The PROXY protocol header parser (tcpserver/proxy_header.h). The input is what a balancer
// sent; two bytes taken from its end say where a read might have stopped. Properties the
// reader (proxy_reader.h) relies on: a verdict on a prefix is final (invalid stays invalid and
// a header stays the same header whatever follows), "need more" means every byte seen is the
// header's (so consuming them eats no application byte), and a header's length stays inside
// what was given and inside the spec's bounds.
#include <cstdint>
#include <string>
#include <string_view>

#include "tcpserver/proxy_header.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

using Status = ProxyParse::Status;

bool same_header(const ProxyHeader& a, const ProxyHeader& b) {
  return a.version == b.version && a.command == b.command && a.length == b.length &&
         a.source == b.source && a.destination == b.destination;
}

void check_bounds(std::string_view input, const ProxyHeader& h) {
  FUZZ_CHECK(h.length <= input.size());
  if (h.version == 1) {
    FUZZ_CHECK(h.length >= 15 && h.length <= proxy_v1_max_length);  // "PROXY UNKNOWN\r\n"
    FUZZ_CHECK(input.substr(0, 6) == "PROXY ");
    FUZZ_CHECK(input.substr(h.length - 2, 2) == "\r\n");
    FUZZ_CHECK(input.substr(0, h.length - 2).find_first_of("\r\n") == std::string_view::npos);
  } else {
    FUZZ_CHECK(h.version == 2);
    FUZZ_CHECK(h.length >= proxy_v2_fixed_length && h.length <= proxy_v2_max_length);
  }
  if (h.command == ProxyHeader::Command::proxied)
    FUZZ_CHECK(h.source.ipv6 == h.destination.ipv6);
  else
    FUZZ_CHECK(h.source == ProxyPeer{} && h.destination == ProxyPeer{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider provider(bytes, size);
  const std::size_t cut_at = provider.ConsumeIntegral<std::uint16_t>();
  const std::string input = provider.ConsumeRemainingBytesAsString();
  const std::string_view whole(input);
  const std::string_view prefix = whole.substr(0, cut_at);

  const ProxyParse all = parse_proxy_header(whole);
  const ProxyParse part = parse_proxy_header(prefix);

  if (all.status == Status::invalid) FUZZ_CHECK(!all.reason.empty());
  if (all.status == Status::need_more) FUZZ_CHECK(part.status == Status::need_more);
  if (part.status == Status::invalid) FUZZ_CHECK(all.status == Status::invalid);
  if (part.status == Status::done) {
    FUZZ_CHECK(all.status == Status::done);
    FUZZ_CHECK(same_header(all.header, part.header));
  }
  if (all.status == Status::done) {
    check_bounds(whole, all.header);
    // The header alone reads the same, and any shorter part of it needs more.
    const std::string_view header = whole.substr(0, all.header.length);
    const ProxyParse exact = parse_proxy_header(header);
    FUZZ_CHECK(exact.status == Status::done && same_header(exact.header, all.header));
    if (prefix.size() < header.size()) FUZZ_CHECK(part.status == Status::need_more);
  }
  return 0;
}
