// The ident reply parser (IdentQuery::Parser, tcpserver/ident_query.h). The input is the reply;
// a few bytes taken from its end say where the reads split it. Properties: the reply split at
// any points reads as it does in one piece (the parser stops at the chunk that completes it,
// as the query stops reading), and the user text is bounded as the header says: complete at a
// newline or at 257 bytes, without blanks or CRs, after the third ':'.
#include <cstdint>
#include <string>
#include <vector>

#include "tcpserver/ident_query.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

struct Reading {
  bool complete = false;
  IdentQuery::Parser parser;
};

Reading read_in_chunks(std::string_view reply, const std::vector<std::size_t>& cuts) {
  Reading out;
  out.complete = fuzz::feed_in_chunks(reply, cuts, [&](std::string_view chunk) {
    return out.parser.feed(chunk);
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider provider(bytes, size);
  const std::vector<std::size_t> cuts = fuzz::take_cuts(provider, 8);
  const std::string reply = provider.ConsumeRemainingBytesAsString();

  const Reading whole = read_in_chunks(reply, {});
  const Reading split = read_in_chunks(reply, cuts);
  FUZZ_CHECK(split.complete == whole.complete);
  FUZZ_CHECK(split.parser.text == whole.parser.text);
  FUZZ_CHECK(split.parser.colons == whole.parser.colons);

  const std::string& text = whole.parser.text;
  FUZZ_CHECK(text.size() <= 257);
  FUZZ_CHECK(whole.complete || text.size() <= 256);
  FUZZ_CHECK(text.size() < 257 || whole.complete);
  FUZZ_CHECK(whole.parser.colons >= 0 && whole.parser.colons <= 3);
  FUZZ_CHECK(text.empty() || whole.parser.colons == 3);
  FUZZ_CHECK(text.find_first_of(" \t\r\n") == std::string::npos);
  // Incomplete means every byte was read without a newline and without reaching the bound.
  if (!whole.complete) FUZZ_CHECK(reply.find('\n') == std::string::npos);
  return 0;
}
