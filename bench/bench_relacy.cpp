// bench_relacy — weft against Relacy on the same program, in one process, interleaved rounds:
// the 2-thread x 10-increment locked counter under a uniformly random scheduler, the same
// number of schedules per round for both. Target: weft >= 2x Relacy's schedules/s.
//
// The bodies are not identical in scheduling points (each tool decides what a scheduling point
// is), so the table also prints points per schedule and ns per point:
//   weft Shared<int>: 24 points with SharedPoints::Racy (the default: the lock orders every
//                     access, so none is a point), 65 with All (spawn, lock, load, store, join;
//                     unlock is not a point)
//   weft plain int:   24 points (spawn, lock, join)
//   Relacy rl::var:   41 points (lock, unlock, 1 at the first thread's end; rl::var accesses
//                     are race-checked, not points; its threads are created once per
//                     simulate() call, not once per schedule)
#include <cstdio>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "locked_counter.hpp"
#include "relacy_counter.hpp"

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const auto iterations = static_cast<std::uint64_t>(bench::arg(argc, argv, "--iterations", 20000));
  std::printf("bench_relacy: locked counter, weft vs Relacy (medians of %d interleaved rounds)\n",
              rounds);
  bench::print_machine();

  weftbench::check_counter_points();
  relacybench::check_relacy_points();
  if (!relacybench::relacy_finds_lost_update()) {
    bench::die("Relacy did not report the unlocked counter: is the Relacy test really running?");
  }

  auto rate = [iterations](double seconds) { return static_cast<double>(iterations) / seconds; };
  std::vector<bench::Variant> vs = {
      {"weft, Shared<int> counter",
       [&] { return rate(weftbench::weft_counter_shared(iterations)); }},
      {"weft, Shared<int> counter, SharedPoints::All",
       [&] { return rate(weftbench::weft_counter_shared_all(iterations)); }},
      {"weft, plain int counter", [&] { return rate(weftbench::weft_counter_plain(iterations)); }},
      {"Relacy, rl::var<int> counter",
       [&] { return rate(relacybench::relacy_counter(iterations)); }},
  };
  bench::interleave(vs, rounds);

  std::printf(
      "\n2 threads x 10 x {lock; counter = counter + 1; unlock}, random scheduler, "
      "%llu schedules per round per variant, %d rounds\n\n",
      static_cast<unsigned long long>(iterations), rounds);
  const std::uint64_t points[] = {
      weftbench::kSharedCounterPoints, weftbench::kSharedAllCounterPoints,
      weftbench::kPlainCounterPoints, relacybench::kRelacyCounterPoints};
  bench::Table t({"variant", "points/schedule", "schedules/s median", "min", "max", "us/schedule",
                  "ns/point"});
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const double med = bench::median(vs[i].results);
    t.add({vs[i].name, std::to_string(points[i]), bench::fmt_int(med),
           bench::fmt_int(bench::min_of(vs[i].results)),
           bench::fmt_int(bench::max_of(vs[i].results)), bench::fmt(1e6 / med, 2),
           bench::fmt(1e9 / med / static_cast<double>(points[i]))});
  }
  t.print();

  std::printf("\nratio weft / Relacy in schedules/s (target: >= 2.00)\n\n");
  bench::Table r({"comparison", "median of per-round ratios", "min", "max", "ratio of medians"});
  const double relacy_med = bench::median(vs[3].results);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::vector<double> q = bench::ratios(vs[i].results, vs[3].results);
    r.add({vs[i].name + " / Relacy", bench::fmt(bench::median(q), 2),
           bench::fmt(bench::min_of(q), 2), bench::fmt(bench::max_of(q), 2),
           bench::fmt(bench::median(vs[i].results) / relacy_med, 2)});
  }
  r.print();

  // The programs of the race-directed points issue: three threads on the counter, and a
  // bounded buffer with two producers and two consumers (Mutex + two CondVars). Scheduling
  // points differ per schedule (condvar waits), so only schedules/s are compared.
  const auto more = static_cast<std::uint64_t>(bench::arg(argc, argv, "--more-iterations", 10000));
  auto rate_more = [more](double seconds) { return static_cast<double>(more) / seconds; };
  std::vector<bench::Variant> ws = {
      {"3-thread counter, weft (Racy)",
       [&] { return rate_more(weftbench::weft_counter3(more, weft::SharedPoints::Racy)); }},
      {"3-thread counter, weft (All)",
       [&] { return rate_more(weftbench::weft_counter3(more, weft::SharedPoints::All)); }},
      {"3-thread counter, Relacy", [&] { return rate_more(relacybench::relacy_counter3(more)); }},
      {"bounded buffer 2+2, weft (Racy)",
       [&] { return rate_more(weftbench::weft_buffer(more, weft::SharedPoints::Racy)); }},
      {"bounded buffer 2+2, weft (All)",
       [&] { return rate_more(weftbench::weft_buffer(more, weft::SharedPoints::All)); }},
      {"bounded buffer 2+2, Relacy", [&] { return rate_more(relacybench::relacy_buffer(more)); }},
  };
  bench::interleave(ws, rounds);
  std::printf(
      "\n%llu schedules per round per variant, %d rounds, random scheduler, checkers on\n\n",
      static_cast<unsigned long long>(more), rounds);
  bench::Table m({"variant", "schedules/s median", "min", "max", "us/schedule"});
  for (const bench::Variant& v : ws) {
    const double med = bench::median(v.results);
    m.add({v.name, bench::fmt_int(med), bench::fmt_int(bench::min_of(v.results)),
           bench::fmt_int(bench::max_of(v.results)), bench::fmt(1e6 / med, 2)});
  }
  m.print();
  std::printf("\nratio weft / Relacy in schedules/s (target: >= 2.00)\n\n");
  bench::Table q({"comparison", "median of per-round ratios", "min", "max"});
  for (const std::size_t relacy : {std::size_t{2}, std::size_t{5}}) {
    for (std::size_t i = relacy - 2; i < relacy; ++i) {
      const std::vector<double> x = bench::ratios(ws[i].results, ws[relacy].results);
      q.add({ws[i].name + " / Relacy", bench::fmt(bench::median(x), 2),
             bench::fmt(bench::min_of(x), 2), bench::fmt(bench::max_of(x), 2)});
    }
  }
  q.print();
  bench::print_load("at end");
  return 0;
}
