// locked_counter.hpp — the 2-thread x 10-increment locked counter under weft's explore(), shared
// by bench_model and bench_relacy so that both measure exactly the same body.
#pragma once

#include <cstdint>

namespace weftbench {

// Scheduling points per schedule (verified by check_counter_points() through max_steps):
//   Shared<int>: 2 spawns + 20 locks + 20 loads + 20 stores + 2 joins + 1 final load = 65
//   plain int:   2 spawns + 20 locks + 2 joins = 24 (unlock is not a scheduling point in weft)
inline constexpr std::uint64_t kSharedCounterPoints = 65;
inline constexpr std::uint64_t kPlainCounterPoints = 24;

// Wall seconds for `iterations` schedules under Strategy::Random (seed 0), with the race and
// lock-order checkers on (the default) or off (Options::checkers). Exits the program if the
// report is not clean or ran fewer schedules.
double weft_counter_shared(std::uint64_t iterations, bool checkers = true);
double weft_counter_plain(std::uint64_t iterations, bool checkers = true);

// Exits the program unless the point counts above are exact.
void check_counter_points();

}  // namespace weftbench
