// The seed's CPU-bound half of concurrent.futures: factorials in worker processes, each result
// printed the moment it is ready (as_completed), whatever the submission order.
//
//   Python:  for future in as_completed(futures):
//   weft:    for (weft::Future<std::pair<long, long>>& future : weft::as_completed(futures))
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <weft/process_pool.hpp>
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"

namespace {

// A natural number in 64-bit limbs, least significant first: enough of a big integer for n!.
using Natural = std::vector<std::uint64_t>;

void multiply(Natural& x, std::uint64_t factor) {
  std::uint64_t carry = 0;
  for (std::uint64_t& limb : x) {
    const unsigned __int128 p = static_cast<unsigned __int128>(limb) * factor + carry;
    limb = static_cast<std::uint64_t>(p);
    carry = static_cast<std::uint64_t>(p >> 64);
  }
  if (carry != 0) x.push_back(carry);
}

bool less(const Natural& a, const Natural& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return std::lexicographical_compare(a.rbegin(), a.rend(), b.rbegin(), b.rend());
}

Natural power_of_10(long e) {
  Natural p{1};
  for (; e >= 19; e -= 19) multiply(p, 10'000'000'000'000'000'000ULL);
  std::uint64_t rest = 1;
  for (; e > 0; --e) rest *= 10;
  multiply(p, rest);
  return p;
}

// Python's len(str(x)), without the quadratic conversion: the top limb gives log10 x to
// within one digit, and exact comparisons with powers of 10 settle which digit count it is.
long decimal_digits(const Natural& x) {
  const double log10x = std::log10(static_cast<double>(x.back())) +
                        64.0 * static_cast<double>(x.size() - 1) * std::log10(2.0);
  const long d = static_cast<long>(log10x) + 1;
  Natural p = power_of_10(d - 1);
  if (less(x, p)) return d - 1;
  multiply(p, 10);
  return less(x, p) ? d : d + 1;
}

// The seed's compute_factorial: (n, number of digits of n!).
std::pair<long, long> compute_factorial(long n) {
  Natural result{1};
  // As many factors per pass over the limbs as fit in one 64-bit product.
  std::uint64_t factor = 1;
  for (long i = 2; i <= n; ++i) {
    const auto k = static_cast<std::uint64_t>(i);
    if (factor > UINT64_MAX / k) {
      multiply(result, factor);
      factor = 1;
    }
    factor *= k;
  }
  multiply(result, factor);
  return {n, decimal_digits(result)};
}

void factorial_digit_counts(const std::vector<long>& numbers, std::size_t workers) {
  seed::say("Computing factorials (parallel processes):");
  std::set<long> reported;
  {
    weft::ProcessPoolExecutor executor(workers);
    std::vector<weft::Future<std::pair<long, long>>> futures;
    for (long n : numbers) futures.push_back(executor.submit(compute_factorial, n));
    for (weft::Future<std::pair<long, long>>& future : weft::as_completed(futures)) {
      const auto [n, digits] = future.get();
      seed::say("  " + std::to_string(n) + "! has " + seed::commas(digits) + " digits");
      WEFT_ASSERT_MSG(reported.insert(n).second, std::to_string(n) + "! reported twice");
    }
  }
  WEFT_ASSERT_MSG(reported.size() == numbers.size(), "as_completed skipped a future");
}

}  // namespace

// Explored: the same program on small factorials (every interleaving of completions is
// possible there, too). Run for real: the seed's.
WEFT_SCENARIO("seed: factorial digit counts with as_completed") {
  if (weft::exploring()) {
    factorial_digit_counts({50, 60, 70, 80}, 4);
  } else {
    factorial_digit_counts({50'000, 60'000, 70'000, 80'000}, 4);
  }
}
