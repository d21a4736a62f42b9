#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/fuzz");

using namespace weft_test;
using weft::BugKind;
using weft::Strategy;

namespace {

// SCTBench's reorder_N: N-1 setters write a = 1 then b = -1; the checker, started last, must
// see neither write or both. It fails only if it reads before any setter has finished, with a
// switch at the right place: one thread of N going first, then one well-placed preemption.
void reorder(int threads) {
  weft::Atomic<int> a(0, "a");
  weft::Atomic<int> b(0, "b");
  std::vector<weft::Thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i + 1 < threads; ++i) {
    pool.emplace_back([&] {
      a.store(1);
      b.store(-1);
    });
  }
  pool.emplace_back([&] {
    const int x = a.load();
    const int y = b.load();
    WEFT_ASSERT((x == 0 && y == 0) || (x == 1 && y == -1));
  });
  for (weft::Thread& t : pool) t.join();
}

weft::Options fuzz(std::uint64_t iterations) {
  weft::Options o;
  o.strategy = Strategy::Fuzz;
  o.iterations = iterations;
  return o;
}

}  // namespace

TEST_CASE("fuzz_finds_a_many_thread_bug_that_random_does_not") {
  const auto body = [] { reorder(20); };
  const weft::Report found = weft::explore(body, fuzz(3000));
  REQUIRE_MESSAGE(!found.ok(), found.summary());
  CHECK(found.bugs[0].kind == BugKind::AssertionFailure);
  CHECK(found.strategy == "fuzz");
  CHECK(weft::to_string(Strategy::Fuzz) == "fuzz");
  // Uniformly random switching lets every setter finish before the checker reads.
  weft::Options random = fuzz(3000);
  random.strategy = Strategy::Random;
  CHECK(weft::explore(body, random).ok());
  // The schedule replays, shrunk.
  const weft::Report again = weft::replay(body, found.bugs[0].schedule);
  REQUIRE(!again.ok());
  CHECK(again.bugs[0].kind == BugKind::AssertionFailure);
}

TEST_CASE("fuzz_reports_are_byte_identical_run_to_run_and_by_seed") {
  weft::Options o = fuzz(700);
  o.stop_on_first_bug = false;
  const auto body = [] { reorder(8); };
  const weft::Report a = weft::explore(body, o);
  const weft::Report b = weft::explore(body, o);
  CHECK(a.summary() == b.summary());
  o.seed = 7;
  const weft::Report c = weft::explore(body, o);
  CHECK(c.summary() != a.summary());
}

TEST_CASE("fuzz_passes_correct_programs") {
  CHECK(weft::explore([] { locked_counter(3, 2); }, fuzz(500)).ok());
  // Spin loops with yield make progress under the fuzzer's priorities too.
  const weft::Report spin = weft::explore(
      [] {
        weft::Atomic<int> turn(0);
        weft::Thread t([&] {
          while (turn.load() != 1) weft::this_thread::yield();
          turn.store(2);
        });
        turn.store(1);
        while (turn.load() != 2) weft::this_thread::yield();
        t.join();
      },
      fuzz(300));
  CHECK_MESSAGE(spin.ok(), spin.summary());
}

TEST_CASE("proc_fuzz_corpus_is_the_same_for_any_jobs") {
  // Several epochs of 128 schedules, each growing the corpus from the one before: the report
  // (every bug's schedule) must not depend on which worker ran what.
  weft::Options o = fuzz(600);
  o.stop_on_first_bug = false;
  const auto body = [] { reorder(12); };
  const weft::Report one = weft::explore(body, o);
  o.jobs = 2;
  const weft::Report two = weft::explore(body, o);
  CHECK(one.summary() == two.summary());
  REQUIRE(one.bugs.size() == two.bugs.size());
  for (std::size_t i = 0; i < one.bugs.size(); ++i) {
    CHECK(one.bugs[i].iteration == two.bugs[i].iteration);
    CHECK(one.bugs[i].schedule.to_string() == two.bugs[i].schedule.to_string());
  }
  // And the default portfolio, which runs the fuzzer on some of its schedules.
  weft::Options p;
  p.iterations = 600;
  p.stop_on_first_bug = false;
  const weft::Report pone = weft::explore(body, p);
  p.jobs = 2;
  CHECK(pone.summary() == weft::explore(body, p).summary());
}

TEST_SUITE_END();
