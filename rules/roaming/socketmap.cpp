#include "rules/roaming/socketmap.h"

namespace ucspi {
namespace {

struct StatusName {
  std::string_view word;
  SocketmapStatus status;
};

constexpr StatusName status_names[] = {
    {"OK", SocketmapStatus::ok},           {"NOTFOUND", SocketmapStatus::notfound},
    {"TEMP", SocketmapStatus::temp},       {"TIMEOUT", SocketmapStatus::timeout},
    {"PERM", SocketmapStatus::perm},
};

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string netstring(std::string_view payload) {
  std::string out = std::to_string(payload.size());
  out += ':';
  out += payload;
  out += ',';
  return out;
}

NetstringReader::Status NetstringReader::next(std::string& payload) {
  if (broken_) return Status::malformed;
  const std::string_view rest = std::string_view(buffer_).substr(read_);
  // The length: decimal, no leading zero, no longer than max_payload_ allows.
  std::size_t length = 0;
  std::size_t digits = 0;
  for (; digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9'; ++digits) {
    length = length * 10 + static_cast<std::size_t>(rest[digits] - '0');
    if (length > max_payload_ || (digits == 1 && rest[0] == '0')) return fail();
  }
  if (digits == rest.size()) return Status::need_more;
  if (digits == 0 || rest[digits] != ':') return fail();
  const std::size_t comma = digits + 1 + length;
  if (rest.size() <= comma) return Status::need_more;
  if (rest[comma] != ',') return fail();
  payload.assign(rest.substr(digits + 1, length));
  read_ += comma + 1;
  if (read_ == buffer_.size() || read_ > 4096) {  // keep the buffer from growing for ever
    buffer_.erase(0, read_);
    read_ = 0;
  }
  return Status::ready;
}

NetstringReader::Status NetstringReader::fail() {
  broken_ = true;
  return Status::malformed;
}

std::optional<SocketmapRequest> parse_socketmap_request(std::string_view payload) {
  const std::size_t space = payload.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == payload.size())
    return std::nullopt;
  return SocketmapRequest{std::string(payload.substr(0, space)),
                          std::string(payload.substr(space + 1))};
}

std::string socketmap_request(std::string_view map, std::string_view key) {
  std::string payload(map);
  payload += ' ';
  payload += key;
  return netstring(payload);
}

std::optional<SocketmapReply> parse_socketmap_reply(std::string_view payload) {
  const std::size_t space = payload.find(' ');
  const std::string_view word = payload.substr(0, space);
  const std::string_view data =
      space == std::string_view::npos ? std::string_view() : payload.substr(space + 1);
  for (const StatusName& name : status_names) {
    if (word != name.word) continue;
    if (name.status == SocketmapStatus::notfound && !data.empty()) return std::nullopt;
    return SocketmapReply{name.status, std::string(data)};
  }
  return std::nullopt;
}

std::string socketmap_reply(const SocketmapReply& reply) {
  for (const StatusName& name : status_names) {
    if (name.status != reply.status) continue;
    std::string payload(name.word);
    payload += ' ';
    payload += reply.data;
    return netstring(payload);
  }
  return netstring("PERM unknown status");
}

std::optional<LastLogin> parse_last_login(std::string_view data) {
  if (data == "permanent") return LastLogin{true, 0};
  if (data.size() > 18 || !all_digits(data) || (data.size() > 1 && data[0] == '0'))
    return std::nullopt;
  std::int64_t seconds = 0;
  for (char c : data) seconds = seconds * 10 + (c - '0');
  return LastLogin{false, seconds};
}

std::string format_last_login(const LastLogin& login) {
  return login.permanent ? std::string("permanent") : std::to_string(login.seconds);
}

}  // namespace ucspi
