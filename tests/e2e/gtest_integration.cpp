// <weft/gtest.hpp>: exploration as GoogleTest assertions. A GoogleTest binary of its own
// (weft_gtest_tests), each test a CTest test through gtest_discover_tests. Failing explorations
// are checked here with gtest's own spi (the failure is intercepted, not reported), and from
// outside by e2e/gtest_integration (test_gtest_integration.cpp), which runs
// gtest_failure_demo.cpp and reads what it prints.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <weft/gtest.hpp>

#include "helpers.hpp"

namespace {

// The failures `statement` reports, intercepted instead of failing this test.
template <class Statement>
std::vector<::testing::TestPartResult> failures_of(Statement statement) {
  ::testing::TestPartResultArray results;
  {
    const ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    statement();
  }
  std::vector<::testing::TestPartResult> out;
  for (int i = 0; i < results.size(); ++i) out.push_back(results.GetTestPartResult(i));
  return out;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

void expect_then_go_on(bool& went_on) {
  WEFT_EXPECT_EXPLORE([] { weft_test::lost_update(2, 1); });
  went_on = true;
}

void assert_then_go_on(bool& went_on) {
  WEFT_ASSERT_EXPLORE(weft_test::abba, weft_test::with(weft::Strategy::Random));
  went_on = true;
}

}  // namespace

TEST(WeftGtest, ExpectAndAssertExplorePassForACorrectBody) {
  WEFT_EXPECT_EXPLORE([] { weft_test::locked_counter(2, 2); });
  WEFT_ASSERT_EXPLORE([] { weft_test::locked_counter(2, 2); },
                      weft_test::with(weft::Strategy::POS, 300));
  WEFT_EXPECT_EXPLORE([] { weft_test::locked_counter(2, 2); }) << "context streams as in gtest";
}

TEST(WeftGtest, ExpectExploreOfABuggyBodyFailsWithTheSummaryAndGoesOn) {
  bool went_on = false;
  const std::vector<::testing::TestPartResult> results =
      failures_of([&] { expect_then_go_on(went_on); });
  ASSERT_EQ(results.size(), 1U);
  const ::testing::TestPartResult& failure = results.front();
  EXPECT_TRUE(failure.nonfatally_failed());
  EXPECT_TRUE(went_on);
  const std::string message = failure.message();
  EXPECT_TRUE(has(message, "LostUpdate")) << message;
  EXPECT_TRUE(has(message, "trace (the interleaving that led to it)")) << message;
  EXPECT_TRUE(has(message, "weft::replay(body, weft::Schedule::load(")) << message;
  EXPECT_TRUE(has(message, "weft-schedule 2")) << message;
  EXPECT_TRUE(has(message, "saved to weft-schedules/gtest_integration.cpp-")) << message;
  EXPECT_TRUE(has(failure.file_name(), "gtest_integration.cpp"));
}

TEST(WeftGtest, AssertExploreOfABuggyBodyFailsAndReturns) {
  bool went_on = false;
  const std::vector<::testing::TestPartResult> results =
      failures_of([&] { assert_then_go_on(went_on); });
  ASSERT_EQ(results.size(), 1U);
  const ::testing::TestPartResult& failure = results.front();
  EXPECT_TRUE(failure.fatally_failed());
  EXPECT_FALSE(went_on);  // returned from the function, as ASSERT_* does
  EXPECT_TRUE(has(failure.message(), "Deadlock")) << failure.message();
}

TEST(WeftGtest, FailuresCanBeExpectedWithGtestsOwnMacros) {
  EXPECT_NONFATAL_FAILURE(WEFT_EXPECT_EXPLORE([] { weft_test::lost_update(2, 1); }), "LostUpdate");
  EXPECT_FATAL_FAILURE(WEFT_ASSERT_EXPLORE(weft_test::abba), "Deadlock");
}
