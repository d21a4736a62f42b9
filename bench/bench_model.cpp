// bench_model — the cost of model mode.
//
//  (i)  one scheduling step: two model threads each make N scheduling points (yield() or
//       Atomic<int>::fetch_add) under Strategy::Random; wall time / scheduling points. The
//       marginal cost per step is the slope between N = 1000 and N = 10, which removes the
//       per-schedule fixed cost (fibers, thread table, the body's std::function).
//  (ii) schedules per second of the 2-thread x 10-increment locked counter, Strategy::Random,
//       with the counter as weft::Shared<int> (every access a scheduling point) and as a plain
//       int (only lock, spawn and join are scheduling points).
//
// Every number is a median over interleaved rounds; see docs/BENCHMARKS.md.
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"
#include "locked_counter.hpp"

namespace {

// Two threads, n yields each. Scheduling points: 2 spawns + 2n yields + 2 joins.
void yield_body(int n) {
  auto work = [n] {
    for (int i = 0; i < n; ++i) weft::this_thread::yield();
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
}
std::uint64_t yield_points(int n) { return 2 + 2 * static_cast<std::uint64_t>(n) + 2; }

// Two threads, n fetch_adds each. Scheduling points: 2 spawns + 2n rmw + 2 joins + 1 load.
void fetch_add_body(int n) {
  weft::Atomic<int> x(0);
  auto work = [n, &x] {
    for (int i = 0; i < n; ++i) x.fetch_add(1);
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
  WEFT_ASSERT(x.load() == 2 * n);
}
std::uint64_t fetch_add_points(int n) { return 2 + 2 * static_cast<std::uint64_t>(n) + 2 + 1; }

struct StepCase {
  const char* name;
  void (*body)(int);
  std::uint64_t (*points)(int);
  weft::Strategy strategy;
};

// Seconds for `iterations` schedules of body(n); dies if the run was not the clean one we mean.
double run_schedules(const StepCase& c, int n, std::uint64_t iterations) {
  weft::Options o;
  o.strategy = c.strategy;
  o.iterations = iterations;
  o.max_steps = c.points(n);  // exact: one more scheduling point would be a StepLimitExceeded bug
  weft::Report r;
  const double s = bench::seconds([&] { r = weft::explore([&c, n] { c.body(n); }, o); });
  if (!r.ok() || r.iterations != iterations) {
    bench::die(std::string(c.name) + ": " + r.summary());
  }
  return s;
}

// The step counts claimed above are exact: max_steps = count passes, count - 1 fails.
void check_points(const StepCase& c, int n) {
  weft::Options o;
  o.strategy = c.strategy;
  o.iterations = 3;
  o.max_steps = c.points(n) - 1;
  if (!weft::explore([&c, n] { c.body(n); }, o).found(weft::BugKind::StepLimitExceeded)) {
    bench::die(std::string(c.name) + ": fewer scheduling points than counted");
  }
  run_schedules(c, n, 3);
}

void step_cost(int rounds) {
  const int big = 1000, small = 10;
  const std::uint64_t big_iters = 500, small_iters = 50000;  // ~1M and ~1.2M steps per round
  const std::vector<StepCase> cases = {
      {"yield, Random", yield_body, yield_points, weft::Strategy::Random},
      {"Atomic<int>::fetch_add, Random", fetch_add_body, fetch_add_points, weft::Strategy::Random},
      {"Atomic<int>::fetch_add, PCT (for reference)", fetch_add_body, fetch_add_points,
       weft::Strategy::PCT},
  };
  std::vector<bench::Variant> vs;
  for (const StepCase& c : cases) {
    check_points(c, big);
    check_points(c, small);
    // Metric: ns per scheduling step, and the per-schedule time for the slope.
    vs.push_back({std::string(c.name) + " N=1000", [&c, big, big_iters] {
                    return run_schedules(c, big, big_iters) * 1e9 /
                           static_cast<double>(big_iters * c.points(big));
                  }});
    vs.push_back({std::string(c.name) + " N=10", [&c, small, small_iters] {
                    return run_schedules(c, small, small_iters) * 1e9 /
                           static_cast<double>(small_iters * c.points(small));
                  }});
  }
  bench::interleave(vs, rounds);

  std::printf("\n(i) cost of one scheduling step, 2 model threads x N operations, %d rounds\n",
              rounds);
  std::printf("    ns/step = wall time / scheduling points (spawns + operations + joins)\n\n");
  bench::Table t({"body", "points/schedule", "schedules/round", "ns/step median", "min", "max"});
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const StepCase& c = cases[i / 2];
    const bool is_big = i % 2 == 0;
    t.add({vs[i].name, std::to_string(c.points(is_big ? big : small)),
           bench::fmt_int(static_cast<double>(is_big ? big_iters : small_iters)),
           bench::fmt(bench::median(vs[i].results)), bench::fmt(bench::min_of(vs[i].results)),
           bench::fmt(bench::max_of(vs[i].results))});
  }
  t.print();

  std::printf("\n    marginal ns/step: slope of time per schedule between N=1000 and N=10\n");
  std::printf("    (the per-schedule fixed cost taken out); fixed cost = intercept\n\n");
  bench::Table m({"body", "marginal ns/step median", "min", "max", "fixed us/schedule median"});
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const StepCase& c = cases[k];
    const double pb = static_cast<double>(c.points(big)), ps = static_cast<double>(c.points(small));
    std::vector<double> slope, fixed;
    for (std::size_t r = 0; r < vs[2 * k].results.size(); ++r) {
      const double tb = vs[2 * k].results[r] * pb, ts = vs[2 * k + 1].results[r] * ps;  // ns
      const double b = (tb - ts) / (pb - ps);
      slope.push_back(b);
      fixed.push_back((ts - b * ps) / 1000.0);
    }
    m.add({c.name, bench::fmt(bench::median(slope)), bench::fmt(bench::min_of(slope)),
           bench::fmt(bench::max_of(slope)), bench::fmt(bench::median(fixed), 2)});
  }
  m.print();
}

void locked_counter(int rounds, std::uint64_t iterations) {
  using namespace weftbench;
  check_counter_points();
  std::vector<bench::Variant> vs = {
      {"weft Shared<int> counter",
       [iterations] { return static_cast<double>(iterations) / weft_counter_shared(iterations); }},
      {"weft plain int counter",
       [iterations] { return static_cast<double>(iterations) / weft_counter_plain(iterations); }},
  };
  bench::interleave(vs, rounds);
  std::printf(
      "\n(ii) locked counter, 2 threads x 10 x {lock_guard<weft::Mutex>; counter = counter + 1},"
      "\n     Strategy::Random, %llu schedules per round, %d rounds\n\n",
      static_cast<unsigned long long>(iterations), rounds);
  bench::Table t({"variant", "points/schedule", "schedules/s median", "min", "max",
                  "us/schedule median", "ns/step median"});
  const std::uint64_t points[] = {kSharedCounterPoints, kPlainCounterPoints};
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const double med = bench::median(vs[i].results);
    t.add({vs[i].name, std::to_string(points[i]), bench::fmt_int(med),
           bench::fmt_int(bench::min_of(vs[i].results)),
           bench::fmt_int(bench::max_of(vs[i].results)), bench::fmt(1e6 / med, 2),
           bench::fmt(1e9 / med / static_cast<double>(points[i]))});
  }
  t.print();
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const auto iterations = static_cast<std::uint64_t>(bench::arg(argc, argv, "--iterations", 20000));
  // --part 1: only (i), --part 2: only (ii) (e.g. to profile one of them); default both.
  const long long part = bench::arg(argc, argv, "--part", 0);
  std::printf("bench_model: weft model-mode costs (medians of %d interleaved rounds)\n", rounds);
  bench::print_machine();
  if (part != 2) step_cost(rounds);
  if (part != 1) locked_counter(rounds, iterations);
  bench::print_load("at end");
  return 0;
}
