#include "mysql/replicated_login_lookup.h"

#include "mysql/lookup_queue.h"
#include "rules/event/callback_guard.h"

namespace ucspi {

namespace {

using Status = LoginAnswer::Status;

bool final_on_the_replica(const LoginAnswer& local) {
  return (local.status == Status::found && local.login.permanent) ||
         local.status == Status::refused;
}

// The primary holds every login, so whatever it says wins; without it, only what the replica
// did find may count.
LoginAnswer decide(const LoginAnswer& local, const std::string& why_asked, LoginAnswer primary) {
  if (primary.status != Status::unavailable) return primary;
  if (local.status == Status::found) return local;
  return unavailable_answer(why_asked + "; primary: " + primary.reason);
}

class ReplicatedLoginLookup final : public LoginLookup {
 public:
  ReplicatedLoginLookup(std::unique_ptr<LoginLookup> replica, std::unique_ptr<LoginLookup> primary,
                        ReplicaStaleness staleness)
      : staleness_(std::move(staleness)),
        primary_(std::move(primary)),
        replica_(std::move(replica)) {}

  void lookup(const std::string& ip, LoginDone done) override {
    replica_->lookup(ip, [this, ip, done](LoginAnswer local) {
      guard_callback([&] { settle(ip, std::move(local), done); },
                     [&](const char* why) { done(unavailable_answer(why)); });
    });
  }

 private:
  void settle(const std::string& ip, LoginAnswer local, const LoginDone& done) {
    if (final_on_the_replica(local)) return done(std::move(local));
    std::string why_asked;
    if (local.status == Status::unavailable) {
      why_asked = "replica " + local.reason;
    } else {
      why_asked = staleness_();
      if (why_asked.empty()) return done(std::move(local));
    }
    primary_->lookup(ip, [local, why_asked, done](LoginAnswer primary) {
      done(decide(local, why_asked, std::move(primary)));
    });
  }

  ReplicaStaleness staleness_;
  std::unique_ptr<LoginLookup> primary_;
  // Last: destroyed first, so none of its callbacks (which use the members above) runs later.
  std::unique_ptr<LoginLookup> replica_;
};

}  // namespace

std::unique_ptr<LoginLookup> make_replicated_login_lookup(std::unique_ptr<LoginLookup> replica,
                                                          std::unique_ptr<LoginLookup> primary,
                                                          ReplicaStaleness staleness) {
  return std::make_unique<ReplicatedLoginLookup>(std::move(replica), std::move(primary),
                                                 std::move(staleness));
}

}  // namespace ucspi
