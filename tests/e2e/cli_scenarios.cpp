// Scenarios for the CLI's end-to-end tests: one clean, one buggy, one that crashes the process.
#include <csignal>

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
