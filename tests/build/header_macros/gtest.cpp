// <weft/gtest.hpp> alone, its macros expanded: they expand to gtest's assertions, so the header
// must bring gtest in itself.
#include <weft/gtest.hpp>

void weft_check_header_macros_gtest() {
  WEFT_EXPECT_EXPLORE([] {});
  WEFT_ASSERT_EXPLORE([] {}, weft::Options{}) << "streams like gtest's own";
}
