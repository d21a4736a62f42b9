// Scenarios for the CLI's end-to-end tests: one clean, one buggy, one that crashes the process,
// one that blocks it outside weft's control.
#include <csignal>
#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "helpers.hpp"

WEFT_SCENARIO("clean: locked counter") { weft_test::locked_counter(2, 2); }
WEFT_SCENARIO("buggy: lost update") { weft_test::lost_update(2, 2); }
WEFT_SCENARIO("crashes: null write in one interleaving") {
  weft::Atomic<int> x(0, "x");
  weft::Thread t([&] { x.store(1); });
  if (x.load() == 1) std::raise(SIGSEGV);  // only when T1 ran first
  t.join();
}
// `if` instead of `while` around a wait: found only when waits may wake spuriously.
WEFT_SCENARIO("spurious: if around a condvar wait") { weft_test::condvar_consumer(false); }
// Two threads take two std::mutex in opposite orders: where weft switches between them, the
// process's only thread blocks for real, and only the watchdog ends the schedule.
WEFT_SCENARIO("hangs: ABBA on std::mutex") {
  std::mutex a;
  std::mutex b;
  weft::Atomic<int> step(0, "step");
  weft::Thread t([&] {
    const std::lock_guard<std::mutex> first(a);
    step.store(1);
    const std::lock_guard<std::mutex> second(b);
  });
  {
    const std::lock_guard<std::mutex> first(b);
    step.store(2);
    const std::lock_guard<std::mutex> second(a);
  }
  t.join();
}
