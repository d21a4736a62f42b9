// weft/doctest.hpp — exploring from a doctest test case.
//
//   TEST_CASE("transfers keep the total") {
//     weft::Options o;
//     o.iterations = 2000;
//     WEFT_CHECK_EXPLORE(bank_body, o);      // fails the case, with the report's summary
//     WEFT_REQUIRE_EXPLORE([] { ... });      // ... and stops it (options are optional)
//   }
//
// On failure the first bug's schedule is written to weft-schedules/<test file>-<line>.schedule
// (relative to the working directory), and doctest prints where, how to replay it, and the
// summary: every bug's kind and message and the first bug's trace. Link doctest as usual
// (doctest::doctest); this header includes it, so it may come before or after your own
// #include <doctest/doctest.h>.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include <weft/detail/explore_failure.hpp>
#include <weft/explore.hpp>

#define WEFT_DETAIL_EXPLORE_AND(assertion, body, ...)                                          \
  do {                                                                                         \
    const ::weft::Report weft_report_ = ::weft::explore((body)__VA_OPT__(, ) __VA_ARGS__);     \
    assertion(weft_report_.ok(), (weft_report_.ok() ? std::string()                            \
                                                    : ::weft::detail::explore_failure_message( \
                                                          weft_report_, __FILE__, __LINE__))); \
  } while (false)

#define WEFT_CHECK_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(CHECK_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
#define WEFT_REQUIRE_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(REQUIRE_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
