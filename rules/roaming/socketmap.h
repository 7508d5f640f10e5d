// The protocol between tcpserver and a store helper program (doc/store-helper-protocol.md):
// Sendmail's and Postfix's socketmap, netstrings carrying "MAP KEY" requests and
// "STATUS DATA" replies, answered in request order. One map is defined, "relay": the key is a
// client IP in canonical text, the data of an OK reply the time of that IP's last login.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ucspi {

// djb's netstring: "<decimal length>:<bytes>,".
std::string netstring(std::string_view payload);

// Splits a byte stream into netstring payloads. Bytes arrive in any chunks.
class NetstringReader {
 public:
  // A payload longer than max_payload is malformed: a peer that sends one is broken.
  explicit NetstringReader(std::size_t max_payload) : max_payload_(max_payload) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  enum class Status { ready, need_more, malformed };
  // ready: payload holds the next one. malformed stays malformed: the stream is out of step.
  Status next(std::string& payload);

 private:
  Status fail();

  std::size_t max_payload_;
  std::string buffer_;
  std::size_t read_ = 0;  // bytes of buffer_ already handed out
  bool broken_ = false;
};

// The longest request or reply either side accepts: an IP, a time or a reason fits easily.
inline constexpr std::size_t socketmap_max_payload = 1000;

inline constexpr std::string_view relay_map = "relay";

struct SocketmapRequest {
  std::string map;
  std::string key;
};
// "MAP KEY": the map is what precedes the first space; neither may be empty.
std::optional<SocketmapRequest> parse_socketmap_request(std::string_view payload);
std::string socketmap_request(std::string_view map, std::string_view key);  // a netstring

enum class SocketmapStatus { ok, notfound, temp, timeout, perm };
struct SocketmapReply {
  SocketmapStatus status;
  std::string data;  // OK: the value; TEMP, TIMEOUT, PERM: the reason
};
// "OK data", "NOTFOUND" (with or without the space Postfix sends), "TEMP reason", ...
std::optional<SocketmapReply> parse_socketmap_reply(std::string_view payload);
std::string socketmap_reply(const SocketmapReply& reply);  // a netstring

// The relay map's OK data: the last login in Unix seconds ("1700000000"), or "permanent" for
// an entry that relays whatever its age (a NULL timestamp in vpopmail's table).
struct LastLogin {
  bool permanent = false;
  std::int64_t seconds = 0;
};
std::optional<LastLogin> parse_last_login(std::string_view data);
std::string format_last_login(const LastLogin& login);

}  // namespace ucspi
