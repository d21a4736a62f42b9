// Registered with weft_add_scenarios: each scenario becomes its own CTest test.
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "helpers.hpp"

WEFT_SCENARIO("locked counter stays exact") { weft_test::locked_counter(3, 2); }
WEFT_SCENARIO("ABBA fixed [one order] stays clean") {
  weft::Mutex a("a"), b("b");
  weft::Thread t([&] { std::scoped_lock both(a, b); });
  { std::scoped_lock both(a, b); }
  t.join();
}
