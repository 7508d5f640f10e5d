// Keeps the local replica's replication status fresh for the lookup: SHOW SLAVE STATUS on its
// own connection to the replica once a second, so a lookup never waits for it. A healthy
// reading is trusted for 2 s (one missed poll); after that, or after any unhealthy reading or
// failure, the replica is "not fresh" until a healthy reading comes in again.
#pragma once

#include <chrono>
#include <string>

#include "mysql/async_connection.h"

namespace ucspi {

class ReplicaMonitor {
 public:
  static constexpr unsigned kPollMs = 1000;
  static constexpr unsigned kTrustMs = 2000;

  // Starts polling at once. `replica` is the resolved config of the server lookups read.
  ReplicaMonitor(event_base* base, const MysqlConfig& replica);
  ReplicaMonitor(const ReplicaMonitor&) = delete;
  ReplicaMonitor& operator=(const ReplicaMonitor&) = delete;

  bool fresh() const { return std::chrono::steady_clock::now() < fresh_until_; }
  // Why not fresh(), for the reason of a TEMP answer.
  std::string why_not_fresh() const;

 private:
  static void on_tick(evutil_socket_t, short, void* self) noexcept;
  void poll();
  void read_status();
  void reading(AsyncConnection::Outcome outcome);
  void unhealthy(std::string why);

  unsigned max_lag_;
  std::string server_;
  AsyncConnection connection_;
  EventPtr tick_;
  std::chrono::steady_clock::time_point fresh_until_{};
  std::string why_ = "its replication status is not read yet";
};

}  // namespace ucspi
