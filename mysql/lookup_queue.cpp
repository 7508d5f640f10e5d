#include "lookup_queue.h"

#include <algorithm>

namespace ucspi {

RelayAnswer relay_decision(const Stamps& stamps, std::int64_t now, std::int64_t window) {
  for (const auto& stamp : stamps) {
    if (!stamp || *stamp > now - window) return RelayAnswer::relay;
  }
  return RelayAnswer::no_relay;
}

void LookupQueue::add(const std::string& ip, std::int64_t now, SteadyTime deadline,
                      LookupDone done) {
  Waiter waiter{now, deadline, std::move(done)};
  ++waiting_;
  if (auto flying = flight_.find(ip); flying != flight_.end()) {
    flying->second.push_back(std::move(waiter));
  } else if (auto queued = queued_by_ip_.find(ip); queued != queued_by_ip_.end()) {
    queued->second->second.push_back(std::move(waiter));
  } else {
    queued_.emplace_back(ip, Waiters{});
    queued_.back().second.push_back(std::move(waiter));
    queued_by_ip_.emplace(ip, std::prev(queued_.end()));
  }
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

std::vector<ReadyAnswer> LookupQueue::finish(const RowsByIp& rows, std::int64_t window) {
  static const Stamps none;
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) {
    auto found = rows.find(ip);
    const Stamps& stamps = found == rows.end() ? none : found->second;
    for (Waiter& waiter : waiters) {
      out.push_back({std::move(waiter.done), relay_decision(stamps, waiter.now, window)});
    }
    waiting_ -= waiters.size();
  }
  flight_.clear();
  return out;
}

void LookupQueue::take_unavailable(Waiters& waiters, std::vector<ReadyAnswer>& out) {
  for (Waiter& waiter : waiters) out.push_back({std::move(waiter.done), RelayAnswer::unavailable});
  waiting_ -= waiters.size();
  waiters.clear();
}

std::vector<ReadyAnswer> LookupQueue::fail_all() {
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) take_unavailable(waiters, out);
  flight_.clear();
  for (auto& [ip, waiters] : queued_) take_unavailable(waiters, out);
  queued_.clear();
  queued_by_ip_.clear();
  return out;
}

void LookupQueue::expire_waiters(Waiters& waiters, SteadyTime now, std::vector<ReadyAnswer>& out) {
  auto late = std::stable_partition(waiters.begin(), waiters.end(),
                                    [now](const Waiter& w) { return w.deadline > now; });
  for (auto it = late; it != waiters.end(); ++it) {
    out.push_back({std::move(it->done), RelayAnswer::unavailable});
  }
  waiters.erase(late, waiters.end());
}

std::vector<ReadyAnswer> LookupQueue::expire(SteadyTime now) {
  std::vector<ReadyAnswer> out;
  for (auto& [ip, waiters] : flight_) expire_waiters(waiters, now, out);
  for (auto it = queued_.begin(); it != queued_.end();) {
    expire_waiters(it->second, now, out);
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
