// Two scenarios for the CLI of weft::main, built at -O3: explore must pass the atomic counter
// and find the lost update of the plain one.
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

WEFT_SCENARIO("release consumer: atomic counter") {
  weft::Atomic<int> n(0, "n");
  weft::Thread a([&] { n.fetch_add(1); });
  n.fetch_add(1);
  a.join();
  WEFT_ASSERT(n.load() == 2);
}

WEFT_SCENARIO("release consumer: lost update") {
  weft::Shared<int> n(0, "n");
  weft::Thread a([&] { n += 1; });
  n += 1;
  a.join();
  WEFT_ASSERT(n.load() == 2);
}
