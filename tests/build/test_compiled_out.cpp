// Compiled with WEFT_PRODUCTION_ONLY but linked with the library that has the model (the
// weft::weft target): explore() and replay() must refuse, not explore objects that are the real
// primitives and report "no bugs".
#ifndef WEFT_PRODUCTION_ONLY
#error "this test must be compiled with WEFT_PRODUCTION_ONLY"
#endif

#include <doctest/doctest.h>

#include <weft/weft.hpp>

TEST_SUITE_BEGIN("build/compiled_out");

TEST_CASE("explore_and_replay_refuse_code_compiled_with_production_only") {
  int runs = 0;
  auto body = [&] {
    weft::Shared<int> counter(0);
    weft::Thread t([&] { counter += 1; });
    counter += 1;
    t.join();
    ++runs;
  };
  CHECK_THROWS_WITH_AS(weft::explore(body), doctest::Contains("compiled with WEFT_PRODUCTION_ONLY"),
                       weft::UsageError);
  CHECK_THROWS_WITH_AS(weft::replay(body, weft::Schedule{}),
                       doctest::Contains("compiled with WEFT_PRODUCTION_ONLY"), weft::UsageError);
  CHECK(runs == 0);
  body();  // run for real, it is the real thing
  CHECK(runs == 1);
}

TEST_SUITE_END();
