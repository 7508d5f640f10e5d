#include "tools/bench/tcpserver-bench/dns_reply.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

namespace ucspi::bench {
namespace {

constexpr std::uint16_t type_a = 1;
constexpr std::uint16_t type_ptr = 12;
constexpr std::uint16_t class_in = 1;
constexpr std::size_t header_size = 12;
const std::string zone = "bench.example";

std::uint16_t get16(std::string_view p, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[at]) << 8) |
                                    static_cast<unsigned char>(p[at + 1]));
}

void put16(std::string& out, unsigned v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

// The question's labels, lowercased, and where the question ends; no compression in a query.
std::optional<std::vector<std::string>> labels(std::string_view p, std::size_t& at) {
  std::vector<std::string> out;
  while (at < p.size()) {
    const auto len = static_cast<unsigned char>(p[at++]);
    if (len == 0) return out;
    if (len > 63 || at + len > p.size()) return std::nullopt;
    std::string label(p.substr(at, len));
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(std::move(label));
    at += len;
  }
  return std::nullopt;
}

std::string encode(const std::vector<std::string>& name) {
  std::string out;
  for (const std::string& label : name) out += static_cast<char>(label.size()) + label;
  return out + '\0';
}

bool is_octet(const std::string& s) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), digit) &&
         std::stoi(s) <= 255;
}

// d.c.b.a.in-addr.arpa -> a-b-c-d.bench.example
std::optional<std::string> ptr_rdata(const std::vector<std::string>& q) {
  if (q.size() != 6 || q[4] != "in-addr" || q[5] != "arpa" ||
      !std::all_of(q.begin(), q.begin() + 4, is_octet))
    return std::nullopt;
  return encode({q[3] + "-" + q[2] + "-" + q[1] + "-" + q[0], "bench", "example"});
}

// a-b-c-d.bench.example -> a.b.c.d
std::optional<std::string> a_rdata(const std::vector<std::string>& q) {
  if (q.size() != 3 || q[1] + "." + q[2] != zone) return std::nullopt;
  std::string rdata;
  std::string_view host = q[0];
  for (int i = 0; i < 4; ++i) {
    const auto dash = host.find('-');
    const std::string octet(host.substr(0, dash));
    if (!is_octet(octet) || (i < 3) == (dash == std::string_view::npos)) return std::nullopt;
    rdata += static_cast<char>(std::stoi(octet));
    host.remove_prefix(i < 3 ? dash + 1 : host.size());
  }
  return rdata;
}

}  // namespace

std::optional<DnsReply> dns_reply(std::string_view query) {
  if (query.size() < header_size || (query[2] & 0x80) || get16(query, 4) != 1) return std::nullopt;
  std::size_t end = header_size;
  const auto name = labels(query, end);
  if (!name || end + 4 > query.size()) return std::nullopt;
  const std::uint16_t type = get16(query, end);
  const std::uint16_t qclass = get16(query, end + 2);
  end += 4;
  DnsReply reply;
  std::optional<std::string> rdata;
  if (qclass == class_in && type == type_ptr && (rdata = ptr_rdata(*name)))
    reply.kind = LookupCounters::ptr;
  else if (qclass == class_in && type == type_a && (rdata = a_rdata(*name)))
    reply.kind = LookupCounters::a;
  std::string& p = reply.packet;
  p.append(query.substr(0, 2));  // the id
  // QR, AA, the query's RD, RA; NOERROR with the answer, NXDOMAIN (3) without.
  p += static_cast<char>(0x84 | (query[2] & 0x01));
  p += static_cast<char>(rdata ? 0x80 : 0x83);
  put16(p, 1);
  put16(p, rdata ? 1 : 0);
  put16(p, 0);
  put16(p, 0);
  p.append(query.substr(header_size, end - header_size));
  if (rdata) {
    put16(p, 0xc00c);  // the question's name
    put16(p, type);
    put16(p, class_in);
    put16(p, 0);
    put16(p, 300);  // TTL; neither tcpserver caches
    put16(p, static_cast<unsigned>(rdata->size()));
    p += *rdata;
  }
  return reply;
}

}  // namespace ucspi::bench
