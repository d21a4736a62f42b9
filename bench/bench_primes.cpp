// bench_primes — the seed's CPU-bound prime counting: the same ranges counted one after another
// and with ProcessPoolExecutor::map, on this machine's cores. Target (issue #6): >= 1.8x over
// sequential on 2 cores.
//
//   bench_primes [--limit 3000000] [--ranges 4] [--workers 2] [--rounds 7]
//
// "pool, started per round" includes starting the worker processes, as the seed's
// `with multiprocessing.Pool(...)` block does; "pool, warm" reuses one pool (workers running).
#include <memory>
#include <vector>

#include <weft/process_pool.hpp>

#include "../examples/primes.hpp"
#include "bench_common.hpp"

int main(int argc, char** argv) {
  const long limit = static_cast<long>(bench::arg(argc, argv, "--limit", 3'000'000));
  const auto ranges = static_cast<std::size_t>(bench::arg(argc, argv, "--ranges", 4));
  const auto workers = static_cast<std::size_t>(bench::arg(argc, argv, "--workers", 2));
  const int rounds = static_cast<int>(bench::arg(argc, argv, "--rounds", 7));
  if (limit < 2 || ranges < 1 || workers < 1 || rounds < 1) bench::die("bad arguments");
  bench::print_machine();
  std::printf("prime counting below %s, %zu ranges, %zu worker processes, %d rounds\n\n",
              bench::fmt_int(static_cast<double>(limit)).c_str(), ranges, workers, rounds);

  const std::vector<long> input(ranges, limit);
  const long expected = seed::compute_primes(limit);
  auto check = [&](const std::vector<long>& counts) {
    if (counts != std::vector<long>(ranges, expected)) bench::die("a range was miscounted");
  };
  weft::ProcessPoolExecutor warm(workers);
  std::vector<bench::Variant> variants;
  variants.emplace_back("sequential", [&] {
    return bench::seconds([&] {
      std::vector<long> counts;
      for (long r : input) counts.push_back(seed::compute_primes(r));
      check(counts);
    });
  });
  variants.emplace_back("pool, started per round", [&] {
    return bench::seconds([&] {
      weft::ProcessPoolExecutor pool(workers);
      check(pool.map(seed::compute_primes, input));
    });
  });
  variants.emplace_back("pool, warm", [&] {
    return bench::seconds([&] { check(warm.map(seed::compute_primes, input)); });
  });
  bench::interleave(variants, rounds);

  bench::Table table({"variant", "median s", "min s", "max s", "speedup (median of rounds)"});
  for (const bench::Variant& v : variants) {
    table.add({v.name, bench::fmt(bench::median(v.results), 3),
               bench::fmt(bench::min_of(v.results), 3), bench::fmt(bench::max_of(v.results), 3),
               bench::fmt(bench::median(bench::ratios(variants[0].results, v.results)), 2) + "x"});
  }
  table.print();
  bench::print_load("at end");
}
