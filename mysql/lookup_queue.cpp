#include "mysql/lookup_queue.h"

#include <algorithm>

namespace ucspi {

LoginAnswer login_answer(const Stamps& stamps) {
  if (stamps.empty()) return LoginAnswer{};
  LoginAnswer answer{LoginAnswer::Status::found, LastLogin{false, 0}, {}};
  bool first = true;
  for (const auto& stamp : stamps) {
    if (!stamp) return LoginAnswer{LoginAnswer::Status::found, LastLogin{true, 0}, {}};
    if (first || *stamp > answer.login.seconds) answer.login.seconds = *stamp;
    first = false;
  }
  return answer;
}

LoginAnswer unavailable_answer(std::string reason) {
  return LoginAnswer{LoginAnswer::Status::unavailable, LastLogin{}, std::move(reason)};
}

void LookupQueue::add(const std::string& ip, SteadyTime deadline, LoginDone done) {
  Waiter waiter{deadline, std::move(done)};
  if (auto flying = flight_.find(ip); flying != flight_.end()) {
    flying->second.push_back(std::move(waiter));
  } else if (auto queued = queued_by_ip_.find(ip); queued != queued_by_ip_.end()) {
    queued->second->second.push_back(std::move(waiter));
  } else {
    queued_.emplace_back(ip, Waiters{});
    queued_.back().second.push_back(std::move(waiter));
    queued_by_ip_.emplace(ip, std::prev(queued_.end()));
  }
  ++waiting_;
}

std::vector<std::string> LookupQueue::start_next(std::size_t max_ips) {
  std::vector<std::string> ips;
  while (!queued_.empty() && ips.size() < max_ips) {
    auto& [ip, waiters] = queued_.front();
    queued_by_ip_.erase(ip);
    ips.push_back(ip);
    flight_.emplace(ip, std::move(waiters));
    queued_.pop_front();
  }
  return ips;
}

std::vector<ReadyAnswer> LookupQueue::settle(const std::string& ip, const LoginAnswer& answer) {
  std::vector<ReadyAnswer> out;
  if (auto flying = flight_.find(ip); flying != flight_.end()) {
    take_all(flying->second, answer, out);
    flight_.erase(flying);
  }
  return out;
}

std::vector<ReadyAnswer> LookupQueue::finish(const RowsByIp& rows) {
  static const Stamps none;
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) {
    auto found = rows.find(ip);
    take_all(waiters, login_answer(found == rows.end() ? none : found->second), out);
  }
  flight_.clear();
  return out;
}

void LookupQueue::take_all(Waiters& waiters, const LoginAnswer& answer,
                           std::vector<ReadyAnswer>& out) {
  for (Waiter& waiter : waiters) out.push_back({std::move(waiter.done), answer});
  waiting_ -= waiters.size();
  waiters.clear();
}

std::vector<ReadyAnswer> LookupQueue::fail_all(const std::string& reason) {
  const LoginAnswer answer = unavailable_answer(reason);
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) take_all(waiters, answer, out);
  flight_.clear();
  for (auto& [ip, waiters] : queued_) take_all(waiters, answer, out);
  queued_.clear();
  queued_by_ip_.clear();
  return out;
}

void LookupQueue::expire_waiters(Waiters& waiters, SteadyTime now, const LoginAnswer& answer,
                                 std::vector<ReadyAnswer>& out) {
  auto late = std::stable_partition(waiters.begin(), waiters.end(),
                                    [now](const Waiter& w) { return w.deadline > now; });
  for (auto it = late; it != waiters.end(); ++it) out.push_back({std::move(it->done), answer});
  waiters.erase(late, waiters.end());
}

std::vector<ReadyAnswer> LookupQueue::expire(SteadyTime now, const std::string& reason) {
  const LoginAnswer answer = unavailable_answer(reason);
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) expire_waiters(waiters, now, answer, out);
  for (auto it = queued_.begin(); it != queued_.end();) {
    expire_waiters(it->second, now, answer, out);
    if (it->second.empty()) {
      queued_by_ip_.erase(it->first);
      it = queued_.erase(it);
    } else {
      ++it;
    }
  }
  waiting_ -= out.size();
  return out;
}

std::optional<SteadyTime> LookupQueue::next_deadline() const {
  std::optional<SteadyTime> earliest;
  auto consider = [&earliest](const Waiters& waiters) {
    for (const Waiter& w : waiters) {
      if (!earliest || w.deadline < *earliest) earliest = w.deadline;
    }
  };
  for (const auto& [ip, waiters] : flight_) consider(waiters);
  for (const auto& [ip, waiters] : queued_) consider(waiters);
  return earliest;
}

}  // namespace ucspi
