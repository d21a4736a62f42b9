// bench_memory_model — the cost of MemoryModel::C11 against MemoryModel::SC on an atomics-heavy
// body: two threads, each making 3 x N atomic operations (a release store, an acquire load of
// the other thread's variable, a relaxed fetch_add), Strategy::Random, schedules per second.
// Under C11 each load chooses among the stores it may read (a recorded choice) and every
// operation updates vector clocks; under SC an operation is one scheduling point as before.
//
// The same source builds against a weft without Options::memory_model (it then measures the
// only model there is), so that SC can be compared with the weft before the memory model.
//
//   bench_memory_model [--rounds R] [--iterations I] [--ops N] [--only sc|c11]
// --only runs one model (for `perf stat`: CPU time and instructions do not depend on what
// else the machine runs, wall time does).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <weft/weft.hpp>

#include "bench_common.hpp"

namespace {

void atomics_body(int n) {
  weft::Atomic<int> x(0), y(0), count(0);
  auto work = [n, &count](weft::Atomic<int>& mine, weft::Atomic<int>& other) {
    int seen = 0;
    for (int i = 1; i <= n; ++i) {
      mine.store(i, std::memory_order_release);
      seen += other.load(std::memory_order_acquire);
      count.fetch_add(1, std::memory_order_relaxed);
    }
    bench::keep(seen);
  };
  weft::Thread a([&] { work(x, y); });
  weft::Thread b([&] { work(y, x); });
  a.join();
  b.join();
  WEFT_ASSERT(count.load(std::memory_order_relaxed) == 2 * n);
}

// Sets the memory model where this weft has one; returns whether it does.
template <class O>
bool set_model(O& o, bool sc) {
  if constexpr (requires { o.memory_model; }) {
    o.memory_model = sc ? decltype(o.memory_model){1} : decltype(o.memory_model){0};
    return true;
  } else {
    (void)o;
    (void)sc;
    return false;
  }
}

double schedules_per_second(bool sc, std::uint64_t iterations, int ops) {
  weft::Options o;
  o.strategy = weft::Strategy::Random;
  o.iterations = iterations;
  set_model(o, sc);
  weft::Report r;
  const double s = bench::seconds([&] { r = weft::explore([ops] { atomics_body(ops); }, o); });
  if (!r.ok() || r.iterations != iterations) {
    std::fprintf(stderr, "unexpected report: %s\n", r.summary().c_str());
    std::exit(1);
  }
  return static_cast<double>(iterations) / s;
}

long arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(arg(argc, argv, "--rounds", 7));
  const auto iterations = static_cast<std::uint64_t>(arg(argc, argv, "--iterations", 2000));
  const int ops = static_cast<int>(arg(argc, argv, "--ops", 10));
  weft::Options probe;
  const bool has_model = set_model(probe, false);
  std::string only;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--only") only = argv[i + 1];
  }
  std::vector<bench::Variant> variants;
  if (only != "c11") {
    variants.emplace_back(has_model ? "SC" : "weft without memory models",
                          [&] { return schedules_per_second(true, iterations, ops); });
  }
  if (has_model && only != "sc") {
    variants.emplace_back("C11", [&] { return schedules_per_second(false, iterations, ops); });
  }
  bench::interleave(variants, rounds);
  std::printf("%d rounds, %llu schedules each, 2 threads x %d x (store, load, fetch_add)\n\n",
              rounds, static_cast<unsigned long long>(iterations), ops);
  bench::Table t({"memory model", "schedules/s (median)", "min", "max"});
  for (const bench::Variant& v : variants) {
    t.add({v.name, bench::fmt_int(bench::median(v.results)),
           bench::fmt_int(bench::min_of(v.results)), bench::fmt_int(bench::max_of(v.results))});
  }
  t.print();
  if (variants.size() == 2) {
    const std::vector<double> slow = bench::ratios(variants[0].results, variants[1].results);
    std::printf("\nSC / C11 schedules/s, median of per-round ratios: %s\n",
                bench::fmt(bench::median(slow), 2).c_str());
  }
  return 0;
}
