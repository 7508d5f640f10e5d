// How a client's address reads in TCPREMOTEIP, which is also the text its rules are looked up
// by: an IPv4 client as djb's dotted quad, an IPv6 one in fefe's ip6_fmt form, and a v4-mapped
// one (an IPv4 client on a dual-stack socket) as its dotted quad unless tcpserver runs with -6.
// tcpserver presents its clients with it and tcprulescheck reads TCPREMOTEIP back through it,
// so tcprulescheck keeps predicting what tcpserver does.
#pragma once

#include <string>
#include <string_view>

#include "rules/base/ip_address.h"

namespace ucspi {

std::string client_ip_text(const Ip4& ip);
// keep_mapped is tcpserver's -6: a v4-mapped address stays IPv6 text ("::ffff:1.2.3.4").
std::string client_ip_text(const Ip6& ip, bool keep_mapped);

// TCPREMOTEIP as tcprulescheck is given it: IPv4 text unchanged (djb's), any IPv6 spelling as
// tcpserver without -6 would have presented that address; anything else unchanged.
std::string client_ip_text(std::string_view remote_ip);

}  // namespace ucspi
