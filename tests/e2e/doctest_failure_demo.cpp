// A doctest binary whose exploration fails: test_doctest_integration.cpp checks its output.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <weft/doctest.hpp>

#include "helpers.hpp"

TEST_CASE("the seed's lost update") {
  WEFT_CHECK_EXPLORE([] { weft_test::lost_update(2, 1); });
}
