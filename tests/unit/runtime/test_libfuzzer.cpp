// <weft/fuzz.hpp> without libFuzzer: detail::fuzz_one reads a run's decisions from bytes, and
// the schedule of a bug it finds replays to the same bug (what a crash file's reproduction
// writes to WEFT_SCHEDULE_OUT). tests/build_modes/libfuzzer.sh runs a real libFuzzer target.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include <weft/fuzz.hpp>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/libfuzzer");

using weft::BugKind;

namespace {

// Two threads add 1 twice each by load-then-store on an atomic: no data race, and the lost
// increment needs one thread's load..store to run between the other's.
void atomic_increment() {
  weft::Atomic<int> counter(0, "counter");
  std::vector<weft::Thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 2; ++i) {
        const int seen = counter.load();
        counter.store(seen + 1);
      }
    });
  }
  for (weft::Thread& w : workers) w.join();
  WEFT_ASSERT(counter.load() == 4);
}

weft::Report run(const std::vector<std::uint8_t>& bytes,
                 std::vector<std::uint64_t>* coverage = nullptr) {
  return weft::detail::fuzz_one(atomic_increment, bytes, coverage);
}

}  // namespace

TEST_CASE("no bytes: the fallback rule runs each thread to its end, which has no bug") {
  std::vector<std::uint64_t> coverage;
  const weft::Report r = run({}, &coverage);
  CHECK(r.ok());
  CHECK(r.iterations == 1);
  CHECK_FALSE(coverage.empty());
}

TEST_CASE("the same bytes give the same run and the same coverage") {
  const std::vector<std::uint8_t> bytes{3, 1, 4, 1, 5, 9, 2, 6};
  std::vector<std::uint64_t> a;
  std::vector<std::uint64_t> b;
  const weft::Report ra = run(bytes, &a);
  const weft::Report rb = run(bytes, &b);
  CHECK(a == b);
  CHECK(ra.ok() == rb.ok());
}

TEST_CASE("an interleaving input finds the lost increment, and its schedule replays to it") {
  // The input libFuzzer found for examples/fuzz/atomic_increment_fuzz.cpp.
  const weft::Report r = run({0x0a, 0x40, 0x02, 0x0a, 0x02, 0x0a});
  REQUIRE(r.bugs.size() == 1);
  CHECK(r.bugs[0].kind == BugKind::AssertionFailure);
  CHECK(r.strategy == "libfuzzer");
  const weft::Schedule text = weft::Schedule::parse(r.bugs[0].schedule.to_string());
  CHECK(text.all_shared_points());
  CHECK(text.body() != 0);
  const weft::Report again = weft::replay(atomic_increment, text);
  REQUIRE(again.bugs.size() == 1);
  CHECK(again.bugs[0].kind == BugKind::AssertionFailure);
}

TEST_CASE("every byte string is a valid schedule: bugs found replay, nothing diverges") {
  std::uint64_t x = 12345;
  int found = 0;
  for (int k = 0; k < 300; ++k) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(k % 24));
    for (std::uint8_t& b : bytes) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      b = static_cast<std::uint8_t>(x >> 56);
    }
    const weft::Report r = run(bytes);
    for (const weft::Bug& bug : r.bugs) {
      CHECK(bug.kind == BugKind::AssertionFailure);
      const weft::Report again = weft::replay(atomic_increment, bug.schedule);
      REQUIRE(again.bugs.size() == 1);
      CHECK(again.bugs[0].kind == bug.kind);
      ++found;
    }
  }
  CHECK(found > 0);
}

TEST_CASE("fuzz_input turns the run's coverage into extra counters") {
  std::array<std::uint8_t, 64> counters{};
  CHECK(weft::detail::fuzz_input(atomic_increment, nullptr, 0, counters.data(), counters.size()) ==
        0);
  int set = 0;
  for (const std::uint8_t c : counters) set += c != 0;
  CHECK(set > 0);
}

TEST_SUITE_END();
