// An atomicity violation as a libFuzzer target: two threads each add 1 to an Atomic<int> twice,
// by a load and then a store. Every access is atomic, so no data-race checker objects, and the
// lost increment shows only in a schedule that runs one thread's load..store between the other's:
// the final assertion fails. (A Shared<int> counter would not do here: the lost-update checker
// flags its unordered read-modify-writes in any schedule, so every input would be a crash.)
// libFuzzer saves the failing input as crash-<hash>; running this binary on that file prints
// the bug again and writes its weft schedule.
//   ./atomic_increment_fuzz -runs=20000     # fuzz
//   ./atomic_increment_fuzz crash-<hash>    # reproduce; WEFT_SCHEDULE_OUT names the schedule
#include <vector>

#include <weft/fuzz.hpp>
#include <weft/weft.hpp>

WEFT_FUZZ_SCENARIO {
  weft::Atomic<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 2; ++i) {
        const int seen = counter.load();
        counter.store(seen + 1);  // NOT one atomic step: another store may come in between
      }
    });
  }
  for (weft::Thread& w : workers) w.join();
  WEFT_ASSERT(counter.load() == 4);
}
