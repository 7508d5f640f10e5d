#include "tools/bench/tcpserver-bench/tcprules_curve.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tools/bench/tcpserver-bench/latency_stats.h"
#include "tools/bench/tcpserver-bench/measured_run.h"
#include "tools/bench/tcpserver-bench/rules_generator.h"

namespace ucspi::bench {
namespace {

struct Sample {
  RunCost cost;
  std::string cdb;
  std::string stderr_text;
};

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// In blocks: a cdb of a million lines is tens of MB, the harness needs not hold it.
bool same_bytes(const std::string& a, const std::string& b) {
  std::error_code ea, eb;
  if (std::filesystem::file_size(a, ea) != std::filesystem::file_size(b, eb) || ea || eb) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::vector<char> ba(1 << 16), bb(1 << 16);
  while (fa && fb) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount() || !std::equal(ba.begin(), ba.begin() + fa.gcount(), bb.begin()))
      return false;
  }
  return true;
}

Sample run_one(const std::string& tcprules, const std::string& name, const std::string& rules,
               const TcprulesPlan& plan, const std::string& dir) {
  Sample s;
  s.cdb = dir + "/" + name + ".cdb";
  const std::string err = dir + "/" + name + ".err";
  std::filesystem::remove(s.cdb);
  s.cost = measured_run({tcprules, s.cdb, s.cdb + ".tmp"}, rules, err, dir, plan.cap);
  s.stderr_text = file_text(err);
  return s;
}

// Adds to level.errors and problems what went wrong with one sample.
void check(const Sample& s, const std::string& label, TcprulesLevel& level,
           std::vector<std::string>& problems) {
  const std::string where = label + "'s tcprules at " + std::to_string(level.lines) + " lines: ";
  if (!WIFEXITED(s.cost.status) || WEXITSTATUS(s.cost.status) != 0) {
    ++level.errors;
    problems.push_back(where + "wait status " + std::to_string(s.cost.status) + " " +
                       s.stderr_text.substr(0, 200));
  } else if (!s.stderr_text.empty()) {
    ++level.errors;
    problems.push_back(where + "stderr: " + s.stderr_text.substr(0, 200));
  }
}

TcprulesLevel measure_size(const TcprulesPlan& plan, unsigned long lines, const std::string& dir,
                           std::vector<std::string>& problems) {
  TcprulesLevel level;
  level.lines = lines;
  const std::string rules = dir + "/rules-" + std::to_string(lines) + ".txt";
  write_rules_file(rules, lines);
  std::vector<double> wall_a, wall_b, rss_a, rss_b, time_ratio, rss_ratio;
  for (unsigned round = 0; round < plan.rounds; ++round) {
    Sample a, b;
    if (round % 2 == 0) {
      a = run_one(plan.ours, "ours", rules, plan, dir);
      b = run_one(plan.djb, "djb", rules, plan, dir);
    } else {
      b = run_one(plan.djb, "djb", rules, plan, dir);
      a = run_one(plan.ours, "ours", rules, plan, dir);
    }
    check(a, "ours", level, problems);
    check(b, "djb", level, problems);
    if (!same_bytes(a.cdb, b.cdb)) {
      ++level.errors;
      problems.push_back("the cdbs differ at " + std::to_string(lines) + " lines, round " +
                         std::to_string(round + 1));
    }
    wall_a.push_back(a.cost.wall_s * 1000);
    wall_b.push_back(b.cost.wall_s * 1000);
    rss_a.push_back(static_cast<double>(a.cost.maxrss_kib));
    rss_b.push_back(static_cast<double>(b.cost.maxrss_kib));
    time_ratio.push_back(b.cost.wall_s > 0 ? a.cost.wall_s / b.cost.wall_s : 0);
    rss_ratio.push_back(rss_b.back() > 0 ? rss_a.back() / rss_b.back() : 0);
  }
  std::filesystem::remove(rules);  // a million lines are some 60 MB of $TMPDIR
  level.a = {median(wall_a), static_cast<long>(median(rss_a))};
  level.b = {median(wall_b), static_cast<long>(median(rss_b))};
  level.time_ratio = median(time_ratio);
  level.rss_ratio = median(rss_ratio);
  return level;
}

}  // namespace

TcprulesResult measure_tcprules(const TcprulesPlan& plan, const std::string& workdir) {
  TcprulesResult result;
  for (unsigned long lines : plan.sizes)
    result.levels.push_back(measure_size(plan, lines, workdir, result.problems));
  return result;
}

}  // namespace ucspi::bench
