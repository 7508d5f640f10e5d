// The replica-then-primary rule (mysql/replicated_login_lookup.h) with scripted lookups: which
// answers are final on the replica, when the primary is asked, and that no combination of
// failures relays a client neither database holds.
#include <catch2/catch.hpp>

#include "mysql/lookup_queue.h"
#include "mysql/replicated_login_lookup.h"

using namespace ucspi;
using Status = LoginAnswer::Status;

namespace {

// Answers every lookup at once with a fixed answer and counts the lookups.
class Scripted final : public LoginLookup {
 public:
  Scripted(LoginAnswer answer, int& asked) : answer_(std::move(answer)), asked_(asked) {}
  void lookup(const std::string&, LoginDone done) override {
    ++asked_;
    done(answer_);
  }

 private:
  LoginAnswer answer_;
  int& asked_;
};

LoginAnswer found(std::int64_t seconds) {
  return LoginAnswer{Status::found, LastLogin{false, seconds}, {}};
}
LoginAnswer permanent() { return LoginAnswer{Status::found, LastLogin{true, 0}, {}}; }
LoginAnswer absent() { return LoginAnswer{}; }
LoginAnswer refused() { return LoginAnswer{Status::refused, {}, "narrow"}; }

struct Outcome {
  LoginAnswer answer;
  int primary_asked = 0;
};

// One lookup through the rule: the replica answers `local`, the primary `primary`, and the
// replica is fresh when `stale` is empty.
Outcome run(LoginAnswer local, LoginAnswer primary, std::string stale) {
  int replica_asked = 0;
  Outcome out;
  auto lookup = make_replicated_login_lookup(
      std::make_unique<Scripted>(std::move(local), replica_asked),
      std::make_unique<Scripted>(std::move(primary), out.primary_asked),
      [stale] { return stale; });
  bool answered = false;
  lookup->lookup("10.1.2.3", [&](LoginAnswer a) {
    out.answer = std::move(a);
    answered = true;
  });
  REQUIRE(answered);
  REQUIRE(replica_asked == 1);
  return out;
}

const std::string kStale = "replica not known fresh: Slave_SQL_Running is No";

}  // namespace

TEST_CASE("replicated: a fresh replica answers alone, hit or miss") {
  Outcome hit = run(found(100), found(200), "");
  CHECK(hit.answer.status == Status::found);
  CHECK(hit.answer.login.seconds == 100);
  CHECK(hit.primary_asked == 0);
  Outcome miss = run(absent(), found(200), "");
  CHECK(miss.answer.status == Status::absent);
  CHECK(miss.primary_asked == 0);
}

TEST_CASE("replicated: a permanent row or a refused key is final even on a stale replica") {
  Outcome perm = run(permanent(), absent(), kStale);
  CHECK(perm.answer.login.permanent);
  CHECK(perm.primary_asked == 0);
  Outcome ref = run(refused(), found(1), kStale);
  CHECK(ref.answer.status == Status::refused);
  CHECK(ref.primary_asked == 0);
}

TEST_CASE("replicated: a stale replica defers to the primary, whose answer wins") {
  Outcome newer = run(found(100), found(200), kStale);
  CHECK(newer.primary_asked == 1);
  CHECK(newer.answer.login.seconds == 200);
  Outcome fresh_login = run(absent(), found(300), kStale);
  CHECK(fresh_login.answer.status == Status::found);
  CHECK(fresh_login.answer.login.seconds == 300);
  // A row deleted on the primary and not yet on the replica is gone.
  CHECK(run(found(100), absent(), kStale).answer.status == Status::absent);
}

TEST_CASE("replicated: a replica that cannot answer defers to the primary") {
  Outcome out = run(unavailable_answer("mysql 127.0.0.1:1: down"), found(5), "");
  CHECK(out.primary_asked == 1);
  CHECK(out.answer.status == Status::found);
  CHECK(run(unavailable_answer("down"), absent(), "").answer.status == Status::absent);
}

TEST_CASE("replicated: neither answering a miss is unavailable, never a relay") {
  Outcome out = run(absent(), unavailable_answer("mysql 10.0.0.1:3306: connect timed out"), kStale);
  CHECK(out.answer.status == Status::unavailable);
  CHECK(out.answer.reason ==
        kStale + "; primary: mysql 10.0.0.1:3306: connect timed out");
  Outcome both = run(unavailable_answer("mysql 127.0.0.1:1: down"),
                     unavailable_answer("mysql 10.0.0.1:3306: down"), "");
  CHECK(both.answer.status == Status::unavailable);
  CHECK(both.answer.reason ==
        "replica mysql 127.0.0.1:1: down; primary: mysql 10.0.0.1:3306: down");
}

TEST_CASE("replicated: the primary down, what the replica found still counts") {
  Outcome out = run(found(100), unavailable_answer("down"), kStale);
  CHECK(out.answer.status == Status::found);
  CHECK(out.answer.login.seconds == 100);
}
