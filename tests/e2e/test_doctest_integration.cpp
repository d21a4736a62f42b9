// <weft/doctest.hpp>: exploration as doctest assertions.
#include <doctest/doctest.h>

#include <weft/doctest.hpp>

#include "helpers.hpp"

TEST_SUITE_BEGIN("e2e/doctest_integration");

TEST_CASE("weft_check_explore_passes_for_a_correct_program") {
  WEFT_CHECK_EXPLORE([] { weft_test::locked_counter(2, 2); });
  weft::Options o = weft_test::with(weft::Strategy::POS, 300);
  WEFT_REQUIRE_EXPLORE([] { weft_test::locked_counter(2, 2); }, o);
}

// should_fail: the case passes only if the assertion inside it fails.
TEST_CASE("weft_check_explore_fails_the_case_for_a_buggy_program" * doctest::should_fail()) {
  WEFT_CHECK_EXPLORE([] { weft_test::lost_update(2, 1); });
}

TEST_CASE("weft_require_explore_stops_the_case" * doctest::should_fail()) {
  WEFT_REQUIRE_EXPLORE(weft_test::abba, weft_test::with(weft::Strategy::Random));
  FAIL("not reached: REQUIRE stops the test case");
}

TEST_SUITE_END();
