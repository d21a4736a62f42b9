// <weft/doctest.hpp> alone, its macros expanded: they expand to doctest's assertions, so the
// header must bring doctest in itself (including it alone compiles even when it does not).
#include <weft/doctest.hpp>

void weft_check_header_macros_doctest() {
  WEFT_CHECK_EXPLORE([] {});
  WEFT_REQUIRE_EXPLORE([] {});
}
