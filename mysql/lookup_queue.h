// The lookups waiting for the one connection: FIFO by first arrival, identical IPs coalesced
// into one batch (also onto a batch already in flight), every waiter with its own deadline,
// and a bound on how many may wait. Pure bookkeeping: no I/O, no clock of its own.
//
// One query answers up to `max_ips` distinct IPs (WHERE ip_addr IN (...)), so a slow or
// distant server costs one round trip per burst rather than one per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mysql/login_lookup.h"

namespace ucspi {

using SteadyTime = std::chrono::steady_clock::time_point;
// Timestamps of the rows found per IP; nullopt = a permanent (NULL) row.
using Stamps = std::vector<std::optional<std::int64_t>>;
using RowsByIp = std::unordered_map<std::string, Stamps>;

// One answer ready to be delivered.
struct ReadyAnswer {
  LoginDone done;
  LoginAnswer answer;
};

// found with the newest stamp (permanent if any row is), or absent when there is no row.
LoginAnswer login_answer(const Stamps& stamps);
LoginAnswer unavailable_answer(std::string reason);

class LookupQueue {
 public:
  explicit LookupQueue(std::size_t limit) : limit_(limit) {}

  // When full, the caller answers unavailable instead of adding.
  bool full() const { return waiting_ >= limit_; }
  // Requires !full().
  void add(const std::string& ip, SteadyTime deadline, LoginDone done);

  bool has_queued() const { return !queued_.empty(); }
  std::size_t waiting() const { return waiting_; }

  // Moves the oldest queued batches, at most max_ips, into flight and returns their IPs.
  std::vector<std::string> start_next(std::size_t max_ips);
  // Answers the in-flight batch of `ip` without a query, and takes it out of flight.
  std::vector<ReadyAnswer> settle(const std::string& ip, const LoginAnswer& answer);
  // The in-flight query answered: IPs absent from `rows` have no row.
  std::vector<ReadyAnswer> finish(const RowsByIp& rows);
  // Everything, in flight and queued, answers `unavailable` with this reason.
  std::vector<ReadyAnswer> fail_all(const std::string& reason);
  // Waiters whose deadline is at or before `now` answer `unavailable` with this reason.
  // Emptied in-flight batches stay in flight (their query is still on the wire) and simply
  // answer nobody.
  std::vector<ReadyAnswer> expire(SteadyTime now, const std::string& reason);
  std::optional<SteadyTime> next_deadline() const;

 private:
  struct Waiter {
    SteadyTime deadline;
    LoginDone done;
  };
  using Waiters = std::vector<Waiter>;

  void take_all(Waiters& waiters, const LoginAnswer& answer, std::vector<ReadyAnswer>& out);
  static void expire_waiters(Waiters& waiters, SteadyTime now, const LoginAnswer& answer,
                             std::vector<ReadyAnswer>& out);

  std::size_t limit_;
  std::size_t waiting_ = 0;
  std::unordered_map<std::string, Waiters> flight_;
  std::list<std::pair<std::string, Waiters>> queued_;
  std::unordered_map<std::string, decltype(queued_)::iterator> queued_by_ip_;
};

}  // namespace ucspi
