// The store helper protocol (rules/roaming/socketmap.h). The input is a byte stream as
// tcpserver or the helper reads it; a few bytes from its end say where the reads split it.
// Properties: the netstrings read the same whatever the split, each within the limit, and
// written again they are the stream's start; requests, replies and the relay map's data that
// parse are written back to the same bytes, and what is written parses back (parse(format(x))
// == x) for values built from the same bytes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/roaming/socketmap.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

struct Stream {
  std::vector<std::string> payloads;
  bool malformed = false;
};

Stream read_stream(std::string_view bytes, const std::vector<std::size_t>& cuts) {
  Stream out;
  NetstringReader reader(socketmap_max_payload);
  fuzz::feed_in_chunks(bytes, cuts, [&](std::string_view chunk) {
    reader.feed(chunk);
    std::string payload;
    NetstringReader::Status status;
    while ((status = reader.next(payload)) == NetstringReader::Status::ready)
      out.payloads.push_back(payload);
    if (status == NetstringReader::Status::malformed) out.malformed = true;
    return false;
  });
  return out;
}

// The payload of one netstring that netstring() wrote.
std::string payload_of(const std::string& written) {
  NetstringReader reader(written.size());
  reader.feed(written);
  std::string payload;
  FUZZ_CHECK(reader.next(payload) == NetstringReader::Status::ready);
  return payload;
}

void check_payload(const std::string& payload) {
  if (auto request = parse_socketmap_request(payload)) {
    FUZZ_CHECK(!request->map.empty() && !request->key.empty());
    FUZZ_CHECK(request->map.find(' ') == std::string::npos);
    FUZZ_CHECK(socketmap_request(request->map, request->key) == netstring(payload));
  }
  if (auto reply = parse_socketmap_reply(payload)) {
    const std::string again = payload_of(socketmap_reply(*reply));
    const auto reparsed = parse_socketmap_reply(again);
    FUZZ_CHECK(reparsed && reparsed->status == reply->status && reparsed->data == reply->data);
    // Written as read, but for NOTFOUND's optional space and an empty data's.
    FUZZ_CHECK(again == payload || again == payload + " ");
  }
  if (auto login = parse_last_login(payload)) {
    FUZZ_CHECK(format_last_login(*login) == payload);
    FUZZ_CHECK(login->permanent || login->seconds >= 0);
  }
}

// Values built from the input: map and key split at the stream's first space, the rest from
// the integers taken off its end.
void check_built(const std::string& stream, SocketmapStatus status, const LastLogin& login) {
  const std::size_t space = std::min(stream.find(' '), std::size_t{20});
  const std::string map = stream.substr(0, space);
  const std::string key = stream.substr(std::min(space + 1, stream.size()), 100);
  if (!map.empty() && !key.empty() && map.find(' ') == std::string::npos) {
    const auto request = parse_socketmap_request(payload_of(socketmap_request(map, key)));
    FUZZ_CHECK(request && request->map == map && request->key == key);
  }
  const SocketmapReply reply{status, status == SocketmapStatus::notfound ? "" : key};
  const auto parsed = parse_socketmap_reply(payload_of(socketmap_reply(reply)));
  FUZZ_CHECK(parsed && parsed->status == reply.status && parsed->data == reply.data);
  const auto read = parse_last_login(format_last_login(login));
  FUZZ_CHECK(read && read->permanent == login.permanent &&
             (login.permanent || read->seconds == login.seconds));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider provider(bytes, size);
  const std::vector<std::size_t> cuts = fuzz::take_cuts(provider, 6);
  const auto status = static_cast<SocketmapStatus>(provider.ConsumeIntegralInRange(0, 4));
  const bool permanent = provider.ConsumeBool();
  const LastLogin login{permanent,
                        permanent ? 0 : provider.ConsumeIntegralInRange<std::int64_t>(
                                            0, 999'999'999'999'999'999)};
  const std::string stream = provider.ConsumeRemainingBytesAsString();
  check_built(stream, status, login);

  const Stream whole = read_stream(stream, {});
  const Stream split = read_stream(stream, cuts);
  FUZZ_CHECK(split.payloads == whole.payloads);
  FUZZ_CHECK(split.malformed == whole.malformed);
  std::string rewritten;
  for (const std::string& payload : whole.payloads) {
    FUZZ_CHECK(payload.size() <= socketmap_max_payload);
    rewritten += netstring(payload);
    check_payload(payload);
  }
  FUZZ_CHECK(std::string_view(stream).starts_with(rewritten));
  // Each payload alone, too: a helper's whole reply, or a request's key.
  check_payload(stream.substr(0, socketmap_max_payload));
  return 0;
}
