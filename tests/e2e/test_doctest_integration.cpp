// <weft/doctest.hpp>: exploration as doctest assertions.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <weft/doctest.hpp>
#include <weft/schedule.hpp>

#include "helpers.hpp"
#include "run_binary.hpp"

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

// What doctest prints when an exploration fails, seen from outside: doctest_failure_demo.cpp.
TEST_CASE("doctest_integration_prints_the_report_summary_on_failure") {
  const std::filesystem::path dir = weft_test::scratch("doctest");
  std::filesystem::create_directories(dir);
  const std::string cmd = "cd '" + dir.string() + "' && '" WEFT_DOCTEST_DEMO_BIN "' >out.txt 2>&1";
  const int raw = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(raw) != 0);
  const std::string out = weft_test::slurp(dir / "out.txt");
  CHECK(weft_test::has(out, "LostUpdate"));
  CHECK(weft_test::has(out, "trace (the interleaving that led to it)"));
  CHECK(weft_test::has(out, "weft::replay(body, weft::Schedule::load("));
  CHECK(weft_test::has(out, "weft-schedule 2"));
  // The schedule is written for the user, and the message says where.
  const std::filesystem::path saved =
      dir / "weft-schedules" / "doctest_failure_demo.cpp-10.schedule";
  CHECK_MESSAGE(weft_test::has(out, "saved to weft-schedules/doctest_failure_demo.cpp-10.schedule"),
                out);
  REQUIRE(std::filesystem::exists(saved));
  CHECK(weft::Schedule::load(saved).size() > 0);
}

TEST_SUITE_END();
