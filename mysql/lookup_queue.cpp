#include "lookup_queue.h"

#include <algorithm>

namespace ucspi {

RelayAnswer relay_decision(const std::vector<std::optional<std::int64_t>>& stamps, std::int64_t now,
                           std::int64_t window) {
  for (const auto& stamp : stamps) {
    if (!stamp || *stamp > now - window) return RelayAnswer::relay;
  }
  return RelayAnswer::no_relay;
}

void LookupQueue::add(const std::string& ip, std::int64_t now, SteadyTime deadline,
                      LookupDone done) {
  Waiter waiter{now, deadline, std::move(done)};
  ++waiting_;
  if (flight_ && flight_->ip == ip) {
    flight_->waiters.push_back(std::move(waiter));
  } else if (auto it = by_ip_.find(ip); it != by_ip_.end()) {
    it->second->waiters.push_back(std::move(waiter));
  } else {
    queued_.push_back(Batch{ip, {}});
    queued_.back().waiters.push_back(std::move(waiter));
    by_ip_.emplace(ip, std::prev(queued_.end()));
  }
}

const std::string& LookupQueue::start_next() {
  by_ip_.erase(queued_.front().ip);
  flight_ = std::move(queued_.front());
  queued_.pop_front();
  return flight_->ip;
}

std::vector<ReadyAnswer> LookupQueue::finish(const std::vector<std::optional<std::int64_t>>& stamps,
                                             std::int64_t window) {
  std::vector<ReadyAnswer> out;
  if (!flight_) return out;
  for (Waiter& waiter : flight_->waiters) {
    out.push_back({std::move(waiter.done), relay_decision(stamps, waiter.now, window)});
  }
  waiting_ -= flight_->waiters.size();
  flight_.reset();
  return out;
}

void LookupQueue::take_unavailable(Batch& batch, std::vector<ReadyAnswer>& out) {
  for (Waiter& waiter : batch.waiters) out.push_back({std::move(waiter.done), RelayAnswer::unavailable});
  waiting_ -= batch.waiters.size();
  batch.waiters.clear();
}

std::vector<ReadyAnswer> LookupQueue::fail_all() {
  std::vector<ReadyAnswer> out;
  if (flight_) take_unavailable(*flight_, out);
  flight_.reset();
  for (Batch& batch : queued_) take_unavailable(batch, out);
  queued_.clear();
  by_ip_.clear();
  return out;
}

void LookupQueue::expire_batch(Batch& batch, SteadyTime now, std::vector<ReadyAnswer>& out) {
  auto late = std::stable_partition(batch.waiters.begin(), batch.waiters.end(),
                                    [now](const Waiter& w) { return w.deadline > now; });
  for (auto it = late; it != batch.waiters.end(); ++it) {
    out.push_back({std::move(it->done), RelayAnswer::unavailable});
  }
  batch.waiters.erase(late, batch.waiters.end());
}

std::vector<ReadyAnswer> LookupQueue::expire(SteadyTime now) {
  std::vector<ReadyAnswer> out;
  if (flight_) expire_batch(*flight_, now, out);
  for (auto it = queued_.begin(); it != queued_.end();) {
    expire_batch(*it, now, out);
    if (it->waiters.empty()) {
      by_ip_.erase(it->ip);
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
  auto consider = [&earliest](const Batch& batch) {
    for (const Waiter& w : batch.waiters) {
      if (!earliest || w.deadline < *earliest) earliest = w.deadline;
    }
  };
  if (flight_) consider(*flight_);
  for (const Batch& batch : queued_) consider(batch);
  return earliest;
}

}  // namespace ucspi
