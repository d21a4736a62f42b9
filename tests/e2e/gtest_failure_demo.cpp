// A GoogleTest binary whose explorations fail: test_gtest_integration.cpp runs it and checks
// what it prints and its exit status.
#include <cstdio>

#include <weft/gtest.hpp>

#include "helpers.hpp"

TEST(WeftGtestDemo, ExpectExploreGoesOn) {
  WEFT_EXPECT_EXPLORE([] { weft_test::lost_update(2, 1); });
  std::puts("went on after WEFT_EXPECT_EXPLORE");
}

TEST(WeftGtestDemo, AssertExploreReturns) {
  WEFT_ASSERT_EXPLORE(weft_test::abba, weft_test::with(weft::Strategy::Random));
  std::puts("went on after WEFT_ASSERT_EXPLORE");
}

TEST(WeftGtestDemo, CorrectBodyPasses) {
  WEFT_EXPECT_EXPLORE([] { weft_test::locked_counter(2, 2); });
}
