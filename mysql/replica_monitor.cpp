#include "mysql/replica_monitor.h"

#include "mysql/mysql_connect.h"
#include "mysql/replica_health.h"
#include "rules/event/callback_guard.h"

namespace ucspi {

ReplicaMonitor::ReplicaMonitor(event_base* base, const MysqlConfig& replica)
    : max_lag_(replica.max_lag),
      server_("mysql " + describe_server(replica)),
      connection_(base, replica),
      tick_(event_new(base, -1, EV_PERSIST, &on_tick, this)) {
  if (!tick_) throw StoreError("mysql: cannot create an event");
  // A connection the replica closed is simply opened again at the next tick.
  connection_.on_lost([] {});
  timeval every = to_timeval(kPollMs);
  event_add(tick_.get(), &every);
  event_active(tick_.get(), EV_TIMEOUT, 0);
}

std::string ReplicaMonitor::why_not_fresh() const {
  if (fresh()) return {};
  return "replica " + server_ + " not known fresh: " + why_;
}

void ReplicaMonitor::on_tick(evutil_socket_t, short, void* self) noexcept {
  auto* monitor = static_cast<ReplicaMonitor*>(self);
  guard_callback([monitor] { monitor->poll(); },
                 [monitor](const char* why) { monitor->unhealthy(why); });
}

// A reading still under way (its own 1 s deadline) is left to finish: the next tick asks again.
void ReplicaMonitor::poll() {
  if (connection_.busy()) return;
  if (connection_.connected()) return read_status();
  connection_.connect([this](AsyncConnection::Outcome outcome) {
    guard_callback(
        [&] {
          if (!outcome.error.empty()) return unhealthy(outcome.error);
          read_status();
        },
        [this](const char* why) { unhealthy(why); });
  });
}

void ReplicaMonitor::read_status() {
  connection_.query(replica_status_sql(), [this](AsyncConnection::Outcome outcome) {
    guard_callback([&] { reading(std::move(outcome)); },
                   [this](const char* why) { unhealthy(why); });
  });
}

void ReplicaMonitor::reading(AsyncConnection::Outcome outcome) {
  if (!outcome.error.empty()) return unhealthy("SHOW SLAVE STATUS: " + outcome.error);
  ReplicaHealth health = replica_health(outcome.result.get(), max_lag_);
  if (!health.fresh) return unhealthy(std::move(health.why));
  fresh_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTrustMs);
}

// First the state, then the text: should building the text run out of memory, the replica is
// already not fresh.
void ReplicaMonitor::unhealthy(std::string why) {
  fresh_until_ = {};
  why_ = std::move(why);
}

}  // namespace ucspi
