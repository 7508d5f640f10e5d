// The lookups waiting for the one connection: FIFO by first arrival, identical IPs coalesced
// into one batch (also onto the batch already in flight), every waiter with its own deadline,
// and a bound on how many may wait. Pure bookkeeping: no I/O, no clock of its own.
//
// The query returns the row's timestamp rather than a yes/no, so waiters that asked with
// different `now` values can share one query and still each get the exact answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rules/roaming_store.h"

namespace ucspi {

using SteadyTime = std::chrono::steady_clock::time_point;
using LookupDone = std::function<void(RelayAnswer)>;

// One answer ready to be delivered.
struct ReadyAnswer {
  LookupDone done;
  RelayAnswer answer;
};

// Relay iff a row is permanent (nullopt) or younger than the window.
RelayAnswer relay_decision(const std::vector<std::optional<std::int64_t>>& stamps, std::int64_t now,
                           std::int64_t window);

class LookupQueue {
 public:
  explicit LookupQueue(std::size_t limit) : limit_(limit) {}

  // When full, the caller answers unavailable instead of adding.
  bool full() const { return waiting_ >= limit_; }
  // Requires !full().
  void add(const std::string& ip, std::int64_t now, SteadyTime deadline, LookupDone done);

  bool has_queued() const { return !queued_.empty(); }
  bool in_flight() const { return flight_.has_value(); }
  std::size_t waiting() const { return waiting_; }

  // Moves the oldest queued batch into flight and returns its IP.
  const std::string& start_next();
  // The in-flight query answered with these rows' timestamps.
  std::vector<ReadyAnswer> finish(const std::vector<std::optional<std::int64_t>>& stamps,
                                  std::int64_t window);
  // Everything, in flight and queued, answers `unavailable`.
  std::vector<ReadyAnswer> fail_all();
  // Waiters whose deadline is at or before `now` answer `unavailable`. An emptied in-flight
  // batch stays in flight (its query is still on the wire) and simply answers nobody.
  std::vector<ReadyAnswer> expire(SteadyTime now);
  std::optional<SteadyTime> next_deadline() const;

 private:
  struct Waiter {
    std::int64_t now;
    SteadyTime deadline;
    LookupDone done;
  };
  struct Batch {
    std::string ip;
    std::vector<Waiter> waiters;
  };

  static void expire_batch(Batch& batch, SteadyTime now, std::vector<ReadyAnswer>& out);
  void take_unavailable(Batch& batch, std::vector<ReadyAnswer>& out);

  std::size_t limit_;
  std::size_t waiting_ = 0;
  std::optional<Batch> flight_;
  std::list<Batch> queued_;
  std::unordered_map<std::string, std::list<Batch>::iterator> by_ip_;
};

}  // namespace ucspi
