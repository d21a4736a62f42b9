// <weft/gtest.hpp> seen from outside: what a GoogleTest binary whose exploration fails prints,
// and its exit status (gtest_failure_demo.cpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <weft/schedule.hpp>

#include "run_binary.hpp"

TEST_SUITE_BEGIN("e2e/gtest_integration");

using namespace weft_test;

TEST_CASE("gtest_integration_prints_the_report_summary_on_failure") {
  const std::filesystem::path dir = scratch("gtest");
  const Run r = run_binary(WEFT_GTEST_DEMO_BIN, "", dir);
  CHECK(r.status == 1);
  const std::string& out = r.out;
  CHECK_MESSAGE(has(out, "[  FAILED  ] WeftGtestDemo.ExpectExploreGoesOn"), out);
  CHECK(has(out, "[  FAILED  ] WeftGtestDemo.AssertExploreReturns"));
  CHECK(has(out, "[       OK ] WeftGtestDemo.CorrectBodyPasses"));
  CHECK(has(out, "2 FAILED TESTS"));
  // EXPECT goes on after the failure, ASSERT returns from the test.
  CHECK(has(out, "went on after WEFT_EXPECT_EXPLORE"));
  CHECK(!has(out, "went on after WEFT_ASSERT_EXPLORE"));
  // The failure is the report's summary: the bugs, the first trace, the schedule, the replay.
  CHECK(has(out, "gtest_failure_demo.cpp:10: Failure"));
  CHECK(has(out, "LostUpdate"));
  CHECK(has(out, "Deadlock"));
  CHECK(has(out, "trace (the interleaving that led to it)"));
  CHECK(has(out, "weft::replay(body, weft::Schedule::load("));
  CHECK(has(out, "weft-schedule 2"));
  // Each failing use saved its first bug's schedule where the message says.
  for (const char* name :
       {"gtest_failure_demo.cpp-10.schedule", "gtest_failure_demo.cpp-15.schedule"}) {
    CAPTURE(name);
    CHECK(has(out, std::string("saved to weft-schedules/") + name));
    const std::filesystem::path saved = dir / "weft-schedules" / name;
    REQUIRE(std::filesystem::exists(saved));
    CHECK(weft::Schedule::load(saved).size() > 0);
  }
}

TEST_SUITE_END();
