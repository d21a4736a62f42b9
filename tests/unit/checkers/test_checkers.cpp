// The checkers: happens-before data races and lost updates on Shared<T>, and the lock-order
// graph. Every detector gets a program it must flag and a fixed twin it must leave alone; every
// happens-before edge of the instrumented types gets a handoff that must not be called a race.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("checkers/race_and_lock_order");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;
using weft::Strategy;

namespace {

const Strategy kAllStrategies[] = {Strategy::PCT, Strategy::Random, Strategy::POS, Strategy::DFS};

std::string name_of(Strategy s) { return std::string(weft::to_string(s)); }

std::string at_line(unsigned line) { return "test_checkers.cpp:" + std::to_string(line); }

weft::Bug bug_of(const weft::Report& r, BugKind kind) {
  for (const weft::Bug& b : r.bugs) {
    if (b.kind == kind) return b;
  }
  FAIL("no " << to_string(kind) << " in: " << r.summary());
  return {};
}

// A few hundred schedules under every strategy, collecting every bug: none may come.
void check_clean(const std::function<void()>& body, std::uint64_t iterations = 200) {
  for (Strategy s : kAllStrategies) {
    CAPTURE(name_of(s));
    weft::Options o = with(s, iterations);
    o.stop_on_first_bug = false;
    const weft::Report r = weft::explore(body, o);
    CHECK_MESSAGE(r.ok(), r.summary());
    CHECK_MESSAGE(!r.found(BugKind::LockOrderInversion), r.summary());
    CHECK((r.iterations == iterations || r.exhausted));  // really explored
  }
}

// The broken twin of a handoff: the race must be found (and named after the variable).
weft::Bug check_race_on(const std::function<void()>& body, const std::string& variable) {
  const weft::Report r = weft::explore(body, with(Strategy::PCT, 200));
  const weft::Bug b = bug_of(r, BugKind::DataRace);
  CHECK_MESSAGE(contains(b.message, "data race on " + variable), b.message);
  CHECK_MESSAGE(contains(b.message, "not ordered by happens-before"), b.message);
  return b;
}

// The seed's `counter += 1` from two threads, with no assertion: only the checker can see it.
void unchecked_increments() {
  weft::Shared<int> counter(0, "counter");
  weft::Thread t1([&] { counter += 1; });
  weft::Thread t2([&] { counter += 1; });
  t1.join();
  t2.join();
}

}  // namespace

// --- 1. Data races -------------------------------------------------------------------------

TEST_CASE("an_unordered_store_and_load_are_a_data_race_found_in_the_first_schedule") {
  unsigned store_line = 0;
  unsigned load_line = 0;
  const weft::Report r = weft::explore([&] {
    weft::Shared<int> x(0, "x");
    weft::Thread writer([&] {
      x.store(1);
      store_line = __LINE__ - 1;
    });
    weft::Thread reader([&] {
      (void)x.load();
      load_line = __LINE__ - 1;
    });
    writer.join();
    reader.join();
  });
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  const weft::Bug& b = r.bugs[0];
  CHECK(b.kind == BugKind::DataRace);
  CHECK(b.iteration == 1);  // predicted from the accesses, whatever order this schedule ran them
  CHECK_MESSAGE(contains(b.message, "data race on x: "), b.message);
  CHECK_MESSAGE(contains(b.message, "T1 writes 1 at " + at_line(store_line)), b.message);
  CHECK_MESSAGE(contains(b.message, "T2 reads "), b.message);
  CHECK_MESSAGE(contains(b.message, at_line(load_line)), b.message);
  CHECK_MESSAGE(contains(b.message, ", not ordered by happens-before"), b.message);
  CHECK_MESSAGE(contains(b.trace, "store x"), b.trace);
  CHECK_MESSAGE(contains(b.trace, "load x"), b.trace);
}

TEST_CASE("two_unordered_stores_are_a_data_race_not_a_lost_update") {
  unsigned line1 = 0;
  unsigned line2 = 0;
  const weft::Report r = weft::explore([&] {
    weft::Shared<int> x(0, "x");
    weft::Thread a([&] {
      x.store(1);
      line1 = __LINE__ - 1;
    });
    weft::Thread b([&] {
      x.store(2);
      line2 = __LINE__ - 1;
    });
    a.join();
    b.join();
  });
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  const weft::Bug& b = r.bugs[0];
  CHECK(b.kind == BugKind::DataRace);
  CHECK(b.iteration == 1);
  CHECK_MESSAGE(contains(b.message, "data race on x: "), b.message);
  CHECK_MESSAGE(contains(b.message, "T1 writes 1 at " + at_line(line1)), b.message);
  CHECK_MESSAGE(contains(b.message, "T2 writes 2 at " + at_line(line2)), b.message);
  CHECK_MESSAGE(contains(b.message, "not ordered by happens-before"), b.message);
}

// --- 2. Lost updates -----------------------------------------------------------------------

TEST_CASE("increments_from_two_threads_are_a_lost_update_without_any_assertion") {
  const weft::Report r = weft::explore(unchecked_increments);
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  const weft::Bug& b = r.bugs[0];
  CHECK(b.kind == BugKind::LostUpdate);
  CHECK(!r.found(BugKind::DataRace));  // the read-modify-write race says more than the race
  CHECK(b.iteration == 1);
  CHECK_MESSAGE(contains(b.message, "lost update of counter: "), b.message);
  CHECK_MESSAGE(contains(b.message, "T1"), b.message);
  CHECK_MESSAGE(contains(b.message, "T2"), b.message);
}

TEST_CASE("a_predicted_lost_update_says_that_another_schedule_can_lose_it") {
  // DFS's first schedule runs each thread to completion: nothing is lost in it.
  const weft::Report r = weft::explore(unchecked_increments, with(Strategy::DFS, 1));
  const weft::Bug b = bug_of(r, BugKind::LostUpdate);
  CHECK_MESSAGE(contains(b.message, "read-modify-write it with nothing ordering them"), b.message);
  CHECK_MESSAGE(contains(b.message, "not in this schedule, but in another"), b.message);
}

TEST_CASE("a_lost_update_that_really_happened_says_whose_write_was_overwritten") {
  // Look for a schedule where both threads read 0 before either wrote: one-schedule
  // explorations over a range of seeds (deterministic, so the same seed is found every time).
  std::string message;
  for (std::uint64_t seed = 0; seed < 100 && message.empty(); ++seed) {
    weft::Options o = with(Strategy::Random, 1);
    o.seed = seed;
    const weft::Report r = weft::explore(unchecked_increments, o);
    for (const weft::Bug& b : r.bugs) {
      if (b.kind == BugKind::LostUpdate && contains(b.message, " wrote counter=")) {
        message = b.message;
      }
    }
  }
  REQUIRE_MESSAGE(!message.empty(), "no schedule lost an increment in 100 seeds");
  // "lost update of counter: T2 wrote counter=1 over T1's write of 1; both read 0 (...)"
  CHECK_MESSAGE(contains(message, "lost update of counter: "), message);
  const bool t2_over_t1 = contains(message, "T2 wrote counter=1 over T1's write of 1; both read 0");
  const bool t1_over_t2 = contains(message, "T1 wrote counter=1 over T2's write of 1; both read 0");
  CHECK_MESSAGE((t2_over_t1 || t1_over_t2), message);
}

TEST_CASE("increments_under_a_mutex_are_not_a_lost_update") {
  check_clean([] {
    weft::Mutex m("m");
    weft::Shared<int> counter(0, "counter");
    auto work = [&] {
      for (int i = 0; i < 2; ++i) {
        std::lock_guard g(m);
        counter += 1;
      }
    };
    weft::Thread t1(work);
    weft::Thread t2(work);
    t1.join();
    t2.join();
    WEFT_ASSERT(counter.load() == 4);
  });
}

TEST_CASE("atomic_fetch_add_increments_are_not_a_lost_update") {
  check_clean([] {
    weft::Atomic<int> counter(0, "counter");
    auto work = [&] {
      for (int i = 0; i < 2; ++i) counter.fetch_add(1);
    };
    weft::Thread t1(work);
    weft::Thread t2(work);
    t1.join();
    t2.join();
    WEFT_ASSERT(counter.load() == 4);
  });
}

// --- 3. Every happens-before edge ------------------------------------------------------------
// Each handoff is clean as written; `broken` moves the access to the wrong side of the sync.

namespace {

void spawn_handoff(bool broken) {
  weft::Shared<int> data(0, "data");
  if (!broken) data.store(1);  // before the spawn: the child starts after it
  weft::Thread child([&] { (void)data.load(); });
  if (broken) data.store(1);
  child.join();
}

void join_handoff(bool broken) {
  weft::Shared<int> data(0, "data");
  weft::Thread child([&] { data.store(1); });
  if (broken) (void)data.load();
  child.join();
  WEFT_ASSERT(data.load() == 1);  // after the join: everything the child did came before
  data.store(2);
}

void mutex_handoff(bool broken) {
  weft::Mutex m("m");
  weft::Shared<int> data(0, "data");
  weft::Thread writer([&] {
    std::lock_guard g(m);
    data.store(1);
  });
  weft::Thread reader([&] {
    if (broken) {
      (void)data.load();
    } else {
      std::lock_guard g(m);
      (void)data.load();
    }
  });
  writer.join();
  reader.join();
}

void recursive_mutex_handoff() {
  weft::RecursiveMutex m("rm");
  weft::Shared<int> data(0, "data");
  auto work = [&] {
    std::lock_guard outer(m);
    {
      std::lock_guard inner(m);
      data.store(data.load() + 1);
    }
    data.store(data.load() + 1);  // after the inner unlock, still under the outer lock
  };
  weft::Thread t1(work);
  weft::Thread t2(work);
  t1.join();
  t2.join();
  WEFT_ASSERT(data.load() == 4);
}

void try_lock_handoff() {
  weft::Mutex m("m");
  weft::Shared<int> data(0, "data");
  auto work = [&] {
    while (!m.try_lock()) weft::this_thread::yield();
    data.store(data.load() + 1);
    m.unlock();
  };
  weft::Thread t1(work);
  weft::Thread t2(work);
  t1.join();
  t2.join();
}

// The flag is under the mutex; the data is written before it, outside.
void condvar_predicate_handoff(bool publish_outside_the_lock) {
  weft::Mutex m("m");
  weft::CondVar cv("cv");
  weft::Shared<bool> ready(false, "ready");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    if (publish_outside_the_lock) data.store(42);
    {
      std::lock_guard g(m);
      if (!publish_outside_the_lock) data.store(42);
      ready.store(true);
    }
    cv.notify_one();
  });
  weft::Thread consumer([&] {
    {
      std::unique_lock l(m);
      cv.wait(l, [&] { return ready.load(); });
      if (!publish_outside_the_lock) WEFT_ASSERT(data.load() == 42);
    }
    if (publish_outside_the_lock) WEFT_ASSERT(data.load() == 42);
  });
  producer.join();
  consumer.join();
}

// Only the notify -> wake edge orders the data: the notifier never touches the mutex.
void condvar_notify_handoff(bool read_even_after_a_timeout) {
  weft::Mutex m("m");
  weft::CondVar cv("cv");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    data.store(42);
    cv.notify_one();
  });
  weft::Thread consumer([&] {
    bool woken = false;
    {
      std::unique_lock l(m);
      woken = cv.wait_for(l, 1h);
    }
    if (woken || read_even_after_a_timeout) (void)data.load();
  });
  producer.join();
  consumer.join();
}

void semaphore_handoff(bool broken) {
  weft::Semaphore s(0, "s");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    if (!broken) data.store(42);
    s.release();
    if (broken) data.store(42);
  });
  weft::Thread consumer([&] {
    s.acquire();
    (void)data.load();
  });
  producer.join();
  consumer.join();
}

void semaphore_try_acquire_handoff() {
  weft::Semaphore s(0, "s");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    data.store(42);
    s.release();
  });
  weft::Thread consumer([&] {
    while (!s.try_acquire()) weft::this_thread::yield();
    WEFT_ASSERT(data.load() == 42);
  });
  producer.join();
  consumer.join();
}

void event_handoff(bool broken) {
  weft::Event ev("ev");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    if (!broken) data.store(42);
    ev.set();
    if (broken) data.store(42);
  });
  weft::Thread consumer([&] {
    ev.wait();
    (void)data.load();
  });
  producer.join();
  consumer.join();
}

void event_poll_handoff() {
  weft::Event ev("ev");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    data.store(42);
    ev.set();
  });
  weft::Thread consumer([&] {
    while (!ev.is_set()) weft::this_thread::yield();
    WEFT_ASSERT(data.load() == 42);
  });
  producer.join();
  consumer.join();
}

void barrier_handoff(bool broken) {
  weft::Barrier bar(2, "bar");
  weft::Shared<int> a(0, "a");
  weft::Shared<int> b(0, "b");
  weft::Thread t1([&] {
    a.store(1);
    bar.arrive_and_wait();
    (void)b.load();
  });
  weft::Thread t2([&] {
    if (!broken) b.store(2);
    bar.arrive_and_wait();
    if (broken) b.store(2);
    (void)a.load();
  });
  t1.join();
  t2.join();
}

void queue_put_get_handoff(bool broken) {
  weft::Queue<int> q(0, "q");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    if (!broken) data.store(42);
    q.put(1);
    if (broken) data.store(42);
  });
  weft::Thread consumer([&] {
    (void)q.get();
    (void)data.load();
  });
  producer.join();
  consumer.join();
}

void queue_try_get_handoff() {
  weft::Queue<int> q(1, "q");
  weft::Shared<int> data(0, "data");
  weft::Thread producer([&] {
    data.store(42);
    q.put(1);
  });
  weft::Thread consumer([&] {
    while (!q.try_get()) weft::this_thread::yield();
    WEFT_ASSERT(data.load() == 42);
  });
  producer.join();
  consumer.join();
}

void queue_task_done_handoff(bool broken) {
  weft::Queue<int> q(0, "q");
  weft::Shared<int> result(0, "result");
  weft::Thread worker([&] {
    const int item = q.get();
    if (!broken) result.store(item * 2);
    q.task_done();
    if (broken) result.store(item * 2);
  });
  q.put(21);
  q.join();  // every task_done happened before
  (void)result.load();
  worker.join();
}

void atomic_flag_handoff(bool broken) {
  weft::Atomic<bool> flag(false, "flag");
  weft::Shared<int> data(0, "data");
  weft::Thread writer([&] {
    if (!broken) data.store(42);
    flag.store(true);
    if (broken) data.store(42);
  });
  weft::Thread reader([&] {
    while (!flag.load()) weft::this_thread::yield();
    (void)data.load();
  });
  writer.join();
  reader.join();
}

}  // namespace

TEST_CASE("no_race_through_thread_start") {
  check_clean([] { spawn_handoff(false); });
  check_race_on([] { spawn_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_thread_join") {
  check_clean([] { join_handoff(false); });
  check_race_on([] { join_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_mutex_unlock_then_lock") {
  check_clean([] { mutex_handoff(false); });
  check_clean(try_lock_handoff);
  check_race_on([] { mutex_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_recursive_mutex") { check_clean(recursive_mutex_handoff); }

TEST_CASE("no_race_through_condvar_with_a_predicate_under_the_mutex") {
  check_clean([] { condvar_predicate_handoff(false); });
  check_clean([] { condvar_predicate_handoff(true); });
}

TEST_CASE("no_race_through_condvar_notify_then_wake") {
  check_clean([] { condvar_notify_handoff(false); });
}

TEST_CASE("no_race_through_semaphore_release_then_acquire") {
  check_clean([] { semaphore_handoff(false); });
  check_clean(semaphore_try_acquire_handoff);
  check_race_on([] { semaphore_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_event_set_then_wait") {
  check_clean([] { event_handoff(false); });
  check_clean(event_poll_handoff);
  check_race_on([] { event_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_barrier") {
  check_clean([] { barrier_handoff(false); });
  check_race_on([] { barrier_handoff(true); }, "b: ");
}

TEST_CASE("no_race_through_queue_put_then_get") {
  check_clean([] { queue_put_get_handoff(false); });
  check_clean(queue_try_get_handoff);
  check_race_on([] { queue_put_get_handoff(true); }, "data: ");
}

TEST_CASE("no_race_through_queue_task_done_then_join") {
  check_clean([] { queue_task_done_handoff(false); });
  check_race_on([] { queue_task_done_handoff(true); }, "result: ");
}

TEST_CASE("no_race_through_atomic_store_then_load") {
  check_clean([] { atomic_flag_handoff(false); });
  check_race_on([] { atomic_flag_handoff(true); }, "data: ");
}

// --- 4. Names --------------------------------------------------------------------------------

TEST_CASE("shared_variables_are_named_by_constructor_set_name_or_declaration_site") {
  SUBCASE("constructor") {
    check_race_on(
        [] {
          weft::Shared<int> v(0, "balance");
          weft::Thread t([&] { v.store(1); });
          v.store(2);
          t.join();
        },
        "balance: ");
  }
  SUBCASE("set_name") {
    check_race_on(
        [] {
          weft::Shared<int> v(0);
          v.set_name("renamed");
          weft::Thread t([&] { v.store(1); });
          v.store(2);
          t.join();
        },
        "renamed: ");
  }
  SUBCASE("declaration site") {
    unsigned decl_line = 0;
    const weft::Bug race = check_race_on(
        [&] {
          weft::Shared<int> v(0);
          decl_line = __LINE__ - 1;
          weft::Thread t([&] { v.store(1); });
          v.store(2);
          t.join();
        },
        "Shared@test_checkers.cpp:");
    CHECK_MESSAGE(contains(race.message, "data race on Shared@" + at_line(decl_line) + ": "),
                  race.message);
    const weft::Report r = weft::explore([&] {
      weft::Shared<int> v;
      decl_line = __LINE__ - 1;
      weft::Thread t([&] { v += 1; });
      v += 1;
      t.join();
    });
    const weft::Bug b = bug_of(r, BugKind::LostUpdate);
    CHECK_MESSAGE(contains(b.message, "lost update of Shared@" + at_line(decl_line) + ": "),
                  b.message);
  }
}

// --- 5. Lock order ---------------------------------------------------------------------------

TEST_CASE("lock_order_inversion_is_reported_even_when_a_join_keeps_it_from_deadlocking") {
  const weft::Report r = weft::explore([] {
    weft::Mutex a("A");
    weft::Mutex b("B");
    weft::Thread t1([&] {
      std::lock_guard ga(a);
      std::lock_guard gb(b);
    });
    t1.join();  // only then does the other order start
    weft::Thread t2([&] {
      std::lock_guard gb(b);
      std::lock_guard ga(a);
    });
    t2.join();
  });
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  const weft::Bug& b = r.bugs[0];
  CHECK(b.kind == BugKind::LockOrderInversion);
  CHECK(!r.found(BugKind::Deadlock));
  CHECK_MESSAGE(contains(b.message, "lock order inversion (potential deadlock): "), b.message);
  CHECK_MESSAGE(contains(b.message, "T1 holds A (test_checkers.cpp:"), b.message);
  CHECK_MESSAGE(contains(b.message, ") and waits for B (test_checkers.cpp:"), b.message);
  CHECK_MESSAGE(contains(b.message, "T2 holds B (test_checkers.cpp:"), b.message);
  CHECK_MESSAGE(contains(b.message, ") and waits for A (test_checkers.cpp:"), b.message);
  CHECK_MESSAGE(contains(b.trace, "no witness"), b.trace);
}

TEST_CASE("real_abba_reports_the_inversion_and_a_deadlock_witness") {
  const weft::Report r = weft::explore([] {
    weft::Mutex a("A");
    weft::Mutex b("B");
    weft::Thread t1([&] {
      std::lock_guard ga(a);
      std::lock_guard gb(b);
    });
    weft::Thread t2([&] {
      std::lock_guard gb(b);
      std::lock_guard ga(a);
    });
    t1.join();
    t2.join();
  });
  const weft::Bug inversion = bug_of(r, BugKind::LockOrderInversion);
  CHECK_MESSAGE(contains(inversion.message, "holds A"), inversion.message);
  CHECK_MESSAGE(contains(inversion.message, "holds B"), inversion.message);
  CHECK(!contains(inversion.trace, "no witness"));
  const weft::Bug deadlock = bug_of(r, BugKind::Deadlock);
  CHECK_MESSAGE(contains(deadlock.message, "cycle of 2 threads"), deadlock.message);
  CHECK_MESSAGE(contains(deadlock.message, "Mutex A"), deadlock.message);
  CHECK_MESSAGE(contains(deadlock.message, "Mutex B"), deadlock.message);
  // The witness replays as the deadlock.
  const weft::Report again = weft::replay(
      [] {
        weft::Mutex a("A");
        weft::Mutex b("B");
        weft::Thread t1([&] {
          std::lock_guard ga(a);
          std::lock_guard gb(b);
        });
        weft::Thread t2([&] {
          std::lock_guard gb(b);
          std::lock_guard ga(a);
        });
        t1.join();
        t2.join();
      },
      deadlock.schedule);
  CHECK_MESSAGE(again.found(BugKind::Deadlock), again.summary());
}

TEST_CASE("a_cycle_whose_edges_all_hold_a_common_gate_lock_is_not_an_inversion") {
  check_clean([] {
    weft::Mutex gate("G");
    weft::Mutex a("A");
    weft::Mutex b("B");
    weft::Thread t1([&] {
      std::lock_guard g(gate);
      std::lock_guard ga(a);
      std::lock_guard gb(b);
    });
    weft::Thread t2([&] {
      std::lock_guard g(gate);
      std::lock_guard gb(b);
      std::lock_guard ga(a);
    });
    t1.join();
    t2.join();
  });
}

TEST_CASE("a_cycle_within_one_thread_is_not_an_inversion") {
  check_clean([] {
    weft::Mutex a("A");
    weft::Mutex b("B");
    weft::Thread t([&] {
      {
        std::lock_guard ga(a);
        std::lock_guard gb(b);
      }
      {
        std::lock_guard gb(b);
        std::lock_guard ga(a);
      }
    });
    t.join();
  });
}

TEST_CASE("edges_made_by_try_lock_or_try_lock_for_are_not_an_inversion") {
  SUBCASE("std::unique_lock with try_to_lock") {
    check_clean([] {
      weft::Mutex a("A");
      weft::Mutex b("B");
      weft::Thread t1([&] {
        std::lock_guard ga(a);
        std::unique_lock gb(b, std::try_to_lock);
      });
      weft::Thread t2([&] {
        std::lock_guard gb(b);
        std::lock_guard ga(a);
      });
      t1.join();
      t2.join();
    });
  }
  SUBCASE("try_lock_for") {
    check_clean([] {
      weft::Mutex a("A");
      weft::Mutex b("B");
      weft::Thread t1([&] {
        std::lock_guard ga(a);
        if (b.try_lock_for(1s)) b.unlock();
      });
      weft::Thread t2([&] {
        std::lock_guard gb(b);
        std::lock_guard ga(a);
      });
      t1.join();
      t2.join();
    });
  }
  SUBCASE("try_lock_for in both orders") {
    check_clean([] {
      weft::Mutex a("A");
      weft::Mutex b("B");
      weft::Thread t1([&] {
        std::lock_guard ga(a);
        std::unique_lock gb(b, 1s);
      });
      weft::Thread t2([&] {
        std::lock_guard gb(b);
        std::unique_lock ga(a, 1s);
      });
      t1.join();
      t2.join();
    });
  }
}

namespace {
// The seed's deadlock prevention by timeouts (examples/lock_timeout.cpp).
void take_both(weft::Mutex& first, weft::Mutex& second, weft::Atomic<int>& done) {
  for (;;) {
    std::unique_lock a(first);
    weft::this_thread::sleep_for(100ms);
    std::unique_lock b(second, 2s);
    if (b.owns_lock()) {
      done.fetch_add(1);
      return;
    }
    a.unlock();
    weft::this_thread::sleep_for(50ms);
  }
}
}  // namespace

TEST_CASE("the_seeds_lock_timeout_back_off_is_clean") {
  check_clean(
      [] {
        weft::Mutex lock_a("lock_a");
        weft::Mutex lock_b("lock_b");
        weft::Atomic<int> done(0, "done");
        weft::Thread t1([&] { take_both(lock_a, lock_b, done); });
        weft::Thread t2([&] { take_both(lock_b, lock_a, done); });
        t1.join();
        t2.join();
        WEFT_ASSERT(done.load() == 2);
      },
      100);
}

// --- 6. Deduplication ------------------------------------------------------------------------

TEST_CASE("a_racy_loop_is_one_bug_per_pair_of_sites") {
  weft::Options o = with(Strategy::Random, 200);
  o.stop_on_first_bug = false;
  const weft::Report r = weft::explore(
      [] {
        weft::Shared<int> x(0, "x");
        auto writer = [&] {
          for (int i = 0; i < 20; ++i) x.store(i);
        };
        weft::Thread t1(writer);
        weft::Thread t2(writer);
        t1.join();
        t2.join();
      },
      o);
  CHECK(r.iterations == 200);
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  CHECK(r.bugs[0].kind == BugKind::DataRace);
  CHECK(r.bugs[0].iteration == 1);
}

// --- 7. Determinism --------------------------------------------------------------------------

namespace {
void racy_publication() {
  weft::Shared<int> data(0, "data");
  weft::Shared<bool> ready(false, "ready");
  weft::Thread writer([&] {
    data.store(42);
    ready.store(true);
  });
  weft::Thread reader([&] {
    if (ready.load()) (void)data.load();
  });
  writer.join();
  reader.join();
}
}  // namespace

TEST_CASE("the_same_options_give_the_same_race_report_and_replay_gives_the_same_race") {
  for (Strategy s : kAllStrategies) {
    CAPTURE(name_of(s));
    weft::Options o = with(s, 100);
    o.stop_on_first_bug = false;
    const weft::Report a = weft::explore(racy_publication, o);
    const weft::Report b = weft::explore(racy_publication, o);
    CHECK(a.found(BugKind::DataRace));
    CHECK(a.summary() == b.summary());
  }
  const weft::Report r = weft::explore(racy_publication);
  const weft::Bug race = bug_of(r, BugKind::DataRace);
  const weft::Report again = weft::replay(racy_publication, race.schedule);
  bool same = false;
  for (const weft::Bug& b : again.bugs)
    same |= b.kind == BugKind::DataRace && b.message == race.message;
  CHECK_MESSAGE(same, "replay gave: " << again.summary() << "\nexpected: " << race.message);
}

// --- 8. Options::checkers --------------------------------------------------------------------

TEST_CASE("checkers_false_turns_the_race_and_lock_order_checkers_off") {
  weft::Options off = with(Strategy::PCT, 200);
  off.checkers = false;
  const weft::Report r = weft::explore(unchecked_increments, off);
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(weft::explore(unchecked_increments, with(Strategy::PCT, 200)).found(BugKind::LostUpdate));
  CHECK(weft::explore(racy_publication, off).ok());
}

// --- Precision: false alarms and missed races found by these tests ---------------------------
// Each of the following failed at a99ded1 and was fixed in 65efe25 / 7d75a77; the comments say
// what was observed then.

// Missed DataRace. A wait that timed out was not woken by any notify, so it must not
// be ordered after a notify that found no waiter. Here the producer's notify comes first (no
// waiter: lost), the consumer's wait_for times out an hour later, and the consumer reads `data`
// with nothing ordering it after the producer's store (the producer never touches the mutex): a
// data race under the C++ memory model (condition variables give no happens-before by themselves)
// and by weft's own notify -> wake rule. Was: no bug in 300 schedules, because
// CondVar::end_wait joined the condition variable's clock on every return, timeouts included, so
// the lost notify's release reached the timed-out waiter.
TEST_CASE("a_timed_out_condvar_wait_is_not_ordered_after_a_lost_notify") {
  const weft::Report r =
      weft::explore([] { condvar_notify_handoff(true); }, with(Strategy::PCT, 300));
  CHECK_MESSAGE(r.found(BugKind::DataRace), r.summary());
}

// False LockOrderInversion. Locks that belong to one thread each can never be
// part of a deadlock between threads. The lock-order graph identified a lock across schedules by
// its name plus its creation rank among same-named locks; here both threads create an "a" and a
// "b", and which thread creates them first depends on the schedule. T1's a -> b from one
// schedule and T2's b -> a from another then land on the same two nodes and close a cycle
// ("T1 holds a ... and waits for b ...; T2 holds b ... and waits for a ..."), reported under
// every strategy although no lock is ever shared. The same happens to unnamed locks declared on
// one line (`Mutex@file:line`), e.g. a mutex member of objects that threads create.
TEST_CASE("locks_private_to_each_thread_never_form_an_inversion") {
  check_clean([] {
    auto work = [](bool reversed) {
      weft::Mutex a("a");
      weft::Mutex b("b");
      weft::Mutex& first = reversed ? b : a;
      weft::Mutex& second = reversed ? a : b;
      std::lock_guard g1(first);
      std::lock_guard g2(second);
    };
    weft::Thread t1(work, false);
    weft::Thread t2(work, true);
    t1.join();
    t2.join();
  });
}

// False LockOrderInversion. Only the one thread that wins the claim ever takes
// the locks, so in every execution a single thread makes both edges A -> B and B -> A, which the
// checker rightly ignores within one schedule ("one thread cannot deadlock with itself"). But
// which thread wins depends on the schedule, edges were kept across schedules with the name of
// the thread that made them, and T1's A -> B from one schedule plus T2's B -> A from another is
// taken for a two-thread cycle: reported (with "no witness") under every strategy.
TEST_CASE("a_cycle_made_by_a_single_thread_per_schedule_is_not_an_inversion") {
  check_clean([] {
    weft::Atomic<bool> claimed(false, "claimed");
    weft::Mutex a("A");
    weft::Mutex b("B");
    auto work = [&] {
      if (claimed.exchange(true)) return;
      {
        std::lock_guard ga(a);
        std::lock_guard gb(b);
      }
      {
        std::lock_guard gb(b);
        std::lock_guard ga(a);
      }
    };
    weft::Thread t1(work);
    weft::Thread t2(work);
    t1.join();
    t2.join();
  });
}

// Missed DataRace. An atomic load synchronises with the store it reads from (and
// the release sequence headed by it), not with every earlier store to the atomic. T1 writes
// `data` and stores flag=1; T2 later overwrites flag=2; T3 reads flag==2 (from T2) and then
// `data`: nothing orders T1's write before T3's read — a race under the C++ model with any
// memory order. The sleeps only make the order of the three deterministic (sleeping creates no
// happens-before: without the atomic, the same program is reported). Was: never reported,
// because Atomic<T> released into one clock per atomic that accumulates every store, so T3's
// load acquired T1's store too.
TEST_CASE("an_atomic_load_is_ordered_only_after_the_store_it_reads") {
  auto body = [](bool through_the_atomic) {
    weft::Shared<int> data(0, "data");
    weft::Atomic<int> flag(0, "flag");
    weft::Thread t1([&] {
      data.store(1);
      if (through_the_atomic) flag.store(1);
    });
    weft::Thread t2([&] {
      weft::this_thread::sleep_for(1s);
      if (through_the_atomic) flag.store(2);
    });
    weft::Thread t3([&] {
      weft::this_thread::sleep_for(2s);
      if (!through_the_atomic || flag.load() == 2) (void)data.load();
    });
    t1.join();
    t2.join();
    t3.join();
  };
  // The control: sleeping orders nothing, so without the atomic this is a race.
  REQUIRE(weft::explore([&] { body(false); }, with(Strategy::Random, 50)).found(BugKind::DataRace));
  for (Strategy s : kAllStrategies) {
    CAPTURE(name_of(s));
    const weft::Report r = weft::explore([&] { body(true); }, with(s, 200));
    CHECK_MESSAGE(r.found(BugKind::DataRace), r.summary());
  }
}

// Access site lost. `counter += 1` as the last statement of a lambda: at -O2 the
// compiler turns the call to Shared::operator+= into a tail call, so the return address that
// operator+= records as its call site is in the caller's caller (the std::function invoker, a
// library frame) and the site could not be recovered. Message was: "lost update of counter:
// T1 ((operator+=)) and T2 ((operator+=)) read-modify-write it ..." — no file:line, and the
// fallback "(operator+=)" is wrapped in a second pair of parentheses. The trace's load/store
// lines of `counter` have no location either.
TEST_CASE("the_site_of_a_tail_position_increment_is_its_source_line") {
  unsigned line = 0;
  const weft::Report r = weft::explore([&] {
    weft::Shared<int> counter(0, "counter");
    auto work = [&] { counter += 1; };
    line = __LINE__ - 1;
    weft::Thread t1(work);
    weft::Thread t2(work);
    t1.join();
    t2.join();
  });
  const weft::Bug b = bug_of(r, BugKind::LostUpdate);
  // The message names T1's site as "T1 (file:line)" or "T1 at file:line", by the shape of the
  // lost update the first schedule happens to run (it changed with the portfolio default).
  CHECK_MESSAGE((contains(b.message, "T1 (" + at_line(line) + ")") ||
                 contains(b.message, "T1 at " + at_line(line))),
                b.message);
  CHECK_MESSAGE(!contains(b.message, "(("), b.message);
}

// One lost update reported several times, partly as a DataRace. The seed's loop of
// increments: at -O2 the loop is unrolled and the last `counter += 1` becomes a tail call, so the
// same source line yielded several access sites, and with them two or three bugs: a DataRace
// "T2 reads 0 at (operator+=) and T1 writes 1 at (operator+=)" next to the LostUpdate (or, when
// one call's site resolved: LostUpdate (N, N), a DataRace between N and "(operator+=)", and a
// second LostUpdate between the "(operator+=)" sites).
TEST_CASE("increments_in_a_loop_are_one_lost_update") {
  weft::Options o = with(Strategy::Random, 200);
  o.stop_on_first_bug = false;
  const weft::Report r = weft::explore(
      [] {
        weft::Shared<int> counter(0, "counter");
        auto work = [&] {
          for (int i = 0; i < 2; ++i) counter += 1;
        };
        weft::Thread t1(work);
        weft::Thread t2(work);
        t1.join();
        t2.join();
      },
      o);
  CHECK_MESSAGE(r.bugs.size() == 1, r.summary());
  CHECK(r.found(BugKind::LostUpdate));
  CHECK_MESSAGE(!r.found(BugKind::DataRace), r.summary());
}

// A lost update also reported as a DataRace. Two threads increment at two
// different sites. In a schedule T1 load, T2 load, T1 store, T2 store the checker first records
// the read/write race with first = T2's read and second = T1's write, then the lost update with
// first = T1's write and second = T2's write. A plain race was upgraded to a lost update only
// when the pair of sites matched *in the same order*, so (site2, site1) stays a DataRace next to
// the LostUpdate (site1, site2) although both describe the same lost increment (the bug keys
// even sort the two sites). Was: "data race on counter: T2 reads 0 at test_checkers.cpp:B
// and T1 writes 1 at test_checkers.cpp:A" plus "lost update of counter: T2 wrote counter=1 over
// T1's write of 1; both read 0". With one shared lambda (one site) it does not show; the seed's
// own form (two lambdas, `counter += 1` as their last statement) escapes it at a99ded1 only
// because both tail-called sites are unresolved and collapse into one.
TEST_CASE("increments_at_two_sites_are_a_lost_update_and_not_also_a_data_race") {
  weft::Options o = with(Strategy::Random, 200);
  o.stop_on_first_bug = false;
  SUBCASE("load then store, at two lines") {
    const weft::Report r = weft::explore(
        [] {
          weft::Shared<int> counter(0, "counter");
          weft::Thread t1([&] { counter.store(counter.load() + 1); });
          weft::Thread t2([&] { counter.store(counter.load() + 1); });
          t1.join();
          t2.join();
        },
        o);
    CHECK(r.found(BugKind::LostUpdate));
    CHECK_MESSAGE(!r.found(BugKind::DataRace), r.summary());
    CHECK_MESSAGE(r.bugs.size() == 1, r.summary());
  }
  SUBCASE("the seed's counter += 1, every schedule") {
    const weft::Report r = weft::explore(unchecked_increments, o);
    CHECK(r.found(BugKind::LostUpdate));
    CHECK_MESSAGE(!r.found(BugKind::DataRace), r.summary());
    CHECK_MESSAGE(r.bugs.size() == 1, r.summary());
  }
}

TEST_SUITE_END();
