// The seed's CPU-bound program: counting primes in four ranges, one after another, then on a
// pool of worker processes — real parallelism, one core per process.
//
//   Python:  pool.map(compute_primes, ranges)      weft:  pool.map(seed::compute_primes, ranges)
#include <chrono>
#include <string>
#include <vector>

#include <weft/process_pool.hpp>
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "primes.hpp"
#include "seed_output.hpp"

namespace {

std::string list(const std::vector<long>& xs) {
  std::string s = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i == 0 ? "" : ", ") + std::to_string(xs[i]);
  return s + "]";
}

void count_primes(const std::vector<long>& ranges, std::size_t processes) {
  weft::Clock::time_point start = weft::Clock::now();
  std::vector<long> results_seq;
  for (long r : ranges) results_seq.push_back(seed::compute_primes(r));
  const double seq_time = seed::seconds_since(start);
  seed::say("Sequential: " + seed::fixed(seq_time) + "s — " + list(results_seq));

  start = weft::Clock::now();
  std::vector<long> results_par;
  {
    weft::ProcessPoolExecutor pool(processes);
    results_par = pool.map(seed::compute_primes, ranges);
  }
  const double par_time = seed::seconds_since(start);
  seed::say("Parallel: " + seed::fixed(par_time) + "s — " + list(results_par));
  if (par_time > 0) seed::say("Speedup: " + seed::fixed(seq_time / par_time, 1) + "x");
  WEFT_ASSERT_MSG(results_par == results_seq,
                  "the pool counted " + list(results_par) + ", sequentially " + list(results_seq));
}

}  // namespace

// The seed counts below 200,000, which takes C++ about 10 ms: less than starting the workers.
// Run for real, the ranges are ten times larger, so that the parallel part is the work.
// Explored: the same pool on small ranges (its workers are model threads there).
WEFT_SCENARIO("seed: prime counting on a process pool") {
  if (weft::exploring()) {
    count_primes({200, 200, 200, 200}, 4);
  } else {
    count_primes({2'000'000, 2'000'000, 2'000'000, 2'000'000}, 4);
  }
}
