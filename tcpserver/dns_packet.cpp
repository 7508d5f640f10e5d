#include "tcpserver/dns_packet.h"

namespace ucspi {
namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_name = 255;
constexpr std::uint16_t class_in = 1;

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

std::uint16_t get16(std::string_view p, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[at]) << 8) |
                                    static_cast<unsigned char>(p[at + 1]));
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool names_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// djb's dns_packet_getname: the name at pos, compression pointers followed, into out in wire
// form; pos moves past the name where it sits (not where a pointer led). False for a malformed
// name, one over 255 bytes, or one that takes djb's 1000 steps to read (each label length
// byte, label byte and pointer one step: a chain of pointers ends there, a legal one does not).
bool read_name(std::string_view p, std::size_t& pos, std::string& out) {
  constexpr std::size_t max_steps = 1000;
  out.clear();
  std::size_t at = pos;
  bool jumped = false;
  for (std::size_t steps = 1;; ++steps) {
    if (at >= p.size() || steps >= max_steps) return false;
    const auto len = static_cast<unsigned char>(p[at]);
    if (len >= 0xc0) {
      if (at + 1 >= p.size()) return false;
      if (!jumped) pos = at + 2;
      jumped = true;
      at = static_cast<std::size_t>((len & 0x3f) << 8 | static_cast<unsigned char>(p[at + 1]));
      continue;
    }
    if (len > 63) return false;
    if (at + 1 + len > p.size()) return false;
    out.append(p.substr(at, 1 + len));
    if (out.size() > max_name) return false;
    steps += len;
    at += 1 + len;
    if (len == 0) {
      if (!jumped) pos = at;
      return true;
    }
  }
}

// djb's dns_packet_skipname, for the owner of an answer: past the labels up to the end of the
// name or a pointer, which ends it (where it points is never looked at). False if the packet
// ends first, or at a length byte of 64 to 191.
bool skip_name(std::string_view p, std::size_t& pos) {
  while (pos < p.size()) {
    const auto len = static_cast<unsigned char>(p[pos++]);
    if (len >= 0xc0) {
      ++pos;  // may now be past the end: the next read says so
      return true;
    }
    if (len > 63) return false;
    if (len == 0) return true;
    pos += len;
  }
  return false;
}

}  // namespace

std::string reverse_name(const in_addr& ip) {
  const auto* b = reinterpret_cast<const unsigned char*>(&ip);
  std::string out;
  for (int i = 3; i >= 0; --i) {
    const std::string label = std::to_string(b[i]);
    out += static_cast<char>(label.size());
    out += label;
  }
  out += "\7in-addr\4arpa";
  out += '\0';
  return out;
}

std::string reverse_name(const in6_addr& ip) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    const unsigned char byte = ip.s6_addr[i];
    out += '\1';
    out += hex[byte & 15];
    out += '\1';
    out += hex[byte >> 4];
  }
  out += "\3ip6\4arpa";
  out += '\0';
  return out;
}

std::optional<std::vector<std::string>> numeric_ipv4_list(std::string_view name) {
  std::string bytes;
  unsigned code = 0;
  for (const char c : name) {
    if (c == '.') {
      bytes += static_cast<char>(code & 0xff);
      code = 0;
    } else if (c >= '0' && c <= '9') {
      code = (code * 10 + static_cast<unsigned>(c - '0')) & 0xff;
    } else {
      return std::nullopt;
    }
  }
  bytes += static_cast<char>(code & 0xff);
  std::vector<std::string> records;
  for (std::size_t i = 0; i + 4 <= bytes.size(); i += 4) records.push_back(bytes.substr(i, 4));
  return records;
}

std::optional<std::string> wire_name(std::string_view dotted) {
  std::string out;
  std::string label;
  auto end_label = [&]() {
    if (label.empty() || label.size() > 63) return false;
    out += static_cast<char>(label.size());
    out += label;
    label.clear();
    return true;
  };
  for (std::size_t i = 0; i < dotted.size(); ++i) {
    char c = dotted[i];
    if (c == '.') {
      if (!end_label()) return std::nullopt;
      continue;
    }
    if (c == '\\' && i + 1 < dotted.size()) {
      c = dotted[++i];
      if (c >= '0' && c <= '7') {  // up to three octal digits, as djb reads them
        unsigned value = static_cast<unsigned>(c - '0');
        for (int k = 0; k < 2 && i + 1 < dotted.size() && dotted[i + 1] >= '0' && dotted[i + 1] <= '7'; ++k)
          value = value * 8 + static_cast<unsigned>(dotted[++i] - '0');
        c = static_cast<char>(value & 0xff);
      }
    }
    label += c;
  }
  if (!label.empty() && !end_label()) return std::nullopt;
  out += '\0';
  if (out.size() > max_name) return std::nullopt;
  return out;
}

std::string dotted_name(std::string_view wire) {
  if (wire.empty() || wire[0] == '\0') return ".";  // djb's text for the root
  std::string out;
  std::size_t at = 0;
  while (at < wire.size()) {
    const auto len = static_cast<unsigned char>(wire[at++]);
    if (len == 0) break;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len && at < wire.size(); ++i, ++at) {
      const char c = lower(wire[at]);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        out += c;
        continue;
      }
      const auto byte = static_cast<unsigned char>(c);
      out += '\\';
      out += static_cast<char>('0' + (byte >> 6));
      out += static_cast<char>('0' + ((byte >> 3) & 7));
      out += static_cast<char>('0' + (byte & 7));
    }
  }
  return out;
}

std::string dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::string out;
  put16(out, id);
  put16(out, 0x0100);  // a standard query, recursion desired
  put16(out, 1);       // one question
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  out += name;
  put16(out, type);
  put16(out, class_in);
  return out;
}

DnsReply parse_dns_reply(std::string_view p, std::uint16_t id, std::string_view name,
                         std::uint16_t type) {
  DnsReply reply;
  using Status = DnsReply::Status;
  // djb's irrelevant(): a packet is the reply if it has the id, one question, and that
  // question. No other header bit counts: neither QR nor the opcode.
  reply.status = Status::foreign;
  if (p.size() < header_size || get16(p, 0) != id || get16(p, 4) != 1) return reply;
  std::size_t pos = header_size;
  std::string asked;
  if (!read_name(p, pos, asked) || pos + 4 > p.size()) return reply;
  if (!names_equal(asked, name) || get16(p, pos) != type || get16(p, pos + 2) != class_in)
    return reply;
  pos += 4;
  if (static_cast<unsigned char>(p[2]) & 0x02) {
    reply.status = Status::truncated;
    return reply;
  }
  const unsigned rcode = static_cast<unsigned char>(p[3]) & 0x0f;
  if (rcode != 0 && rcode != 3) {
    reply.status = Status::server_failed;
    return reply;
  }
  // The answers as djb's dns_name_packet and dns_ip4_packet read them: owners skipped, never
  // compared (a CNAME chain's records count, whoever owns them), an rdata checked against the
  // packet's end only where it is read, and a PTR reply done at its first PTR. Anything
  // unreadable before that ends the answer with nothing.
  reply.status = Status::malformed;
  const std::uint16_t answers = get16(p, 6);
  for (std::uint16_t i = 0; i < answers; ++i) {
    if (!skip_name(p, pos) || pos + 10 > p.size()) {
      reply.records.clear();
      return reply;
    }
    const std::uint16_t rtype = get16(p, pos);
    const std::uint16_t rclass = get16(p, pos + 2);
    const std::size_t rdlength = get16(p, pos + 8);
    pos += 10;
    if (rtype == type && rclass == class_in) {
      if (type == dns_type_ptr) {
        std::size_t at = pos;
        std::string target;
        if (!read_name(p, at, target)) return reply;
        reply.records.push_back(std::move(target));
        break;
      }
      if ((type == dns_type_a && rdlength == 4) || (type == dns_type_aaaa && rdlength == 16)) {
        if (pos + rdlength > p.size()) {
          reply.records.clear();
          return reply;
        }
        reply.records.emplace_back(p.substr(pos, rdlength));
      }
    }
    pos += rdlength;
  }
  reply.status = Status::answer;
  return reply;
}

}  // namespace ucspi
