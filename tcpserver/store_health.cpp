#include "tcpserver/store_health.h"

#include "tcpserver/log_lines.h"

namespace ucspi {

void StoreHealth::note(const RelayVerdict& verdict, Clock::time_point now) {
  if (verdict.answer != RelayAnswer::unavailable) {
    if (failing_) log_.warn(store_back_line(store_));
    failing_ = false;
    if (!verdict.problem.empty() &&
        (verdict.problem != refusal_ || now - refusal_said_at_ >= reminder)) {
      refusal_ = verdict.problem;
      refusal_said_at_ = now;
      log_.warn(store_refusal_line(store_, refusal_));
    }
    return;
  }
  if (failing_ && now - said_at_ < reminder) return;
  failing_ = true;
  said_at_ = now;
  log_.warn(store_unavailable_line(store_, verdict.problem));
}

}  // namespace ucspi
