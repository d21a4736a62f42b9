// relacy_counter.hpp — the same locked counter written for Relacy. Relacy's headers #define
// new, delete, malloc, free and assert, so it lives in its own translation unit
// (relacy_counter.cpp) and this header exposes only a plain function.
#pragma once

#include <cstdint>

namespace relacybench {

// Scheduling points (calls of Relacy's sched()) per schedule: 20 locks + 20 unlocks + 1 when the
// first thread finishes = 41; rl::var accesses are race-checked but are not scheduling points,
// and Relacy's 2 threads are created once per simulate() call, not per schedule. Verified by
// check_relacy_points() through test_params::execution_depth_limit.
inline constexpr std::uint64_t kRelacyCounterPoints = 41;

// Wall seconds for `iterations` schedules of the counter under rl::sched_random. Exits the
// program if Relacy reports a failure or stops early.
double relacy_counter(std::uint64_t iterations);

// The 3-thread x 10-increment locked counter, and the bounded buffer (capacity 2, 2 producers
// of 5 items, 2 consumers of 5, one mutex and two condition variables) under rl::sched_random;
// wall seconds for `iterations` schedules. Exit the program if Relacy reports a failure.
double relacy_counter3(std::uint64_t iterations);
double relacy_buffer(std::uint64_t iterations);

// Exits the program unless kRelacyCounterPoints is exact.
void check_relacy_points();

// True if Relacy reports the deliberately broken counter (unlocked increments) as failing:
// proves the test really runs.
bool relacy_finds_lost_update();

}  // namespace relacybench
