#include <algorithm>
#include <catch2/catch.hpp>

#include "mysql/lookup_queue.h"

using namespace ucspi;
using namespace std::chrono_literals;

namespace {

struct Answers {
  std::vector<std::pair<std::string, RelayAnswer>> got;
  LookupDone recorder(std::string tag) {
    return [this, tag](RelayAnswer a) { got.emplace_back(tag, a); };
  }
};

void deliver(std::vector<ReadyAnswer> ready) {
  for (auto& r : ready) r.done(r.answer);
}

}  // namespace

TEST_CASE("queue: relay decision, permanent rows and the window edge") {
  CHECK(relay_decision({}, 1000, 100) == RelayAnswer::no_relay);
  CHECK(relay_decision({std::nullopt}, 1000, 100) == RelayAnswer::relay);
  CHECK(relay_decision({901}, 1000, 100) == RelayAnswer::relay);
  CHECK(relay_decision({900}, 1000, 100) == RelayAnswer::no_relay);  // timestamp > now - window
  CHECK(relay_decision({5, 950}, 1000, 100) == RelayAnswer::relay);
}

TEST_CASE("queue: identical IPs share one query, each waiter judged by its own now") {
  LookupQueue queue(10);
  Answers answers;
  SteadyTime t0{};
  queue.add("10.0.0.1", 1000, t0 + 1s, answers.recorder("a"));
  queue.add("10.0.0.2", 1000, t0 + 1s, answers.recorder("b"));
  queue.add("10.0.0.1", 1100, t0 + 1s, answers.recorder("c"));
  queue.add("10.0.0.3", 1000, t0 + 1s, answers.recorder("e"));
  CHECK(queue.waiting() == 4);
  CHECK(queue.start_next(2) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  queue.add("10.0.0.1", 1000, t0 + 1s, answers.recorder("d"));  // joins the batch in flight
  // 10.0.0.1 relays for now=1000, not for now=1100; 10.0.0.2 has no row.
  deliver(queue.finish({{"10.0.0.1", {950}}}, 100));
  REQUIRE(answers.got.size() == 4);
  std::sort(answers.got.begin(), answers.got.end());
  CHECK(answers.got[0] == std::pair<std::string, RelayAnswer>{"a", RelayAnswer::relay});
  CHECK(answers.got[1] == std::pair<std::string, RelayAnswer>{"b", RelayAnswer::no_relay});
  CHECK(answers.got[2] == std::pair<std::string, RelayAnswer>{"c", RelayAnswer::no_relay});
  CHECK(answers.got[3] == std::pair<std::string, RelayAnswer>{"d", RelayAnswer::relay});
  CHECK(queue.start_next(100) == std::vector<std::string>{"10.0.0.3"});
  CHECK_FALSE(queue.has_queued());
}

TEST_CASE("queue: bound, deadlines and failure") {
  LookupQueue queue(3);
  Answers answers;
  SteadyTime t0{};
  queue.add("10.0.0.1", 0, t0 + 1s, answers.recorder("a"));
  queue.add("10.0.0.2", 0, t0 + 2s, answers.recorder("b"));
  queue.add("10.0.0.3", 0, t0 + 3s, answers.recorder("c"));
  CHECK(queue.full());
  CHECK(queue.start_next(1) == std::vector<std::string>{"10.0.0.1"});
  CHECK(queue.next_deadline() == t0 + 1s);
  deliver(queue.expire(t0 + 2s));
  REQUIRE(answers.got.size() == 2);
  CHECK(answers.got[0].second == RelayAnswer::unavailable);
  CHECK(answers.got[1].second == RelayAnswer::unavailable);
  CHECK(queue.waiting() == 1);
  // The emptied in-flight batch's query is still on the wire; its answer goes to nobody.
  deliver(queue.finish({{"10.0.0.1", {std::nullopt}}}, 100));
  CHECK(answers.got.size() == 2);
  deliver(queue.fail_all());
  REQUIRE(answers.got.size() == 3);
  CHECK(answers.got[2] == std::pair<std::string, RelayAnswer>{"c", RelayAnswer::unavailable});
  CHECK(queue.waiting() == 0);
  CHECK_FALSE(queue.next_deadline());
}
