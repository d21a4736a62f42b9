// The seed's shared counter between processes: an ipc::Value in shared memory, every increment
// under its lock. Without the lock, `counter += 1` is a locked read and then a locked write —
// two processes can read the same value, and an increment is lost (exploration reports it).
//
//   Python:  with lock: shared_counter.value += 1
//   weft:    std::lock_guard guard(counter.get_lock()); counter += 1;
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <weft/ipc.hpp>
#include <weft/process.hpp>
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"

namespace {

void increment(weft::ipc::Value<int> shared_counter, int n) {
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(shared_counter.get_lock());
    shared_counter += 1;
  }
}

void increment_unlocked(weft::ipc::Value<int> shared_counter, int n) {
  for (int i = 0; i < n; ++i) shared_counter += 1;  // NOT atomic: load, then store
}

void count_in_processes(void (*body)(weft::ipc::Value<int>, int), int processes, int n) {
  weft::ipc::Value<int> counter(0, "counter");
  std::deque<weft::Process> workers;
  for (int i = 0; i < processes; ++i) {
    workers.emplace_back(body, counter, n);
    workers.back().start();
  }
  for (weft::Process& p : workers) p.join();
  seed::say("Counter: " + std::to_string(counter.load()));
  WEFT_ASSERT_MSG(counter.load() == processes * n, "expected " + std::to_string(processes * n) +
                                                       ", got " + std::to_string(counter.load()));
}

}  // namespace

// Explored: 2 or 3 processes of a few increments. Run for real: the seed's 4 x 100,000.
WEFT_SCENARIO("seed: shared Value counter with its lock") {
  if (weft::exploring()) {
    count_in_processes(increment, 3, 2);
  } else {
    count_in_processes(increment, 4, 100'000);
  }
}
WEFT_SCENARIO("shared Value: += without the lock loses updates") {
  if (weft::exploring()) {
    count_in_processes(increment_unlocked, 2, 2);
  } else {
    count_in_processes(increment_unlocked, 4, 100'000);
  }
}
