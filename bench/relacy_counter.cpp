// The Relacy side of bench_relacy. Every standard header must come before relacy.hpp, which
// redefines new/delete/malloc/free/assert for the rest of the translation unit.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <streambuf>

#include <relacy/relacy.hpp>

#include "relacy_counter.hpp"

namespace relacybench {
namespace {

// Relacy prints its test name and statistics to test_params streams; the benchmark prints its
// own table.
struct NullBuf : std::streambuf {
  int overflow(int c) override { return c; }
};

// `Threads` threads x 10 locked increments.
template <unsigned Threads>
struct LockedCounterOf : rl::test_suite<LockedCounterOf<Threads>, Threads> {
  rl::mutex m;
  rl::var<int> counter;
  void before() { counter($) = 0; }
  void thread(unsigned) {
    for (int i = 0; i < 10; ++i) {
      m.lock($);
      counter($) = counter($) + 1;
      m.unlock($);
    }
  }
  void after() { RL_ASSERT(counter($) == static_cast<int>(10 * Threads)); }
};
using LockedCounter = LockedCounterOf<2>;
using LockedCounter3 = LockedCounterOf<3>;

// Threads 0 and 1 produce 5 items each, 2 and 3 consume 5 each, through a buffer of 2.
struct BoundedBuffer : rl::test_suite<BoundedBuffer, 4> {
  rl::mutex m;
  rl::condition_variable not_full;
  rl::condition_variable not_empty;
  rl::var<int> count;
  rl::var<int> taken;
  void before() {
    count($) = 0;
    taken($) = 0;
  }
  void thread(unsigned index) {
    for (int k = 0; k < 5; ++k) {
      m.lock($);
      if (index < 2) {
        while (count($) == 2) not_full.wait(m, $);
        count($) = count($) + 1;
        not_empty.notify_one($);
      } else {
        while (count($) == 0) not_empty.wait(m, $);
        count($) = count($) - 1;
        taken($) = taken($) + 1;
        not_full.notify_one($);
      }
      m.unlock($);
    }
  }
  void after() { RL_ASSERT(count($) == 0 && taken($) == 10); }
};

template <class Test>
double simulate_timed(std::uint64_t iterations, const char* what) {
  static NullBuf buf;
  static std::ostream null(&buf);
  rl::test_params p;
  p.iteration_count = iterations;
  p.search_type = rl::sched_random;
  p.output_stream = &null;
  p.progress_stream = &null;
  const auto t0 = std::chrono::steady_clock::now();
  const bool ok = rl::simulate<Test>(p);
  const auto t1 = std::chrono::steady_clock::now();
  if (!ok || p.test_result != rl::test_result_success || p.stop_iteration != iterations) {
    std::fprintf(stderr, "benchmark self-check failed: relacy %s (result %d)\n", what,
                 static_cast<int>(p.test_result));
    std::exit(1);
  }
  return std::chrono::duration<double>(t1 - t0).count();
}

// The same without the lock: Relacy must report it (a data race on rl::var).
struct BrokenCounter : rl::test_suite<BrokenCounter, 2, rl::test_result_data_race> {
  rl::var<int> counter;
  void before() { counter($) = 0; }
  void thread(unsigned) {
    for (int i = 0; i < 10; ++i) counter($) = counter($) + 1;
  }
};

// Relacy's result for `iterations` schedules of the counter. Output goes to a stream that never
// allocates: Relacy replaces operator new while it runs, and a growing std::ostringstream (its
// failure report) would then free memory from the wrong heap.
bool simulate_counter(std::uint64_t iterations, unsigned depth_limit, rl::test_params& p) {
  static NullBuf buf;
  static std::ostream null(&buf);
  p.iteration_count = iterations;
  p.search_type = rl::sched_random;
  p.output_stream = &null;
  p.progress_stream = &null;
  p.execution_depth_limit = depth_limit;
  return rl::simulate<LockedCounter>(p);
}

[[noreturn]] void fail(const char* why, const rl::test_params& p) {
  std::fprintf(
      stderr, "benchmark self-check failed: relacy counter: %s (result %d, %llu iterations)\n", why,
      static_cast<int>(p.test_result), static_cast<unsigned long long>(p.stop_iteration));
  std::exit(1);
}

}  // namespace

void check_relacy_points() {
  // Relacy fails a schedule with "livelock" once sched() has been called more than
  // execution_depth_limit + 1 times.
  rl::test_params exact;
  if (!simulate_counter(2000, kRelacyCounterPoints - 1, exact))
    fail("more points than counted", exact);
  rl::test_params fewer;
  if (simulate_counter(3, kRelacyCounterPoints - 2, fewer) ||
      fewer.test_result != rl::test_result_livelock) {
    fail("fewer points than counted", fewer);
  }
}

double relacy_counter(std::uint64_t iterations) {
  rl::test_params p;
  const auto t0 = std::chrono::steady_clock::now();
  // The default execution_depth_limit (2000), as a user of Relacy would run it.
  const bool ok = simulate_counter(iterations, rl::test_params().execution_depth_limit, p);
  const auto t1 = std::chrono::steady_clock::now();
  if (!ok || p.test_result != rl::test_result_success || p.stop_iteration != iterations) {
    fail("the locked counter did not pass", p);
  }
  return std::chrono::duration<double>(t1 - t0).count();
}

double relacy_counter3(std::uint64_t iterations) {
  return simulate_timed<LockedCounter3>(iterations, "3-thread counter");
}

double relacy_buffer(std::uint64_t iterations) {
  return simulate_timed<BoundedBuffer>(iterations, "bounded buffer");
}

bool relacy_finds_lost_update() {
  static NullBuf buf;
  static std::ostream null(&buf);
  rl::test_params p;
  p.iteration_count = 1000;
  p.search_type = rl::sched_random;
  p.output_stream = &null;
  p.progress_stream = &null;
  return rl::simulate<BrokenCounter>(p);  // true: the expected result (data race) was found
}

}  // namespace relacybench
