#include "tools/bench/tcpserver-bench/softlimit_floor.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tools/bench/tcpserver-bench/child_process.h"
#include "tools/bench/tcpserver-bench/csv_out.h"
#include "tools/bench/tcpserver-bench/held_connections.h"

namespace ucspi::bench {
namespace {

// Says whether RELAYCLIENT came, then holds the connection until the client closes it, so that
// the parent has every connection open at once.
constexpr const char* child_source = R"(#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  const char* text = getenv("RELAYCLIENT") ? "served relay\n" : "served\n";
  if (write(1, text, strlen(text)) < 0) return 1;
  char c;
  while (read(0, &c, 1) > 0) {}
  return 0;
}
)";

// Each server run: to listen (ServerProcess's own bound), then to answer every connection.
constexpr std::chrono::seconds answer_timeout{10};
// After the port is printed, before the start's VmSize and VmRSS are read.
constexpr std::chrono::milliseconds settle{200};

// Static: the child runs under the server's limit, and a dynamic loader would be part of it.
std::string build_child(const std::string& dir) {
  const auto cc = find_program("cc");
  if (!cc) throw std::runtime_error("the softlimit scenario compiles its child with cc, not on "
                                    "PATH: apt-get install gcc libc6-dev");
  write_file(dir + "/child.c", child_source);
  run_to_completion({*cc, "-O2", "-static", "-o", dir + "/child", dir + "/child.c"}, "", dir,
                    std::chrono::seconds(60));
  return dir + "/child";
}

// A new store of kind in dir (mysql's is the harness's MariaDB), with 127.0.0.1 recorded in it
// by our relay-allow; "" for none.
std::string prepare_store(const SoftlimitPlan& plan, const std::string& kind, const std::string& dir) {
  std::string spec;
  if (kind == "none") return spec;
  if (kind == "cdb") {
    spec = "cdb:" + dir + "/relay.cdb";
  } else if (kind == "relay-ctrl") {
    std::filesystem::create_directories(dir + "/relay-ctrl");
    spec = "relay-ctrl:" + dir + "/relay-ctrl";
  } else if (kind == "mysql") {
    if (plan.mysql_spec.empty()) throw std::logic_error("softlimit: mysql wanted, no MariaDB");
    spec = plan.mysql_spec;
  } else {
    throw std::logic_error("softlimit: no store " + kind);
  }
  run_to_completion({plan.relay_allow, "-s", spec, "-i", "127.0.0.1"}, "", dir,
                    std::chrono::seconds(30));
  return spec;
}

ServerSpec server_spec(const std::string& label, const std::string& binary,
                       const SoftlimitPlan& plan, const std::string& store,
                       const std::string& child) {
  ServerSpec s;
  s.label = label;
  s.argv = {binary, "-1", "-R", "-H", "-l", "bench",
            "-c", std::to_string(softlimit_connections + 10), "-b", "256", "-x", plan.rules_cdb};
  if (!store.empty()) s.argv.insert(s.argv.end(), {"-s", store});
  s.argv.insert(s.argv.end(), {"127.0.0.1", "0", child});
  return s;
}

struct Trial {
  bool started = false;
  unsigned answered = 0;  // with the expected line
  bool serves = false;    // every one answered, and the server still there
  Memory start;
  Memory loaded;
};

// The clients come as soon as it listens, as to a server just restarted: a mysql: store's
// helper still starting meets them all, and its floor is higher so (9,755,248 bytes against
// 9,662,231 to 9,747,496 after a 200 ms pause, in runs on one build). Only the run with no
// limit pauses, for the parent's memory at start.
Trial try_serving(const ServerSpec& spec, const std::string& dir, const std::string& expect) {
  Trial t;
  std::optional<ServerProcess> server = ServerProcess::start_if_it_can(spec, dir);
  if (!server) return t;
  t.started = true;
  if (spec.memory_limit == 0) {
    std::this_thread::sleep_for(settle);
    t.start = server->memory();
  }
  const HeldConnections held(server->port(), softlimit_connections, answer_timeout);
  t.answered = held.answered(expect);
  t.loaded = server->memory();
  t.serves = t.answered == softlimit_connections && !server->exited();
  return t;
}

std::string outcome(const Trial& t) {
  if (!t.started) return "did not start";
  if (t.serves) return "serves";
  return std::to_string(t.answered) + " of " + std::to_string(softlimit_connections) +
         " answered" + (t.answered == softlimit_connections ? ", then it died" : "");
}

// One row: the parent's memory with no limit (which must serve: else the setup, not the limit,
// is wrong), then the bisection.
SoftlimitRow measure_row(const SoftlimitPlan& plan, ServerSpec spec, const std::string& store,
                         const std::string& expect, const std::string& dir, Progress& progress) {
  SoftlimitRow row;
  row.store = store;
  row.server = spec.label;
  const std::string what = "softlimit " + spec.label + " store " + store;
  auto trial = [&](unsigned long limit) {
    spec.memory_limit = limit;
    const std::string run = what + (limit ? " -m " + std::to_string(limit) : " no limit");
    progress.starting(run);
    const Trial t = try_serving(spec, dir, expect);
    progress.finished(run + ": " + outcome(t));
    return t;
  };
  const Trial unlimited = trial(0);
  if (!unlimited.serves)
    throw std::runtime_error(what + " does not serve even with no limit (" + outcome(unlimited) +
                             ", each expected " + expect.substr(0, expect.size() - 1) + ")");
  row.start = unlimited.start;
  row.loaded = unlimited.loaded;
  unsigned long low = softlimit_low, high = softlimit_high;
  if (!trial(high).serves) return row;
  while (high - low > plan.step) {
    const unsigned long mid = (low + high) / 2;
    (trial(mid).serves ? high : low) = mid;
  }
  row.floor = high;
  return row;
}

bool has_none(const SoftlimitPlan& plan) {
  for (const std::string& s : plan.stores)
    if (s == "none") return true;
  return false;
}

}  // namespace

unsigned softlimit_runs_planned(const SoftlimitPlan& plan) {
  unsigned bisection = 0;
  for (unsigned long width = softlimit_high - softlimit_low; width > plan.step; width = (width + 1) / 2)
    ++bisection;
  const auto rows = static_cast<unsigned>(plan.stores.size()) + (has_none(plan) ? 1 : 0);
  return rows * (2 + bisection);  // no limit, the highest, the bisection
}

SoftlimitResult measure_softlimit(const SoftlimitPlan& plan, const std::string& workdir,
                                  Progress& progress) {
  const std::string dir = workdir + "/softlimit";
  std::filesystem::create_directories(dir);
  const std::string child = build_child(dir);
  SoftlimitResult result;
  result.step = plan.step;
  for (const std::string& store : plan.stores) {
    const std::string spec = prepare_store(plan, store, dir);
    const std::string expect = spec.empty() ? "served\n" : "served relay\n";
    result.rows.push_back(
        measure_row(plan, server_spec("ours", plan.ours, plan, spec, child), store, expect, dir, progress));
    if (store == "none")  // djb's has no store: its only row
      result.rows.push_back(measure_row(plan, server_spec("djb", plan.reference, plan, spec, child),
                                        store, expect, dir, progress));
  }
  return result;
}

}  // namespace ucspi::bench
