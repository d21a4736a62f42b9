// weft/gtest.hpp — exploring from a GoogleTest test.
//
//   TEST(Bank, TransfersKeepTheTotal) {
//     weft::Options o;
//     o.iterations = 2000;
//     WEFT_EXPECT_EXPLORE(bank_body, o);     // fails the test, with the report's summary
//     WEFT_ASSERT_EXPLORE([] { ... });       // ... and returns from the test function
//   }
//
// As with weft/doctest.hpp: on failure the first bug's schedule is written to
// weft-schedules/<test file>-<line>.schedule (relative to the working directory), and the
// failure says where, how to replay it, and the summary: every bug's kind and message and the
// first bug's trace. Like gtest's own assertions they take `<< "more context"`, and
// WEFT_ASSERT_EXPLORE, like ASSERT_*, may only be used in a function that returns void.
//
// weft::weft does not link GoogleTest: a project that uses this header links it itself
// (GTest::gtest, usually with GTest::gtest_main), so weft's users who do not use GoogleTest never
// need it. This header includes <gtest/gtest.h>.
#pragma once

#include <gtest/gtest.h>

#include <weft/detail/explore_failure.hpp>
#include <weft/explore.hpp>

namespace weft::detail {

// What a WEFT_*_EXPLORE gives gtest's predicate-format assertion: one argument, so that the
// file and line of the macro's use, which name the saved schedule, travel with the report.
struct GtestExplored {
  Report report;
  const char* file;
  int line;
};

// A predicate-format function rather than EXPECT_TRUE(report.ok()): gtest then prints only
// this message, not "Value of: ... Actual: false".
inline ::testing::AssertionResult gtest_explored_ok(const char* /*expression*/,
                                                    const GtestExplored& explored) {
  if (explored.report.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << explore_failure_message(explored.report, explored.file, explored.line);
}

}  // namespace weft::detail

#define WEFT_DETAIL_GTEST_EXPLORE(assertion, body, ...)                                       \
  assertion(::weft::detail::gtest_explored_ok,                                                \
            (::weft::detail::GtestExplored{::weft::explore((body)__VA_OPT__(, ) __VA_ARGS__), \
                                           __FILE__, __LINE__}))

#define WEFT_EXPECT_EXPLORE(body, ...) \
  WEFT_DETAIL_GTEST_EXPLORE(EXPECT_PRED_FORMAT1, body __VA_OPT__(, ) __VA_ARGS__)
#define WEFT_ASSERT_EXPLORE(body, ...) \
  WEFT_DETAIL_GTEST_EXPLORE(ASSERT_PRED_FORMAT1, body __VA_OPT__(, ) __VA_ARGS__)
