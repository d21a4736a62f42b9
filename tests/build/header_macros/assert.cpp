// <weft/assert.hpp> alone, its macros expanded.
#include <weft/assert.hpp>

void weft_check_header_macros_assert(int x) {
  WEFT_ASSERT(x == 1);
  WEFT_ASSERT_MSG(x == 2, "two");
}
