// bench_checkers — what the race / lost-update checker and the lock-order checker cost during
// exploration: schedules per second with Options::checkers = true against false, same body, same
// schedules (Strategy::Random, seed 0). Target: checkers on costs <= 1.5x checkers off (ratio of
// times, i.e. schedules/s off / on).
//
//  (a) the 2-thread x 10-increment locked counter of bench_model (locked_counter.cpp), with the
//      counter as weft::Shared<int> and as a plain int. Clean: the checkers find nothing.
//  (b) a racy program: two threads each do `counter += 1` twice on a weft::Shared<int> without a
//      lock. stop_on_first_bug = false, so every schedule runs to its end and is checked; with
//      the checkers on, every schedule has races and lost updates (deduplicated in the report).
//
// Interleaved rounds; ratios are medians of per-round ratios; see docs/BENCHMARKS.md.
#include <cstdio>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"
#include "locked_counter.hpp"

namespace {

// Bodies that ran to their end, counted outside the model: a race must not cut a schedule short.
std::uint64_t g_racy_completed = 0;

// 2 spawns + 2 threads x 2 x (load + store) + 2 joins = 12 scheduling points.
constexpr std::uint64_t kRacyPoints = 12;
// `counter += 1`: the operator has no Location argument, so the checkers name its site from the
// return address (symbolised once, then cached).
void racy_body() {
  weft::Shared<int> counter(0);
  auto work = [&] {
    for (int i = 0; i < 2; ++i) counter += 1;
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
  ++g_racy_completed;
}
// Diagnostic: the same accesses through load()/store(), which carry a source Location.
void racy_located_body() {
  weft::Shared<int> counter(0);
  auto work = [&] {
    for (int i = 0; i < 2; ++i) counter.store(counter.load() + 1);
  };
  weft::Thread a(work);
  weft::Thread b(work);
  a.join();
  b.join();
  ++g_racy_completed;
}

weft::Report racy(void (*body)(), std::uint64_t iterations, bool checkers,
                  std::uint64_t max_steps) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = iterations;
  o.checkers = checkers;
  o.stop_on_first_bug = false;
  o.max_steps = max_steps;
  return weft::explore(body, o);
}

// Seconds for `iterations` schedules of the racy program; dies unless every schedule ran to its
// end and the checkers reported races (on) or nothing (off).
double racy_seconds(void (*body)(), std::uint64_t iterations, bool checkers) {
  weft::Report r;
  g_racy_completed = 0;
  const double s = bench::seconds([&] { r = racy(body, iterations, checkers, kRacyPoints); });
  if (r.iterations != iterations) bench::die("racy program: " + r.summary());
  // Bugs found for the first time are replayed once to build their trace: a few extra bodies.
  if (g_racy_completed < iterations) bench::die("racy program: a schedule was cut short");
  if (checkers && !(r.found(weft::BugKind::DataRace) || r.found(weft::BugKind::LostUpdate))) {
    bench::die("racy program: the checkers reported no race");
  }
  if (!checkers && !r.ok()) bench::die("racy program without checkers: " + r.summary());
  return s;
}

void check_racy(void (*body)(), const char* name) {
  if (!racy(body, 3, false, kRacyPoints - 1).found(weft::BugKind::StepLimitExceeded)) {
    bench::die("racy program: fewer scheduling points than counted");
  }
  racy_seconds(body, 100, false);
  racy_seconds(body, 100, true);
  const weft::Report r = racy(body, 20000, true, kRacyPoints);
  std::printf("%s, checkers on, 20,000 schedules: %zu distinct bug(s):", name, r.bugs.size());
  for (const weft::Bug& b : r.bugs) {
    std::printf(" %s (first in schedule %llu)", std::string(weft::to_string(b.kind)).c_str(),
                static_cast<unsigned long long>(b.iteration));
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const auto counter_iters =
      static_cast<std::uint64_t>(bench::arg(argc, argv, "--iterations", 20000));
  const auto racy_iters =
      static_cast<std::uint64_t>(bench::arg(argc, argv, "--racy-iterations", 100000));
  std::printf(
      "bench_checkers: exploration with Options::checkers on vs off (medians of %d interleaved "
      "rounds)\n",
      rounds);
  bench::print_machine();

  weftbench::check_counter_points();
  std::printf("\n");
  check_racy(racy_body, "racy counter += 1");
  check_racy(racy_located_body, "racy counter.store(counter.load() + 1)");

  auto rate = [](std::uint64_t iterations, double seconds) {
    return static_cast<double>(iterations) / seconds;
  };
  std::vector<bench::Variant> vs = {
      {"locked counter, Shared<int>, checkers on",
       [&] { return rate(counter_iters, weftbench::weft_counter_shared(counter_iters, true)); }},
      {"locked counter, Shared<int>, checkers off",
       [&] { return rate(counter_iters, weftbench::weft_counter_shared(counter_iters, false)); }},
      {"locked counter, plain int, checkers on",
       [&] { return rate(counter_iters, weftbench::weft_counter_plain(counter_iters, true)); }},
      {"locked counter, plain int, checkers off",
       [&] { return rate(counter_iters, weftbench::weft_counter_plain(counter_iters, false)); }},
      {"racy counter += 1, checkers on",
       [&] { return rate(racy_iters, racy_seconds(racy_body, racy_iters, true)); }},
      {"racy counter += 1, checkers off",
       [&] { return rate(racy_iters, racy_seconds(racy_body, racy_iters, false)); }},
      {"racy store(load() + 1), checkers on (diagnostic)",
       [&] { return rate(racy_iters, racy_seconds(racy_located_body, racy_iters, true)); }},
      {"racy store(load() + 1), checkers off (diagnostic)",
       [&] { return rate(racy_iters, racy_seconds(racy_located_body, racy_iters, false)); }},
  };
  const std::uint64_t points[] = {weftbench::kSharedCounterPoints,
                                  weftbench::kSharedAllCounterPoints,  // no checkers: all points
                                  weftbench::kPlainCounterPoints,
                                  weftbench::kPlainCounterPoints,
                                  kRacyPoints,
                                  kRacyPoints,
                                  kRacyPoints,
                                  kRacyPoints};
  const std::uint64_t iters[] = {counter_iters, counter_iters, counter_iters, counter_iters,
                                 racy_iters,    racy_iters,    racy_iters,    racy_iters};
  bench::interleave(vs, rounds);

  std::printf("\nStrategy::Random, %d rounds\n\n", rounds);
  bench::Table t({"variant", "points/schedule", "schedules/round", "schedules/s median", "min",
                  "max", "us/schedule", "ns/point"});
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const double med = bench::median(vs[i].results);
    t.add({vs[i].name, std::to_string(points[i]), bench::fmt_int(static_cast<double>(iters[i])),
           bench::fmt_int(med), bench::fmt_int(bench::min_of(vs[i].results)),
           bench::fmt_int(bench::max_of(vs[i].results)), bench::fmt(1e6 / med, 2),
           bench::fmt(1e9 / med / static_cast<double>(points[i]))});
  }
  t.print();

  std::printf(
      "\ncost of the checkers: time on / time off = schedules/s off / on (target <= 1.5)\n\n");
  bench::Table r(
      {"program", "median of per-round ratios", "min", "max", "ratio of medians", "target met?"});
  const char* names[] = {"locked counter, Shared<int>", "locked counter, plain int",
                         "racy counter += 1", "racy store(load() + 1) (diagnostic)"};
  for (std::size_t k = 0; k < 4; ++k) {
    const std::vector<double>& on = vs[2 * k].results;
    const std::vector<double>& off = vs[2 * k + 1].results;
    const std::vector<double> q = bench::ratios(off, on);
    const double med = bench::median(q);
    r.add({names[k], bench::fmt(med, 2), bench::fmt(bench::min_of(q), 2),
           bench::fmt(bench::max_of(q), 2), bench::fmt(bench::median(off) / bench::median(on), 2),
           k == 3       ? "-"
           : med <= 1.5 ? "yes"
                        : "NO"});
  }
  r.print();
  bench::print_load("at end");
  return 0;
}
