// bench_switch_floor — the floor that fiber switching puts under a random scheduler.
//
// Two bare Boost.Context fibers (no weft code at all); at each step a random bit decides
// whether to switch to the other one, as a random scheduler over two runnable threads does.
// The cost of a switch whose direction the CPU cannot predict is what any fiber-based model
// checker pays per preemption; docs/BENCHMARKS.md uses it to bound what the locked-counter
// benchmark can reach (schedules/s <= 1 / (points x switch share x ns per switch)).
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include "bench_common.hpp"

namespace ctx = boost::context;

namespace {

std::uint64_t state = 88172645463325252ull;
std::uint64_t next_random() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

ctx::fiber other;  // the suspended side
long steps = 0;
long switches = 0;
long limit = 0;

void run_steps() {
  while (steps < limit) {
    ++steps;
    if ((next_random() & 1) != 0) {
      ++switches;
      other = std::move(other).resume();
    }
  }
}

// Nanoseconds per switch over `n` steps of random switching.
double random_switch_ns(long n) {
  steps = switches = 0;
  limit = n;
  other = ctx::fiber([](ctx::fiber&& back) {
    other = std::move(back);
    run_steps();
    return std::move(other);
  });
  const double s = bench::seconds([] { run_steps(); });
  if (other) other = std::move(other).resume();  // let the fiber return
  return s * 1e9 / static_cast<double>(switches);
}

// The same with strict alternation: every branch and return predictable.
double alternating_switch_ns(long n) {
  long left = n;
  ctx::fiber f([&left](ctx::fiber&& back) {
    while (left > 0) back = std::move(back).resume();
    return std::move(back);
  });
  const double s = bench::seconds([&] {
    while (--left > 0) f = std::move(f).resume();
  });
  if (f) f = std::move(f).resume();
  return s * 1e9 / (2.0 * static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 15));
  const long n = static_cast<long>(bench::arg(argc, argv, "--steps", 5000000));
  std::printf("bench_switch_floor: bare Boost.Context fiber switches (medians of %d rounds)\n",
              rounds);
  bench::print_machine();
  std::vector<bench::Variant> vs = {
      {"random switch (unpredictable)", [n] { return random_switch_ns(n); }},
      {"alternating switch (predictable)", [n] { return alternating_switch_ns(n); }},
  };
  bench::interleave(vs, rounds);
  bench::Table t({"switch pattern", "ns/switch median", "min", "max"});
  for (const auto& v : vs) {
    t.add({v.name, bench::fmt(bench::median(v.results)), bench::fmt(bench::min_of(v.results)),
           bench::fmt(bench::max_of(v.results))});
  }
  std::printf("\n");
  t.print();
  bench::print_load("at end");
  return 0;
}
