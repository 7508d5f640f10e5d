// The store helper's replies, kept in request order (doc/store-helper-protocol.md): each
// request takes a slot when it arrives, its lookup fills the slot whenever it finishes, and
// only the leading run of filled slots may leave, so a fast answer never overtakes a slow one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "mysql/login_lookup.h"

namespace ucspi {

class OrderedReplies {
 public:
  using Ticket = std::uint64_t;

  Ticket reserve();
  // `reply` is a whole netstring. A ticket is filled once.
  void fill(Ticket ticket, std::string reply);
  // Appends the leading filled replies to `out` and frees their slots.
  void take_ready(std::string& out);
  // Slots reserved and not yet taken.
  std::size_t pending() const { return slots_.size(); }

 private:
  std::deque<std::optional<std::string>> slots_;
  Ticket first_ = 0;  // the ticket of slots_.front()
};

// The socketmap reply for a lookup's answer: OK <seconds>|OK permanent, NOTFOUND, TEMP or PERM
// with the reason (cut to fit a reply's 1000 bytes).
std::string reply_for(const LoginAnswer& answer);
// TEMP or PERM with a reason of our own (bad request, unknown map, out of memory).
std::string temp_reply(std::string_view reason);
std::string perm_reply(std::string_view reason);

}  // namespace ucspi
