#include "tcpserver/client_slots.h"

namespace ucspi {

bool ClientSlots::ip_full(const std::string& ip) const {
  return per_ip_limit_ != 0 && held_.at_ip(ip) >= per_ip_limit_;
}

void ClientSlots::take(const std::string& ip) {
  held_.add(ip);  // the only step that can throw, so first
  ++count_;
}

void ClientSlots::release(const std::string& ip) {
  if (count_ > 0) --count_;
  held_.remove(ip);
}

void ClientSlots::move(const std::string& from, const std::string& to) {
  held_.add(to);
  held_.remove(from);
}

}  // namespace ucspi
