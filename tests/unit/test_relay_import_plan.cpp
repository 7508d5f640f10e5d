// What relay-import writes, given the source's logins and the target's entries (import_plan.h).
#include <catch2/catch.hpp>

#include "tools/import_plan.h"

using namespace ucspi;

namespace {

constexpr std::int64_t now = 1700100000;

std::vector<std::string> lines_of(const std::vector<ImportEntry>& entries) {
  std::vector<std::string> lines;
  for (const ImportEntry& e : entries) lines.push_back(e.ip + ' ' + std::to_string(e.last_login));
  return lines;
}

std::vector<std::string> lines_of(const std::vector<SkippedEntry>& skipped) {
  std::vector<std::string> lines;
  for (const SkippedEntry& s : skipped) lines.push_back(s.where + '|' + s.text + '|' + s.reason);
  return lines;
}

}  // namespace

TEST_CASE("import plan: an IP seen twice keeps its newest login", "[relay-import][plan]") {
  const std::vector<ImportEntry> source = {
      {"10.1.2.3", 100, "line 1"}, {"10.0.0.1", 50, "line 2"}, {"10.1.2.3", 400, "line 3"},
      {"10.1.2.3", 200, "line 4"}, {"10.0.0.1", 50, "line 5"},
  };
  const ImportPlan plan = plan_import(source, {}, {now, std::nullopt});
  CHECK(lines_of(plan.record) == std::vector<std::string>{"10.0.0.1 50", "10.1.2.3 400"});
  CHECK(plan.up_to_date.empty());
  CHECK(lines_of(plan.skipped) == std::vector<std::string>{
                                      "line 1|10.1.2.3|an older login than the one at line 3",
                                      "line 4|10.1.2.3|an older login than the one at line 3",
                                      "line 5|10.0.0.1|the same login as the one at line 2",
                                  });
  // A store's entries have no place: they name no other.
  const ImportPlan rows =
      plan_import({{"10.1.2.3", 100, ""}, {"10.1.2.3", 300, ""}}, {}, {now, std::nullopt});
  CHECK(lines_of(rows.record) == std::vector<std::string>{"10.1.2.3 300"});
  CHECK(lines_of(rows.skipped) ==
        std::vector<std::string>{"|10.1.2.3|an older login than another entry for it"});
}

TEST_CASE("import plan: never an older login over a newer one", "[relay-import][plan]") {
  const std::vector<ImportEntry> source = {
      {"10.0.0.1", 500, "line 1"}, {"10.0.0.2", 500, "line 2"}, {"10.0.0.3", 500, "line 3"},
      {"10.0.0.4", 500, "line 4"}, {"10.0.0.5", 500, "line 5"}, {"2001:db8::1", 500, "line 6"},
  };
  const std::vector<RoamingEntry> target = {
      {"10.0.0.1", 400},           // older: replaced
      {"10.0.0.2", 500},           // the same: left alone, so a rerun writes nothing
      {"10.0.0.3", 900},           // newer: left alone
      {"10.0.0.4", std::nullopt},  // permanent: left alone
      {"::ffff:10.0.0.5", 600},    // another writer's form of 10.0.0.5, newer
      {"2001:DB8::1", 100},        // another writer's form, older
      {"192.168.", std::nullopt},  // no address: nothing to compare
  };
  const ImportPlan plan = plan_import(source, target, {now, std::nullopt});
  CHECK(lines_of(plan.record) == std::vector<std::string>{"10.0.0.1 500", "2001:db8::1 500"});
  CHECK(lines_of(plan.up_to_date) ==
        std::vector<std::string>{"10.0.0.2 500", "10.0.0.3 500", "10.0.0.4 500", "10.0.0.5 500"});
  CHECK(plan.skipped.empty());
}

TEST_CASE("import plan: every age by default, expired ones skipped with a window",
          "[relay-import][plan]") {
  const std::vector<ImportEntry> source = {
      {"10.0.0.1", 1, "line 1"},
      {"10.0.0.2", now - 1800, "line 2"},  // exactly the window old: relay-clear removes it
      {"10.0.0.3", now - 1799, "line 3"},
      {"10.0.0.4", now + 300, "line 4"},  // a clock a little ahead: taken
      {"10.0.0.5", now + 301, "line 5"},  // further: a wrong clock or a forged entry
  };
  ImportPlan plan = plan_import(source, {}, {now, std::nullopt});
  CHECK(plan.record.size() == 4);
  CHECK(lines_of(plan.skipped) ==
        std::vector<std::string>{"line 5|10.0.0.5|stamped 301 s in the future"});

  plan = plan_import(source, {}, {now, 1800});
  CHECK(lines_of(plan.record) == std::vector<std::string>{"10.0.0.3 " + std::to_string(now - 1799),
                                                          "10.0.0.4 " + std::to_string(now + 300)});
  CHECK(lines_of(plan.skipped) == std::vector<std::string>{
                                      "line 1|10.0.0.1|expired (1700099999 s old, window 1800 s)",
                                      "line 2|10.0.0.2|expired (1800 s old, window 1800 s)",
                                      "line 5|10.0.0.5|stamped 301 s in the future",
                                  });
}

TEST_CASE("import plan: a skipped newer duplicate does not hide an older good one",
          "[relay-import][plan]") {
  // The future entry is skipped before duplicates are merged: the real login is imported.
  const ImportPlan plan =
      plan_import({{"10.0.0.1", now + 5000, "line 1"}, {"10.0.0.1", now - 10, "line 2"}}, {},
                  {now, std::nullopt});
  CHECK(lines_of(plan.record) == std::vector<std::string>{"10.0.0.1 " + std::to_string(now - 10)});
  CHECK(plan.skipped.size() == 1);
}
