#include "tools/relay_mysql_replies.h"

#include "rules/roaming/socketmap.h"

namespace ucspi {

namespace {

std::string reply_with_reason(SocketmapStatus status, std::string_view reason) {
  // "TEMP " or "PERM " and the reason must fit one payload.
  constexpr std::size_t room = socketmap_max_payload - 5;
  return socketmap_reply({status, std::string(reason.substr(0, room))});
}

}  // namespace

OrderedReplies::Ticket OrderedReplies::reserve() {
  slots_.emplace_back();
  return first_ + slots_.size() - 1;
}

void OrderedReplies::fill(Ticket ticket, std::string reply) {
  if (ticket < first_ || ticket - first_ >= slots_.size()) return;  // not ours: nothing to do
  slots_[ticket - first_] = std::move(reply);
}

void OrderedReplies::take_ready(std::string& out) {
  while (!slots_.empty() && slots_.front()) {
    out += *slots_.front();
    slots_.pop_front();
    ++first_;
  }
}

std::string reply_for(const LoginAnswer& answer) {
  switch (answer.status) {
    case LoginAnswer::Status::found:
      return socketmap_reply({SocketmapStatus::ok, format_last_login(answer.login)});
    case LoginAnswer::Status::absent: return socketmap_reply({SocketmapStatus::notfound, {}});
    case LoginAnswer::Status::unavailable: return temp_reply(answer.reason);
    case LoginAnswer::Status::refused: return perm_reply(answer.reason);
  }
  return temp_reply("unknown answer");
}

std::string temp_reply(std::string_view reason) {
  return reply_with_reason(SocketmapStatus::temp, reason);
}

std::string perm_reply(std::string_view reason) {
  return reply_with_reason(SocketmapStatus::perm, reason);
}

}  // namespace ucspi
