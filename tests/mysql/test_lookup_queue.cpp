#include <algorithm>
#include <catch2/catch.hpp>

#include "mysql/lookup_queue.h"

using namespace ucspi;
using namespace std::chrono_literals;
using Status = LoginAnswer::Status;

namespace {

struct Answers {
  std::vector<std::pair<std::string, LoginAnswer>> got;
  LoginDone recorder(std::string tag) {
    return [this, tag](LoginAnswer a) { got.emplace_back(tag, std::move(a)); };
  }
  void sort() {
    std::sort(got.begin(), got.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
};

void deliver(std::vector<ReadyAnswer> ready) {
  for (auto& r : ready) r.done(std::move(r.answer));
}

}  // namespace

TEST_CASE("queue: the newest stamp wins, any permanent row makes the answer permanent") {
  CHECK(login_answer({}).status == Status::absent);
  LoginAnswer newest = login_answer({5, 950, 17});
  CHECK(newest.status == Status::found);
  CHECK_FALSE(newest.login.permanent);
  CHECK(newest.login.seconds == 950);
  CHECK(login_answer({-3}).login.seconds == -3);
  CHECK(login_answer({5, std::nullopt, 950}).login.permanent);
}

TEST_CASE("queue: identical IPs share one query, also one already in flight") {
  LookupQueue queue(10);
  Answers answers;
  SteadyTime t0{};
  queue.add("10.0.0.1", t0 + 1s, answers.recorder("a"));
  queue.add("10.0.0.2", t0 + 1s, answers.recorder("b"));
  queue.add("10.0.0.1", t0 + 1s, answers.recorder("c"));
  queue.add("10.0.0.3", t0 + 1s, answers.recorder("e"));
  CHECK(queue.waiting() == 4);
  CHECK(queue.start_next(2) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  queue.add("10.0.0.1", t0 + 1s, answers.recorder("d"));  // joins the batch in flight
  deliver(queue.finish({{"10.0.0.1", {950, 970}}}));
  REQUIRE(answers.got.size() == 4);
  answers.sort();
  for (const char* tag : {"a", "c", "d"}) {
    auto it = std::find_if(answers.got.begin(), answers.got.end(),
                           [tag](const auto& g) { return g.first == tag; });
    REQUIRE(it != answers.got.end());
    CHECK(it->second.status == Status::found);
    CHECK(it->second.login.seconds == 970);
  }
  CHECK(answers.got[1].first == "b");
  CHECK(answers.got[1].second.status == Status::absent);
  CHECK(queue.waiting() == 1);
  CHECK(queue.start_next(100) == std::vector<std::string>{"10.0.0.3"});
  CHECK_FALSE(queue.has_queued());
}

TEST_CASE("queue: a batch settled without a query answers its waiters and leaves flight") {
  LookupQueue queue(10);
  Answers answers;
  SteadyTime t0{};
  queue.add("2001:db8::1:2:3:45", t0 + 1s, answers.recorder("a"));
  queue.add("2001:db8::1:2:3:45", t0 + 1s, answers.recorder("b"));
  queue.add("10.0.0.1", t0 + 1s, answers.recorder("c"));
  REQUIRE(queue.start_next(100).size() == 2);
  deliver(queue.settle("2001:db8::1:2:3:45", {Status::refused, {}, "narrow"}));
  REQUIRE(answers.got.size() == 2);
  CHECK(answers.got[0].second.status == Status::refused);
  CHECK(answers.got[1].second.reason == "narrow");
  CHECK(queue.waiting() == 1);
  deliver(queue.finish({{"2001:db8::1:2:3:45", {std::nullopt}}}));  // no second answer
  REQUIRE(answers.got.size() == 3);
  CHECK(answers.got[2].first == "c");
  CHECK(answers.got[2].second.status == Status::absent);
  CHECK(queue.waiting() == 0);
}

TEST_CASE("queue: bound, deadlines and failure, each with its reason") {
  LookupQueue queue(3);
  Answers answers;
  SteadyTime t0{};
  queue.add("10.0.0.1", t0 + 1s, answers.recorder("a"));
  queue.add("10.0.0.2", t0 + 2s, answers.recorder("b"));
  queue.add("10.0.0.3", t0 + 3s, answers.recorder("c"));
  CHECK(queue.full());
  CHECK(queue.start_next(1) == std::vector<std::string>{"10.0.0.1"});
  CHECK(queue.next_deadline() == t0 + 1s);
  deliver(queue.expire(t0 + 2s, "too slow"));
  REQUIRE(answers.got.size() == 2);
  for (const auto& [tag, answer] : answers.got) {
    CHECK(answer.status == Status::unavailable);
    CHECK(answer.reason == "too slow");
  }
  CHECK(queue.waiting() == 1);
  // The emptied in-flight batch's query is still on the wire; its answer goes to nobody.
  deliver(queue.finish({{"10.0.0.1", {std::nullopt}}}));
  CHECK(answers.got.size() == 2);
  deliver(queue.fail_all("gone"));
  REQUIRE(answers.got.size() == 3);
  CHECK(answers.got[2].first == "c");
  CHECK(answers.got[2].second.status == Status::unavailable);
  CHECK(answers.got[2].second.reason == "gone");
  CHECK(queue.waiting() == 0);
  CHECK_FALSE(queue.next_deadline());
}
