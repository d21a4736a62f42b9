// The seed's CPU-bound function: how many primes lie below `limit`, by trial division by the
// primes found so far. Shared by the prime-counting example and bench/bench_primes.cpp.
#pragma once

#include <vector>

namespace seed {

// Python: all(num % p != 0 for p in primes if p * p <= num). The filter there reads the whole
// list for every prime; here the loop stops at the first p with p * p > num — the same answer.
inline long compute_primes(long limit) {
  std::vector<long> primes;
  for (long num = 2; num < limit; ++num) {
    bool prime = true;
    for (long p : primes) {
      if (p * p > num) break;
      if (num % p == 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes.push_back(num);
  }
  return static_cast<long>(primes.size());
}

}  // namespace seed
