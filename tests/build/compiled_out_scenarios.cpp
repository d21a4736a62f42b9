// A scenario binary compiled with WEFT_PRODUCTION_ONLY and linked with weft::main: `run` runs
// its scenarios, `explore` and `replay` refuse them (exit 2, one line).
#include <cstdio>

#include <weft/scenario.hpp>

WEFT_SCENARIO("compiled out: prints and returns") { std::puts("compiled-out scenario ran"); }
