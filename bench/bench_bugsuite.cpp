// bench_bugsuite — how fast each strategy finds the bugs of the public bug suite
// (bench/bugsuite/). For every program and strategy it runs weft::explore with
// stop_on_first_bug once per seed (0 .. seeds-1) and prints the median number of schedules to
// the first bug of the program's expected kind, and on how many seeds it was found within the
// budget; then, per strategy, how many programs it finds and which it misses.
//
//   bench_bugsuite [--seeds 20] [--iterations 10000] [--filter SUBSTR]
//                  [--strategies random,pct,pos,dfs,dfs-pb2]
//
// The median is the lower median over the seeds (the 10th of 20 values), counting a seed that
// did not find the bug as infinite: it is "—" when fewer than half the seeds found the bug.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"
#include "bugsuite.hpp"

namespace {

struct StrategyRow {
  std::string name;
  weft::Strategy strategy;
  int preemption_bound = -1;  // DFS only
};

// The strategies, one line each; the one weft::Options{} chooses is marked as the default.
std::vector<StrategyRow> all_strategies() {
  using S = weft::Strategy;
  return {
      {"random", S::Random},
      {"pct", S::PCT},
      {"pos", S::POS},
      {"dfs", S::DFS},
      {"dfs-pb2", S::DFS, 2},
      {"fuzz", S::Fuzz},
      {"portfolio", S::Portfolio},
  };
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

constexpr std::uint64_t kMissed = std::numeric_limits<std::uint64_t>::max();

struct Cell {
  std::vector<std::uint64_t> first;  // per seed: schedule of the first expected bug, or kMissed
  double seconds = 0;
  std::size_t found() const {
    return static_cast<std::size_t>(
        std::count_if(first.begin(), first.end(), [](std::uint64_t f) { return f != kMissed; }));
  }
  // The lower median, misses counted as infinite.
  std::uint64_t median() const {
    std::vector<std::uint64_t> v = first;
    std::sort(v.begin(), v.end());
    return v.empty() ? kMissed : v[(v.size() - 1) / 2];
  }
  bool majority() const { return median() != kMissed; }
};

}  // namespace

int main(int argc, char** argv) {
  const auto seeds = static_cast<std::uint64_t>(bench::arg(argc, argv, "--seeds", 20));
  const auto iterations = static_cast<std::uint64_t>(bench::arg(argc, argv, "--iterations", 10000));
  const std::string filter = bench::string_arg(argc, argv, "--filter", "");
  const std::vector<StrategyRow> every = all_strategies();
  std::string every_name;
  for (const StrategyRow& s : every) every_name += (every_name.empty() ? "" : ",") + s.name;
  std::vector<StrategyRow> strategies;
  for (const std::string& name : split(bench::string_arg(argc, argv, "--strategies", every_name))) {
    auto it = std::find_if(every.begin(), every.end(),
                           [&](const StrategyRow& s) { return s.name == name; });
    if (it == every.end())
      bench::die("unknown strategy '" + name + "' (known: " + every_name + ")");
    strategies.push_back(*it);
  }
  if (seeds == 0 || iterations == 0) bench::die("--seeds and --iterations must be at least 1");

  std::vector<bugsuite::BugProgram> programs;
  for (bugsuite::BugProgram& p : bugsuite::bug_suite()) {
    if (filter.empty() || std::string(p.name).find(filter) != std::string::npos) {
      programs.push_back(std::move(p));
    }
  }
  std::printf(
      "bench_bugsuite: %zu programs x %zu strategies, seeds 0..%llu, at most %llu schedules "
      "each, stop_on_first_bug\n",
      programs.size(), strategies.size(), static_cast<unsigned long long>(seeds - 1),
      static_cast<unsigned long long>(iterations));
  bench::print_machine();

  std::vector<std::string> header = {"program", "family", "expected"};
  const weft::Options defaults;
  auto label = [&](const StrategyRow& s) {
    const bool is_default =
        s.strategy == defaults.strategy && s.preemption_bound == defaults.preemption_bound;
    return is_default ? s.name + " (default)" : s.name;
  };
  for (const StrategyRow& s : strategies) header.push_back(label(s));
  bench::Table table(header);
  std::vector<std::vector<Cell>> cells(programs.size(), std::vector<Cell>(strategies.size()));
  std::vector<std::string> surprises;  // bugs of another kind than expected
  const double t0 = bench::process_cpu_seconds();
  const auto wall0 = bench::Clock::now();
  for (std::size_t p = 0; p < programs.size(); ++p) {
    const bugsuite::BugProgram& program = programs[p];
    std::vector<std::string> row = {program.name, program.family,
                                    std::string(to_string(program.expected))};
    for (std::size_t s = 0; s < strategies.size(); ++s) {
      Cell& cell = cells[p][s];
      const auto start = bench::Clock::now();
      for (std::uint64_t seed = 0; seed < seeds; ++seed) {
        std::fprintf(stderr, "\r  %-24s %-9s seed %3llu", program.name, strategies[s].name.c_str(),
                     static_cast<unsigned long long>(seed));
        std::fflush(stderr);
        weft::Options o;
        o.strategy = strategies[s].strategy;
        o.preemption_bound = strategies[s].preemption_bound;
        o.iterations = iterations;
        o.seed = seed;
        o.stop_on_first_bug = true;
        const weft::Report r = weft::explore(program.body, o);
        std::uint64_t first = kMissed;
        for (const weft::Bug& b : r.bugs) {
          if (b.kind == program.expected) first = std::min(first, b.iteration);
        }
        if (first == kMissed && !r.bugs.empty()) {
          surprises.push_back(std::string(program.name) + " / " + strategies[s].name + " seed " +
                              std::to_string(seed) + ": " +
                              std::string(to_string(r.bugs.front().kind)) + ": " +
                              r.bugs.front().message);
        }
        cell.first.push_back(first);
      }
      cell.seconds = std::chrono::duration<double>(bench::Clock::now() - start).count();
      const std::string median = cell.majority() ? bench::fmt_int(double(cell.median())) : "—";
      row.push_back(median + " (" + std::to_string(cell.found()) + "/" + std::to_string(seeds) +
                    ")");
    }
    table.add(row);
  }
  std::fprintf(stderr, "\r%*s\r", 60, "");
  std::printf(
      "\nschedules to the first bug of the expected kind: lower median over the seeds (— when "
      "fewer than half found it), (seeds that found it within %llu schedules / seeds)\n\n",
      static_cast<unsigned long long>(iterations));
  table.print();

  std::printf(
      "\nper strategy: programs found by at least half the seeds (median defined) and by at "
      "least one seed; the programs not found by half the seeds; seconds of wall time\n\n");
  bench::Table totals({"strategy", "found (≥ half the seeds)", "found (≥ 1 seed)",
                       "not found by half the seeds", "seconds"});
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    std::size_t majority = 0, any = 0;
    double seconds = 0;
    std::string missed;
    for (std::size_t p = 0; p < programs.size(); ++p) {
      const Cell& c = cells[p][s];
      seconds += c.seconds;
      if (c.majority()) ++majority;
      if (c.found() > 0) ++any;
      if (!c.majority()) {
        missed += (missed.empty() ? "" : ", ") + std::string(programs[p].name) + " (" +
                  std::to_string(c.found()) + "/" + std::to_string(seeds) + ")";
      }
    }
    totals.add({label(strategies[s]),
                std::to_string(majority) + "/" + std::to_string(programs.size()),
                std::to_string(any) + "/" + std::to_string(programs.size()),
                missed.empty() ? "—" : missed, bench::fmt(seconds, 0)});
  }
  totals.print();
  if (!surprises.empty()) {
    std::printf("\nbugs of another kind than expected (%zu explorations):\n", surprises.size());
    for (const std::string& s : surprises) std::printf("  %s\n", s.c_str());
  }
  std::printf("\nwall time %.0f s, CPU time %.0f s\n",
              std::chrono::duration<double>(bench::Clock::now() - wall0).count(),
              bench::process_cpu_seconds() - t0);
  bench::print_load("at end");
  return 0;
}
