// Semaphore, BoundedSemaphore, Event and Barrier in both modes; CondVar spurious wake-ups; and
// virtual time: exact timeouts, and a timeout racing a wake-up at the same virtual instant.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/sync_types");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;
using weft::Strategy;

namespace {

// The seed's rate limiter: `threads` workers share `permits` permits; at most `limit` may be
// inside at once.
void rate_limiter(int permits, int limit, int threads = 5) {
  weft::Semaphore sem(permits, "permits");
  weft::Atomic<int> inside(0);
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      sem.acquire();
      const int now = inside.fetch_add(1) + 1;
      WEFT_ASSERT_MSG(now <= limit, "too many inside the rate limiter");
      weft::this_thread::yield();
      inside.fetch_sub(1);
      sem.release();
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(sem.value() == permits);
}

// The seed's waiter/signaler: the signaler sleeps a second, publishes data and sets the event.
void waiter_signaler() {
  weft::Event ready("ready");
  weft::Shared<int> data(0, "data");
  weft::Thread signaler([&] {
    weft::this_thread::sleep_for(1s);
    data.store(42);
    ready.set();
  });
  weft::Thread waiter([&] {
    ready.wait();
    WEFT_ASSERT(ready.is_set());
    WEFT_ASSERT(data.load() == 42);
    WEFT_ASSERT(virtual_elapsed() >= 1s);
  });
  signaler.join();
  waiter.join();
}

// `threads` threads go through `rounds` rounds of a barrier; nobody may leave round k before all
// have arrived in it.
void barrier_rounds(int threads, int rounds, std::size_t parties) {
  weft::Barrier barrier(parties, "barrier");
  weft::Atomic<int> arrivals(0);
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int round = 0; round < rounds; ++round) {
        arrivals.fetch_add(1);
        barrier.arrive_and_wait();
        WEFT_ASSERT_MSG(arrivals.load() >= (round + 1) * threads, "left a round early");
        WEFT_ASSERT_MSG(arrivals.load() <= (round + 2) * threads, "someone ran two rounds ahead");
      }
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(arrivals.load() == threads * rounds);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Semaphore

TEST_CASE("production_semaphore_acquire_release_and_try_acquire") {
  weft::Semaphore s(2);
  CHECK(s.value() == 2);
  CHECK(s.try_acquire());
  s.acquire();
  CHECK(s.value() == 0);
  CHECK_FALSE(s.try_acquire());
  s.release(3);
  CHECK(s.value() == 3);
  CHECK(s.try_acquire());
  CHECK(s.try_acquire());
  CHECK(s.try_acquire());
  CHECK_FALSE(s.try_acquire());
  s.release(0);
  CHECK(s.value() == 0);
  CHECK_THROWS_AS(s.release(-1), std::invalid_argument);
  CHECK_THROWS_AS(weft::Semaphore(-1), std::invalid_argument);
}

TEST_CASE("production_semaphore_try_acquire_for_times_out_and_succeeds_for_real") {
  weft::Semaphore s(0);
  const auto t0 = weft::Clock::now();
  CHECK_FALSE(s.try_acquire_for(20ms));
  CHECK(weft::Clock::now() - t0 >= 20ms);
  weft::Thread releaser([&] {
    weft::this_thread::sleep_for(5ms);
    s.release();
  });
  CHECK(s.try_acquire_for(10s));
  releaser.join();
  CHECK(s.value() == 0);
}

TEST_CASE("production_semaphore_release_n_wakes_n_blocked_acquirers") {
  weft::Semaphore s(0);
  std::atomic<int> through{0};
  std::vector<weft::Thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      s.acquire();
      through.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(10ms);  // let them block (not required for correctness)
  s.release(3);
  for (auto& t : threads) t.join();
  CHECK(through.load() == 3);
  CHECK(s.value() == 0);
}

TEST_CASE("production_semaphore_rate_limiter_never_admits_more_than_its_permits") {
  weft::Semaphore sem(3);
  weft::Atomic<int> inside(0);
  std::atomic<int> max_inside{0};
  std::vector<weft::Thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        sem.acquire();
        const int now = inside.fetch_add(1) + 1;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        if (i % 64 == 0) std::this_thread::yield();
        inside.fetch_sub(1);
        sem.release();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(max_inside.load() >= 1);
  CHECK(max_inside.load() <= 3);
  CHECK(inside.load() == 0);
  CHECK(sem.value() == 3);
}

TEST_CASE("semaphore_rate_limiter_is_clean_for_thousands_of_schedules") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore([] { rate_limiter(3, 3); }, with(s, 1000));
    CHECK_MESSAGE(r.ok(), r.summary());
    CHECK(r.iterations == 1000);
  }
}

TEST_CASE("semaphore_with_one_permit_too_many_is_found_as_an_assertion_failure") {
  const weft::Bug b = only_bug(weft::explore([] { rate_limiter(4, 3); }, with(Strategy::PCT)));
  CHECK(b.kind == BugKind::AssertionFailure);
  CHECK(contains(b.message, "too many inside the rate limiter"));
  CHECK(contains(b.message, "test_sync_types.cpp:"));
  CHECK(contains(b.trace, "permits"));
  const weft::Report again = weft::replay([] { rate_limiter(4, 3); }, b.schedule);
  REQUIRE_MESSAGE(again.bugs.size() == 1, again.summary());
  CHECK(again.bugs[0].kind == BugKind::AssertionFailure);
}

TEST_CASE("semaphore_release_n_wakes_n_blocked_acquirers_in_every_schedule") {
  const weft::Report r = weft::explore(
      [] {
        weft::Semaphore s(0, "gate");
        weft::Atomic<int> through(0);
        std::vector<weft::Thread> threads;
        for (int i = 0; i < 3; ++i) {
          threads.emplace_back([&] {
            s.acquire();
            through.fetch_add(1);
          });
        }
        s.release(3);
        for (auto& t : threads) t.join();
        WEFT_ASSERT(through.load() == 3);
        WEFT_ASSERT(s.value() == 0);
        WEFT_ASSERT(!s.try_acquire());
      },
      with(Strategy::Random, 500));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("semaphore_acquire_without_a_release_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Semaphore s(1, "permit");
        weft::Thread t([&] { s.acquire(); });  // never released
        s.acquire();
        t.join();
      },
      with(Strategy::Random, 100)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "Semaphore permit"));
}

TEST_CASE("semaphore_try_acquire_for_times_out_after_exactly_the_timeout_in_virtual_time") {
  const auto start = std::chrono::steady_clock::now();
  const weft::Report r = weft::explore(
      [] {
        weft::Semaphore s(0);
        const auto t0 = weft::Clock::now();
        WEFT_ASSERT(!s.try_acquire_for(5s));
        WEFT_ASSERT(weft::Clock::now() - t0 == 5s);
        WEFT_ASSERT(!s.try_acquire_for(0s));
        WEFT_ASSERT(!s.try_acquire_for(-1s));
        WEFT_ASSERT(weft::Clock::now() - t0 == 5s);
        WEFT_ASSERT(!s.try_acquire());
      },
      with(Strategy::PCT, 50));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("semaphore_try_acquire_for_succeeds_when_another_thread_releases_in_time") {
  const weft::Report r = weft::explore(
      [] {
        weft::Semaphore s(0);
        weft::Thread releaser([&] {
          weft::this_thread::sleep_for(1s);
          s.release();
        });
        WEFT_ASSERT(s.try_acquire_for(1h));
        WEFT_ASSERT(virtual_elapsed() == 1s);  // woken by the release, not by the deadline
        releaser.join();
        WEFT_ASSERT(s.value() == 0);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// ---------------------------------------------------------------------------------------------
// BoundedSemaphore

TEST_CASE("bounded_semaphore_used_correctly_is_clean") {
  const weft::Report r = weft::explore(
      [] {
        weft::BoundedSemaphore pool(2, "pool");
        weft::Atomic<int> inside(0);
        std::vector<weft::Thread> threads;
        for (int i = 0; i < 3; ++i) {
          threads.emplace_back([&] {
            pool.acquire();
            WEFT_ASSERT(inside.fetch_add(1) < 2);
            inside.fetch_sub(1);
            pool.release();
            if (pool.try_acquire()) pool.release();
          });
        }
        for (auto& t : threads) t.join();
        WEFT_ASSERT(pool.value() == 2);
      },
      with(Strategy::POS, 500));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("bounded_semaphore_over_release_is_misuse_in_the_model") {
  SUBCASE("in the body") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::BoundedSemaphore pool(1, "pool");
      pool.acquire();
      pool.release();
      pool.release();  // one more than acquired
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "above its initial value"));
    CHECK(contains(b.message, "pool"));
    CHECK(contains(b.message, "test_sync_types.cpp:"));
  }
  SUBCASE("in a thread, by release(n)") {
    const weft::Bug b = only_bug(weft::explore(
        [] {
          weft::BoundedSemaphore pool(2, "pool");
          weft::Thread t([&] {
            pool.acquire();
            pool.release(2);
          });
          t.join();
        },
        with(Strategy::Random, 20)));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "above its initial value 2"));
    CHECK(contains(b.message, "T1 releases"));
  }
}

TEST_CASE("production_bounded_semaphore_over_release_throws_logic_error") {
  weft::BoundedSemaphore pool(2);
  CHECK_THROWS_AS(pool.release(), std::logic_error);
  CHECK(pool.value() == 2);
  pool.acquire();
  CHECK_THROWS_AS(pool.release(2), std::logic_error);
  CHECK(pool.value() == 1);
  pool.release();
  CHECK(pool.value() == 2);
  // normal use from real threads
  std::vector<weft::Thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 500; ++k) {
        pool.acquire();
        pool.release();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(pool.value() == 2);
}

// ---------------------------------------------------------------------------------------------
// Event

TEST_CASE("production_event_set_clear_is_set_wait_and_wait_for") {
  weft::Event ev;
  CHECK_FALSE(ev.is_set());
  const auto t0 = weft::Clock::now();
  CHECK_FALSE(ev.wait_for(20ms));
  CHECK(weft::Clock::now() - t0 >= 20ms);
  ev.set();
  CHECK(ev.is_set());
  ev.wait();  // returns at once
  CHECK(ev.wait_for(0s));
  ev.clear();
  CHECK_FALSE(ev.is_set());
  CHECK_FALSE(ev.wait_for(1ms));

  std::atomic<int> woken{0};
  std::vector<weft::Thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      ev.wait();
      woken.fetch_add(1);
    });
  }
  weft::Thread timed([&] { CHECK(ev.wait_for(10s)); });
  std::this_thread::sleep_for(5ms);
  ev.set();
  for (auto& w : waiters) w.join();
  timed.join();
  CHECK(woken.load() == 3);
}

TEST_CASE("event_waiter_signaler_is_clean_and_a_second_of_sleep_costs_no_wall_time") {
  const auto start = std::chrono::steady_clock::now();
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore(waiter_signaler, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("production_event_waiter_signaler_runs_for_real") {
  weft::Event ready;
  int data = 0;
  weft::Thread signaler([&] {
    weft::this_thread::sleep_for(10ms);
    data = 42;
    ready.set();
  });
  ready.wait();
  CHECK(data == 42);
  signaler.join();
}

TEST_CASE("event_set_clear_and_is_set_in_the_model") {
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev("ev");
        WEFT_ASSERT(!ev.is_set());
        ev.set();
        WEFT_ASSERT(ev.is_set());
        ev.wait();
        WEFT_ASSERT(ev.wait_for(0s));
        ev.set();  // idempotent
        ev.clear();
        WEFT_ASSERT(!ev.is_set());
        WEFT_ASSERT(virtual_elapsed() == 0s);
        // every waiter wakes on one set()
        weft::Atomic<int> woken(0);
        std::vector<weft::Thread> waiters;
        for (int i = 0; i < 3; ++i) {
          waiters.emplace_back([&] {
            ev.wait();
            woken.fetch_add(1);
          });
        }
        ev.set();
        for (auto& w : waiters) w.join();
        WEFT_ASSERT(woken.load() == 3);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("event_wait_for_times_out_after_exactly_the_timeout_without_a_set") {
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev;
        const auto t0 = weft::Clock::now();
        WEFT_ASSERT(!ev.wait_for(3s));
        WEFT_ASSERT(weft::Clock::now() - t0 == 3s);
        WEFT_ASSERT(!ev.wait_for(2500ms));
        WEFT_ASSERT(weft::Clock::now() - t0 == 5500ms);
        WEFT_ASSERT(!ev.is_set());
      },
      with(Strategy::PCT, 20));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("event_wait_for_returns_true_when_set_before_the_deadline") {
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev;
        weft::Thread setter([&] {
          weft::this_thread::sleep_for(1s);
          ev.set();
        });
        WEFT_ASSERT(ev.wait_for(5s));
        WEFT_ASSERT(virtual_elapsed() == 1s);
        setter.join();
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("event_that_is_never_set_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Event never("never");
        weft::Thread waiter([&] { never.wait(); });
        waiter.join();
      },
      with(Strategy::Random, 10)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "waits for Event never"));
  CHECK(contains(b.message, "main waits to join T1"));
}

TEST_CASE("event_wait_for_with_a_long_timeout_is_never_a_deadlock") {
  // A timed waiter always wakes eventually: no deadlock, the timeout fires.
  const weft::Report r = weft::explore(
      [] {
        weft::Event never("never");
        weft::Thread waiter([&] { WEFT_ASSERT(!never.wait_for(24h)); });
        waiter.join();
        WEFT_ASSERT(virtual_elapsed() == 24h);
      },
      with(Strategy::Random, 10));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// Python's threading.Event.wait returns True if the flag was set at any time after the wait
// started, even when it was cleared again before the waiter ran ("pulse"); so does weft's.
TEST_CASE("event_set_then_clear_still_wakes_a_waiter_that_was_already_waiting") {
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev("pulse");
        weft::Thread pulser([&] {
          weft::this_thread::sleep_for(1s);  // time moves only once the waiter is blocked
          ev.set();
          ev.clear();
        });
        WEFT_ASSERT_MSG(ev.wait_for(10s), "the pulse was missed");
        pulser.join();
      },
      with(Strategy::Random, 200));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// ---------------------------------------------------------------------------------------------
// Barrier

TEST_CASE("barrier_keeps_every_thread_in_the_same_round_across_generations") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    const weft::Report r = weft::explore([] { barrier_rounds(3, 4, 3); }, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("barrier_of_one_party_never_blocks") {
  const weft::Report r = weft::explore(
      [] {
        weft::Barrier b(1);
        for (int i = 0; i < 3; ++i) b.arrive_and_wait();
      },
      with(Strategy::Random, 5));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("barrier_with_one_party_too_many_is_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore([] { barrier_rounds(3, 1, 4); }, with(Strategy::PCT)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "waits for Barrier barrier"));
  CHECK(contains(b.trace, "wait barrier"));
  CHECK(contains(b.trace, "T3 -> barrier"));
}

TEST_CASE("barrier_with_zero_parties_is_rejected_in_both_modes") {
  CHECK_THROWS_AS(weft::Barrier(0), std::invalid_argument);
  const weft::Bug b = only_bug(weft::explore([] { weft::Barrier b0(0); }));
  CHECK(b.kind == BugKind::UncaughtException);
  CHECK(contains(b.message, "std::invalid_argument"));
}

TEST_CASE("production_barrier_synchronises_real_threads_across_rounds") {
  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  weft::Barrier barrier(kThreads);
  std::atomic<int> arrivals{0};
  std::atomic<int> early{0};
  std::vector<weft::Thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        arrivals.fetch_add(1);
        barrier.arrive_and_wait();
        if (arrivals.load() < (round + 1) * kThreads) early.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(arrivals.load() == kThreads * kRounds);
  CHECK(early.load() == 0);
}

// ---------------------------------------------------------------------------------------------
// CondVar spurious wake-ups

TEST_CASE("a_notify_with_no_waiter_is_traced_as_normal") {
  // Correct code notifies when nobody waits all the time: the trace says so without alarm.
  const weft::Bug b = only_bug(weft::explore([] {
    weft::Mutex m("m");
    weft::CondVar cv("not_empty");
    cv.notify_one();
    WEFT_ASSERT(false);  // a bug, so that the run is traced
  }));
  CHECK_MESSAGE(contains(b.trace, "notify_one not_empty"), b.trace);
  CHECK(contains(b.trace, "no waiter"));
  CHECK_FALSE(contains(b.trace, "lost"));
}

TEST_CASE("if_around_condvar_wait_is_clean_without_spurious_wakeups") {
  for (Strategy s : {Strategy::PCT, Strategy::Random}) {
    const weft::Report r = weft::explore([] { condvar_consumer(false); }, with(s, 500));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("if_around_condvar_wait_is_found_with_spurious_wakeups_and_replays") {
  weft::Options o = with(Strategy::Random, 500);
  o.spurious_wakeups = true;
  const auto body = [] { condvar_consumer(false); };
  const weft::Bug b = only_bug(weft::explore(body, o));
  CHECK(b.kind == BugKind::AssertionFailure);
  CHECK(contains(b.message, "woke up without the data"));
  CHECK(contains(b.trace, "spurious wake-up"));
  // The wake-up is a row of its own, the wait's, not a label on the unlock before it.
  std::istringstream rows(b.trace);
  for (std::string row; std::getline(rows, row);) {
    if (contains(row, "spurious wake-up")) {
      CHECK_MESSAGE(contains(row, "  wait "), row);
      CHECK_FALSE(contains(row, "unlock"));
    }
  }
  const std::string text = b.schedule.to_string();
  CHECK(contains(text, "spurious-wakeups"));
  CHECK(b.schedule.spurious_wakeups());

  const weft::Report again = weft::replay(body, b.schedule);
  REQUIRE_MESSAGE(again.bugs.size() == 1, again.summary());
  CHECK(again.bugs[0].kind == BugKind::AssertionFailure);
  CHECK(again.bugs[0].message == b.message);
  // The text form carries the flag: a parsed copy replays to the same bug.
  const weft::Report parsed = weft::replay(body, weft::Schedule::parse(text));
  REQUIRE_MESSAGE(parsed.bugs.size() == 1, parsed.summary());
  CHECK(parsed.bugs[0].message == b.message);
}

TEST_CASE("while_around_condvar_wait_is_clean_even_with_spurious_wakeups") {
  for (Strategy s : {Strategy::PCT, Strategy::POS, Strategy::Random}) {
    weft::Options o = with(s, 500);
    o.spurious_wakeups = true;
    const weft::Report r = weft::explore([] { condvar_consumer(true); }, o);
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

// ---------------------------------------------------------------------------------------------
// Virtual time: a timeout and a wake-up at the same instant are both possible outcomes.

TEST_CASE("event_timeout_and_set_at_the_same_instant_are_both_explored") {
  static std::set<bool> outcomes;
  outcomes.clear();
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev("ev");
        bool got = false;
        weft::Thread a([&] { got = ev.wait_for(1s); });
        weft::Thread b([&] {
          weft::this_thread::sleep_for(1s);
          ev.set();
        });
        a.join();
        b.join();
        WEFT_ASSERT(virtual_elapsed() == 1s);  // either way, nothing happens after 1 s
        outcomes.insert(got);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(outcomes == std::set<bool>{false, true});
}

TEST_CASE("semaphore_timeout_and_release_at_the_same_instant_are_both_explored") {
  static std::set<bool> outcomes;
  outcomes.clear();
  const weft::Report r = weft::explore(
      [] {
        weft::Semaphore s(0);
        bool got = false;
        weft::Thread a([&] { got = s.try_acquire_for(2s); });
        weft::Thread b([&] {
          weft::this_thread::sleep_for(2s);
          s.release();
        });
        a.join();
        b.join();
        WEFT_ASSERT(s.value() == (got ? 0 : 1));
        outcomes.insert(got);
      },
      with(Strategy::Random, 300));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(outcomes == std::set<bool>{false, true});
}

TEST_CASE("dfs_covers_both_outcomes_of_a_timeout_racing_a_set_at_the_same_instant") {
  static std::set<bool> outcomes;
  outcomes.clear();
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev;
        bool got = false;
        weft::Thread a([&] { got = ev.wait_for(1s); });
        weft::this_thread::sleep_for(1s);
        ev.set();
        a.join();
        outcomes.insert(got);
      },
      with(Strategy::DFS, 100000));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(outcomes == std::set<bool>{false, true});
}

TEST_CASE("huge_timeouts_saturate_in_virtual_time") {
  const weft::Report r = weft::explore(
      [] {
        weft::Event ev;
        weft::Semaphore s(0);
        weft::Thread t([&] {
          weft::this_thread::sleep_for(1s);
          ev.set();
          s.release();
        });
        WEFT_ASSERT(ev.wait_for(std::chrono::hours::max()));
        WEFT_ASSERT(s.try_acquire_for(std::chrono::nanoseconds::max()));
        WEFT_ASSERT(virtual_elapsed() == 1s);
        t.join();
        weft::Event never;
        WEFT_ASSERT(!never.wait_for(std::chrono::hours::max()));  // no overflow: it times out
        WEFT_ASSERT(virtual_elapsed() > 100 * 24h);
      },
      with(Strategy::Random, 50));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// Regression (fixed): in production, Event::wait_for, Semaphore::try_acquire_for (and Queue's
// get_for / put_for, CondVar::wait_for) pass the duration straight to
// std::condition_variable::wait_for, whose `steady_clock::now() + d` overflows for a duration like
// hours::max(): the wait returns false at once instead of waiting for the set/release 20 ms later.
// The model saturates such deadlines (detail::deadline_after), so the two modes disagree: the test
// above is clean.
TEST_CASE("production_huge_timeouts_wait_instead_of_expiring_at_once") {
  weft::Event ev;
  weft::Semaphore s(0);
  weft::Thread t([&] {
    weft::this_thread::sleep_for(20ms);
    ev.set();
    s.release();
  });
  CHECK(ev.wait_for(std::chrono::hours::max()));
  CHECK(s.try_acquire_for(std::chrono::nanoseconds::max()));
  t.join();
}

TEST_CASE("virtual_time_never_runs_backwards_across_timed_waits") {
  // Sleepers of different lengths: each wakes at its own deadline, in order, whatever the
  // strategy; the clock is monotonic.
  const weft::Report r = weft::explore(
      [] {
        weft::Atomic<long long> last(0);
        std::vector<weft::Thread> threads;
        for (int i = 1; i <= 3; ++i) {
          threads.emplace_back([&, i] {
            weft::this_thread::sleep_for(std::chrono::seconds(i));
            const long long now = virtual_elapsed().count();
            WEFT_ASSERT(now == std::chrono::nanoseconds(std::chrono::seconds(i)).count());
            WEFT_ASSERT(last.exchange(now) <= now);
          });
        }
        for (auto& t : threads) t.join();
        WEFT_ASSERT(virtual_elapsed() == 3s);
      },
      with(Strategy::Random, 200));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// Regression (fixed): CondVar::wait_for(lock, d, pred) computes its deadline once, and when the
// waiter is woken (notify without the predicate becoming true) but must then wait for the mutex
// past that deadline, it calls wait again with a deadline that is already in the past. CondVar does
// not check for that (Event, Semaphore, Queue and Mutex::try_lock_for do), so the model makes
// the stale deadline a candidate and sets the virtual clock back to it: Clock::now() goes from
// 5 s back to 1 s.
TEST_CASE("condvar_wait_for_with_predicate_never_moves_the_clock_backwards") {
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m("m");
        weft::CondVar cv("cv");
        weft::Event waiting("waiting");
        weft::Thread waiter([&] {
          std::unique_lock lock(m);
          waiting.set();
          const bool ok = cv.wait_for(lock, 1s, [] { return false; });
          WEFT_ASSERT(!ok);
          WEFT_ASSERT_MSG(virtual_elapsed() >= 5s, "the clock ran backwards");
        });
        waiting.wait();
        {
          std::lock_guard g(m);              // the waiter is inside wait_for now
          cv.notify_one();                   // wakes it, predicate still false
          weft::this_thread::sleep_for(5s);  // holding m: the waiter cannot re-lock before 5 s
        }
        waiter.join();
        WEFT_ASSERT_MSG(virtual_elapsed() >= 5s, "the clock ran backwards");
      },
      with(Strategy::Random, 200));
  CHECK_MESSAGE(r.ok(), r.summary());
}

// ---------------------------------------------------------------------------------------------
// Objects used from the wrong mode

TEST_CASE("production_sync_objects_used_inside_explore_are_usage_errors") {
  weft::Semaphore sem(1);
  weft::BoundedSemaphore bounded(1);
  weft::Event ev;
  weft::Barrier barrier(1);
  const auto expect_usage_error = [](const weft::Report& r, const char* type) {
    REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
    CHECK(r.bugs[0].kind == BugKind::UncaughtException);
    CHECK(contains(r.bugs[0].message, "weft::UsageError"));
    CHECK(contains(r.bugs[0].message, type));
    CHECK(contains(r.bugs[0].message, "was created outside it"));
  };
  expect_usage_error(weft::explore([&] { sem.acquire(); }, with(Strategy::Random, 1)),
                     "weft::Semaphore used at");
  expect_usage_error(weft::explore([&] { (void)sem.try_acquire(); }, with(Strategy::Random, 1)),
                     "weft::Semaphore used at");
  expect_usage_error(weft::explore([&] { sem.release(); }, with(Strategy::Random, 1)),
                     "weft::Semaphore used at");
  expect_usage_error(weft::explore([&] { bounded.release(); }, with(Strategy::Random, 1)),
                     "weft::BoundedSemaphore used at");
  expect_usage_error(weft::explore([&] { ev.set(); }, with(Strategy::Random, 1)),
                     "weft::Event used at");
  expect_usage_error(weft::explore([&] { (void)ev.wait_for(1s); }, with(Strategy::Random, 1)),
                     "weft::Event used at");
  expect_usage_error(weft::explore([&] { barrier.arrive_and_wait(); }, with(Strategy::Random, 1)),
                     "weft::Barrier used at");
  // The production objects are untouched and still work.
  CHECK(sem.value() == 1);
  CHECK_FALSE(ev.is_set());
  barrier.arrive_and_wait();
}

TEST_CASE("model_sync_objects_used_after_explore_are_usage_errors") {
  static std::unique_ptr<weft::Semaphore> sem;
  static std::unique_ptr<weft::Event> ev;
  static std::unique_ptr<weft::Barrier> barrier;
  (void)weft::explore(
      [] {
        sem = std::make_unique<weft::Semaphore>(1);
        ev = std::make_unique<weft::Event>();
        barrier = std::make_unique<weft::Barrier>(1);
      },
      with(Strategy::Random, 1));
  CHECK_THROWS_AS(sem->acquire(), weft::UsageError);
  CHECK_THROWS_AS(sem->release(), weft::UsageError);
  CHECK_THROWS_AS(ev->set(), weft::UsageError);
  CHECK_THROWS_AS((void)ev->is_set(), weft::UsageError);
  CHECK_THROWS_AS(barrier->arrive_and_wait(), weft::UsageError);
  sem.reset();
  ev.reset();
  barrier.reset();
}

// Regression (fixed): Semaphore::value() skips the mode check every other member makes, so a
// production semaphore read inside explore() returns its count (unsynchronised, racing with
// real threads) instead of throwing weft::UsageError, and a model semaphore read after its
// execution ended does the same.
TEST_CASE("semaphore_value_from_the_wrong_mode_is_a_usage_error") {
  weft::Semaphore sem(1);
  const weft::Report r = weft::explore([&] { (void)sem.value(); }, with(Strategy::Random, 1));
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  CHECK(contains(r.bugs[0].message, "weft::UsageError"));
}

TEST_SUITE_END();
