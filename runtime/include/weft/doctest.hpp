// weft/doctest.hpp — exploring from a doctest test case.
//
//   TEST_CASE("transfers keep the total") {
//     weft::Options o;
//     o.iterations = 2000;
//     WEFT_CHECK_EXPLORE(bank_body, o);      // fails the case, with the report's summary
//     WEFT_REQUIRE_EXPLORE([] { ... });      // ... and stops it (options are optional)
//   }
//
// On failure doctest prints the summary: every bug's kind and message, the first bug's trace,
// and its schedule with how to replay it. Link doctest as usual (doctest::doctest); this header
// includes it, so it may come first or after your own #include <doctest/doctest.h>.
#pragma once

#include <doctest/doctest.h>

#include <weft/explore.hpp>

#define WEFT_DETAIL_EXPLORE_AND(assertion, body, ...)                                      \
  do {                                                                                     \
    const ::weft::Report weft_report_ = ::weft::explore((body)__VA_OPT__(, ) __VA_ARGS__); \
    assertion(weft_report_.ok(), weft_report_.summary());                                  \
  } while (false)

#define WEFT_CHECK_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(CHECK_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
#define WEFT_REQUIRE_EXPLORE(body, ...) \
  WEFT_DETAIL_EXPLORE_AND(REQUIRE_MESSAGE, body __VA_OPT__(, ) __VA_ARGS__)
