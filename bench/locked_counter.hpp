// locked_counter.hpp — the 2-thread x 10-increment locked counter under weft's explore(), shared
// by bench_model and bench_relacy so that both measure exactly the same body.
#pragma once

#include <cstdint>

#include <weft/explore.hpp>

namespace weftbench {

// Scheduling points per schedule (verified by check_counter_points() through max_steps):
//   Shared<int>, SharedPoints::All: 2 spawns + 20 locks + 20 loads + 20 stores + 2 joins + 1
//                final load = 65
//   Shared<int>, SharedPoints::Racy (the default): the lock orders every access, so none is a
//                point: 2 spawns + 20 locks + 2 joins = 24
//   plain int:   2 spawns + 20 locks + 2 joins = 24 (unlock is not a scheduling point in weft)
inline constexpr std::uint64_t kSharedCounterPoints = 24;
inline constexpr std::uint64_t kSharedAllCounterPoints = 65;
inline constexpr std::uint64_t kPlainCounterPoints = 24;

// Wall seconds for `iterations` schedules under Strategy::Random (seed 0), with the race and
// lock-order checkers on (the default) or off (Options::checkers). Exits the program if the
// report is not clean or ran fewer schedules.
double weft_counter_shared(std::uint64_t iterations, bool checkers = true);
// The same with SharedPoints::All (every Shared<int> access a scheduling point).
double weft_counter_shared_all(std::uint64_t iterations);
double weft_counter_plain(std::uint64_t iterations, bool checkers = true);

// The 3-thread x 10-increment locked counter, and the bounded buffer of 2 with 2 producers of 5
// items and 2 consumers of 5 (Mutex, two CondVars, Shared<int> count), as in bench_relacy's
// Relacy programs: wall seconds for `iterations` schedules under Strategy::Random, checkers on.
double weft_counter3(std::uint64_t iterations, weft::SharedPoints points);
double weft_buffer(std::uint64_t iterations, weft::SharedPoints points);

// Exits the program unless the point counts above are exact.
void check_counter_points();

}  // namespace weftbench
