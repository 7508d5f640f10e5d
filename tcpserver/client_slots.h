// djb's -c and our -C accounting: a connection holds a slot from accept until its child exits,
// or until it is closed without one (denied, dropped), in all and for its client's IP and
// network; the rules' MAXCONNIP and MAXCONNC read the same counts (rule_limits.h).
#pragma once

#include <string>

#include "tcpserver/network_counts.h"

namespace ucspi {

class ClientSlots {
 public:
  // per_ip_limit 0: no per-IP limit.
  ClientSlots(unsigned long limit, unsigned long per_ip_limit)
      : limit_(limit), per_ip_limit_(per_ip_limit) {}

  bool full() const { return count_ >= limit_; }
  bool ip_full(const std::string& ip) const;
  // Throws bad_alloc with nothing taken.
  void take(const std::string& ip);
  void release(const std::string& ip);
  // The same slot, now counted for another IP (a PROXY header named the real client).
  // Throws bad_alloc with nothing moved.
  void move(const std::string& from, const std::string& to);

  unsigned long count() const { return count_; }
  unsigned long limit() const { return limit_; }
  // The connections held now, by address and by network.
  const NetworkCounts& held() const { return held_; }

 private:
  unsigned long limit_;
  unsigned long per_ip_limit_;
  unsigned long count_ = 0;
  NetworkCounts held_;
};

}  // namespace ucspi
