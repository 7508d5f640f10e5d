#include "tcpserver/client_slots.h"

namespace ucspi {

bool ClientSlots::ip_full(const std::string& ip) const {
  if (per_ip_limit_ == 0) return false;
  auto it = per_ip_.find(ip);
  return it != per_ip_.end() && it->second >= per_ip_limit_;
}

void ClientSlots::take(const std::string& ip) {
  ++per_ip_[ip];  // the only step that can throw, so first
  ++count_;
}

void ClientSlots::release(const std::string& ip) {
  if (count_ > 0) --count_;
  forget_one(ip);
}

void ClientSlots::move(const std::string& from, const std::string& to) {
  ++per_ip_[to];
  forget_one(from);
}

void ClientSlots::forget_one(const std::string& ip) {
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

}  // namespace ucspi
