// <weft/scenario.hpp> alone, its macro expanded.
#include <weft/scenario.hpp>

WEFT_SCENARIO("header check: WEFT_SCENARIO expands with nothing else included") {}
