// The seed's lost update: `counter += 1` from several threads is a read followed by a write,
// and two threads that read the same value both write value+1. One increment is lost.
//
//   Python:  counter += 1            weft:  counter += 1   (a Shared<int>: load, then store)
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

namespace {

// Written once: explored with small numbers, run for real with the seed's.
void increment_concurrently(int threads, int increments) {
  weft::Shared<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < increments; ++i) counter += 1;  // NOT atomic: load, then store
    });
  }
  for (weft::Thread& w : workers) w.join();
  WEFT_ASSERT_MSG(counter.load() == threads * increments,
                  "expected " + std::to_string(threads * increments) + ", got " +
                      std::to_string(counter.load()));
}

}  // namespace

// Explored: 2 threads x 2 increments are enough. Run for real: the seed's 10 x 100000.
WEFT_SCENARIO("seed: lost update (counter += 1 without a lock)") {
  if (weft::exploring()) {
    increment_concurrently(2, 2);
  } else {
    increment_concurrently(10, 100000);
  }
}
