// Tells the admin when the roaming store cannot answer: one warning when it starts failing
// (with the store's own reason: a file tcpserver may not read, a corrupt cdb, a dead
// database), a reminder with the latest reason every 10 minutes while it lasts, and one line
// when it answers again. Per-connection lines would flood the log; silence would hide a
// store that relays nobody. A store that answers but refuses one kind of key (a MySQL column
// too narrow for long IPv6 addresses) is not failing: it is told once per 10 minutes per
// reason.
#pragma once

#include <chrono>
#include <string>

#include "tcpserver/logger.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {

class StoreHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::minutes reminder{10};

  StoreHealth(const Logger& log, std::string store) : log_(log), store_(std::move(store)) {}

  void note(const RelayVerdict& verdict, Clock::time_point now = Clock::now());

 private:
  const Logger& log_;
  std::string store_;
  bool failing_ = false;
  Clock::time_point said_at_{};
  std::string refusal_;
  Clock::time_point refusal_said_at_{};
};

}  // namespace ucspi
