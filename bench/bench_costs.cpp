// bench_costs — what one schedule and one step cost in weft's engine: bodies that differ only
// in how many threads they start and how many scheduling points (yields) those threads make, so
// the differences are the fixed cost of a thread (spawn, first switch, join, teardown) and the
// cost of one step (announce, decide, record, switch); and the cost of a Shared<T> access that
// is not a scheduling point (observed by the race checker only). Random strategy, medians of
// rounds.
#include <cstdio>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

template <int N>
void two_threads_yielding() {
  weft::Thread a([] {
    for (int i = 0; i < N; ++i) weft::this_thread::yield();
  });
  weft::Thread b([] {
    for (int i = 0; i < N; ++i) weft::this_thread::yield();
  });
  a.join();
  b.join();
}
// N loads and N stores of a Shared<int> that no other thread touches: no race, so under
// SharedPoints::Racy none is a scheduling point, and each is only observed by the race checker.
template <int N>
void shared_accesses() {
  weft::Shared<int> x(0, "x");
  for (int i = 0; i < N; ++i) x.store(x.load() + 1);
}
void empty_body() {}
void one_thread() {
  weft::Thread a([] {});
  a.join();
}

// Median nanoseconds per schedule of `body` over `rounds` explorations of `n` schedules.
double ns_per_schedule(void (*body)(), std::uint64_t n, bool checkers, int rounds) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = n;
  o.checkers = checkers;
  std::vector<double> v;
  for (int r = 0; r < rounds; ++r) {
    weft::Report report;
    const double s = bench::seconds([&] { report = weft::explore(body, o); });
    if (!report.ok()) bench::die("bench_costs: " + report.summary());
    v.push_back(s / static_cast<double>(n) * 1e9);
  }
  return bench::median(v);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 7));
  std::printf("bench_costs: fixed and per-step costs of a schedule (medians of %d rounds)\n",
              rounds);
  bench::print_machine();
  bench::Table t({"checkers", "empty body, ns/schedule", "+1 thread, ns", "2 threads, ns/schedule",
                  "ns per step (yield)", "ns per Shared access that is not a point"});
  for (const bool checkers : {true, false}) {
    const double empty = ns_per_schedule(empty_body, 200000, checkers, rounds);
    const double one = ns_per_schedule(one_thread, 200000, checkers, rounds);
    const double two = ns_per_schedule(two_threads_yielding<0>, 100000, checkers, rounds);
    const double many = ns_per_schedule(two_threads_yielding<100>, 10000, checkers, rounds);
    // Without the checkers there is no race information: every access is a point.
    std::string access = "- (every access is a point)";
    if (checkers) {
      const double none = ns_per_schedule(shared_accesses<0>, 200000, checkers, rounds);
      const double some = ns_per_schedule(shared_accesses<100>, 20000, checkers, rounds);
      access = bench::fmt((some - none) / 200.0, 1);
    }
    t.add({checkers ? "on" : "off", bench::fmt(empty, 0), bench::fmt(one - empty, 0),
           bench::fmt(two, 0), bench::fmt((many - two) / 200.0, 1), access});
  }
  t.print();
  bench::print_load("at end");
  return 0;
}
