// The public bug suite (bench/bugsuite): every program has the bug it claims. For each program,
// a strategy with a fixed seed finds a bug of the program's expected kind within
// bench_bugsuite's budget of 10,000 schedules (for the 50- and 100-thread programs, a seed
// found for them); and the reorder/twostage interleaving replays from a hand-written schedule.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bugsuite.hpp"

TEST_SUITE_BEGIN("bugsuite/found");

namespace {

struct Finder {
  weft::Strategy strategy;
  std::uint64_t seed;
  std::uint64_t iterations;
};

// Tried in this order until one finds the expected bug, with bench_bugsuite's budget. PCT
// (d = 3) cannot find rate_limiter (four workers inside at once needs three preemptions), hence
// Random and POS behind it.
const std::vector<Finder> kFinders = {
    {weft::Strategy::PCT, 0, 10000},
    {weft::Strategy::Random, 0, 10000},
    {weft::Strategy::POS, 0, 10000},
};

// The many-thread programs that PCT finds with only a few seeds in 10,000 schedules and the
// others not at all (docs/BENCHMARKS.md): a seed that does, from bench_bugsuite's runs. A
// change to PCT's random choices moves these; find new ones with
// `bench_bugsuite --filter reorder_100 --strategies pct` and a per-seed printout.
const std::map<std::string, Finder> kTargeted = {
    {"reorder_50", {weft::Strategy::PCT, 18, 5000}},   // found at schedule 4944
    {"reorder_100", {weft::Strategy::PCT, 9, 3200}},   // 3183
    {"twostage_50", {weft::Strategy::PCT, 18, 5000}},  // 4944
    {"twostage_100", {weft::Strategy::PCT, 9, 3200}},  // 3183
};

std::string describe(const Finder& f) {
  return std::string(to_string(f.strategy)) + " seed " + std::to_string(f.seed) + ", " +
         std::to_string(f.iterations) + " schedules";
}

}  // namespace

TEST_CASE("bugsuite_has_at_least_25_programs_with_distinct_names") {
  const std::vector<bugsuite::BugProgram> suite = bugsuite::bug_suite();
  CHECK(suite.size() >= 25);
  std::set<std::string> names;
  for (const bugsuite::BugProgram& p : suite) {
    INFO(p.name);
    CHECK(names.insert(p.name).second);
    CHECK(std::string(p.family) != "");
    CHECK(static_cast<bool>(p.body));
  }
}

TEST_CASE("bugsuite_every_program_has_its_bug") {
  for (const bugsuite::BugProgram& p : bugsuite::bug_suite()) {
    const auto targeted = kTargeted.find(p.name);
    const std::vector<Finder> finders =
        targeted != kTargeted.end() ? std::vector<Finder>{targeted->second} : kFinders;
    bool found = false;
    std::string tried;
    for (const Finder& f : finders) {
      weft::Options o;
      o.strategy = f.strategy;
      o.seed = f.seed;
      o.iterations = f.iterations;
      const weft::Report r = weft::explore(p.body, o);
      tried += (tried.empty() ? "" : "; ") + describe(f);
      if (r.found(p.expected)) {
        found = true;
        break;
      }
    }
    const std::string missed = std::string(p.name) + ": no " + std::string(to_string(p.expected)) +
                               " found (" + tried + ")";
    CHECK_MESSAGE(found, missed);
  }
}

// The goal for the default options: the many-thread programs, which Random, PCT and POS
// alone miss within 10,000 schedules on most seeds, are found by the portfolio (its
// spawner-first member lets main start every thread before any runs, and the random walk then
// puts the last-started checker inside a setter's window within a few hundred schedules).
TEST_CASE("bugsuite_the_default_finds_the_many_thread_programs_within_10000_schedules") {
  int checked = 0;
  for (const bugsuite::BugProgram& p : bugsuite::bug_suite()) {
    const std::string name = p.name;
    if (name != "reorder_50" && name != "reorder_100" && name != "twostage_50" &&
        name != "twostage_100") {
      continue;
    }
    weft::Options o;
    o.iterations = 10000;
    const weft::Report r = weft::explore(p.body, o);
    const std::string report = name + ": " + r.summary();
    CHECK_MESSAGE(r.found(p.expected), report);
    ++checked;
  }
  CHECK(checked == 4);
}

// The interleaving behind reorder_N and twostage_N, independent of any strategy's random
// choices: a hand-written schedule of the registry's own program reproduces the bug. main
// starts every thread and blocks joining T1 (N+1 decisions), then
//   reorder:  the checker TN starts and loads a (0); T1 starts and stores a = 1, b = -1; the
//             checker loads b (-1): it saw (0, -1);
//   twostage: T1 starts and takes data1Lock (and writes data1 = 1); the reader TN starts,
//             takes data1Lock (reads 1), and takes data2Lock before T1 does (reads 0).
TEST_CASE("bugsuite_reorder_and_twostage_bugs_replay_from_hand_written_schedules") {
  int replayed = 0;
  for (const bugsuite::BugProgram& p : bugsuite::bug_suite()) {
    const std::string name = p.name;
    const bool reorder = name.rfind("reorder_", 0) == 0;
    if (!reorder && name.rfind("twostage_", 0) != 0) continue;
    const std::string n = name.substr(name.find('_') + 1);
    const std::string main_starts_all = "t0*" + std::to_string(std::stoi(n) + 1);
    const std::string decisions = reorder ? main_starts_all + " t" + n + "*2 t1*3 t" + n
                                          : main_starts_all + " t1*2 t" + n + "*3";
    const weft::Report r =
        weft::replay(p.body, weft::Schedule::parse("weft-schedule 2\n" + decisions + "\n"));
    const std::string report = name + ": " + r.summary();
    CHECK_MESSAGE(r.found(p.expected), report);
    CHECK_MESSAGE(r.bugs.size() == 1, report);
    ++replayed;
  }
  CHECK(replayed == 11);
}

TEST_SUITE_END();
