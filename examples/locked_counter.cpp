// The seed's fix for the lost update: every increment under one lock. Exactly threads ×
// increments, in every interleaving.
#include <mutex>
#include <vector>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

namespace {

void locked_increments(int threads, int increments) {
  weft::Mutex lock("lock");
  weft::Shared<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < increments; ++i) {
        std::lock_guard guard(lock);  // only one thread at a time
        counter += 1;
      }
    });
  }
  for (weft::Thread& w : workers) w.join();
  WEFT_ASSERT(counter.load() == threads * increments);
}

}  // namespace

// Explored: 3 threads x 3 increments. Run for real: the seed's 10 x 100000.
WEFT_SCENARIO("seed: locked counter") {
  if (weft::exploring()) {
    locked_increments(3, 3);
  } else {
    locked_increments(10, 100000);
  }
}
