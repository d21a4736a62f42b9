// Strategy::DFS with dynamic partial-order reduction: it runs one schedule per Mazurkiewicz
// trace (up to a little redundancy), still sees every outcome and finds the bugs plain DFS
// finds, and keeps every value of a choice.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "helpers.hpp"

TEST_SUITE_BEGIN("runtime/dpor");

using namespace weft_test;
using weft::BugKind;
using weft::Strategy;
using namespace std::chrono_literals;

namespace {

// Without the checkers, so that no probe run (SharedPoints::Racy's, which schedule at random)
// adds to what a test sees the body do.
weft::Options dfs(std::uint64_t iterations = 100000) {
  return strategy_only(Strategy::DFS, iterations);
}

// Exhausted, in at least `classes` schedules (one per trace) and at most 1.5 times as many.
void check_count(const weft::Report& r, std::uint64_t classes) {
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(r.iterations >= classes);
  CHECK(r.iterations * 2 <= classes * 3);
}

// T threads, each `ops` fetch_adds on an Atomic<int> of its own.
void disjoint(int threads, int ops) {
  std::vector<std::unique_ptr<weft::Atomic<int>>> cells;
  for (int t = 0; t < threads; ++t) cells.push_back(std::make_unique<weft::Atomic<int>>(0));
  std::vector<weft::Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&cells, t, ops] {
      for (int i = 0; i < ops; ++i) cells[static_cast<std::size_t>(t)]->fetch_add(1);
    });
  }
  for (auto& w : workers) w.join();
  for (auto& c : cells) WEFT_ASSERT(c->load() == ops);
}

std::set<std::vector<int>> seen;

// `writers` threads store 1, 2, ... into one Atomic<int>; `readers` threads load it once. Seen:
// what each reader read, then the final value.
void writers_readers(int writers, int readers) {
  weft::Atomic<int> x(0, "x");
  std::vector<int> read(static_cast<std::size_t>(readers), -1);
  std::vector<weft::Thread> workers;
  for (int w = 0; w < writers; ++w) workers.emplace_back([&x, w] { x.store(w + 1); });
  for (int r = 0; r < readers; ++r) {
    workers.emplace_back([&x, &read, r] { read[static_cast<std::size_t>(r)] = x.load(); });
  }
  for (auto& w : workers) w.join();
  read.push_back(x.load());
  seen.insert(read);
}

// Three threads, one locked section each on one Mutex; seen: the order they entered in.
void three_sections() {
  weft::Mutex m("m");
  weft::Shared<int> counter(0, "counter");
  std::vector<int> order;
  std::vector<weft::Thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      std::lock_guard g(m);
      order.push_back(t);
      counter += 1;
    });
  }
  for (auto& w : workers) w.join();
  WEFT_ASSERT(counter.load() == 3);
  seen.insert(order);
}

std::uint64_t factorial(std::uint64_t n) { return n <= 1 ? 1 : n * factorial(n - 1); }

}  // namespace

TEST_CASE("dpor_disjoint_threads_need_one_schedule") {
  const weft::Report r = weft::explore([] { disjoint(3, 4); }, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(r.iterations == 1);
  // However many threads and operations: nothing to reorder.
  const weft::Report big = weft::explore([] { disjoint(6, 50); }, dfs());
  CHECK(big.exhausted);
  CHECK(big.iterations == 1);
}

TEST_CASE("dpor_one_writer_and_n_readers_need_two_to_the_n") {
  for (int n = 2; n <= 4; ++n) {
    CAPTURE(n);
    seen.clear();
    const weft::Report r = weft::explore([n] { writers_readers(1, n); }, dfs());
    check_count(r, std::uint64_t{1} << n);
    // Each reader reads before or after the write, in every combination.
    CHECK(seen.size() == (std::size_t{1} << n));
  }
}

TEST_CASE("dpor_two_writers_and_a_reader_need_six") {
  seen.clear();
  const weft::Report r = weft::explore([] { writers_readers(2, 1); }, dfs());
  check_count(r, 6);
  // The read before, between and after the two stores, in both orders of the stores.
  CHECK(seen == std::set<std::vector<int>>{{0, 1}, {0, 2}, {1, 2}, {2, 1}, {1, 1}, {2, 2}});
}

TEST_CASE("dpor_three_locked_sections_need_three_factorial") {
  // With the checkers on: the counter is not racy, so its accesses are no points; with
  // SharedPoints::All (no probe runs) they are.
  for (const weft::SharedPoints points : {weft::SharedPoints::Racy, weft::SharedPoints::All}) {
    CAPTURE(static_cast<int>(points));
    seen.clear();
    weft::Options o = with(Strategy::DFS, 100000);
    o.shared_points = points;
    const weft::Report r = weft::explore(three_sections, o);
    check_count(r, factorial(3));
    if (points == weft::SharedPoints::All) CHECK(seen.size() == factorial(3));
  }
  seen.clear();
  check_count(weft::explore(three_sections, dfs()), factorial(3));
  CHECK(seen.size() == factorial(3));
}

TEST_CASE("dpor_locked_counter_needs_one_schedule_per_order_of_its_sections") {
  // 2 threads x 2 sections: C(4, 2) orders; 3 x 3: 9! / (3!)^3. The Shared<int> accesses inside
  // the sections add nothing, whether they are scheduling points or not.
  for (const weft::SharedPoints points : {weft::SharedPoints::Racy, weft::SharedPoints::All}) {
    weft::Options o = with(Strategy::DFS, 100000);
    o.shared_points = points;
    check_count(weft::explore([] { locked_counter(2, 2); }, o), 6);
    check_count(weft::explore([] { locked_counter(3, 3); }, o), 1680);
  }
}

TEST_CASE("dfs_still_finds_the_lost_update") {
  const weft::Report r = weft::explore([] { lost_update(2, 1); }, strategy_only(Strategy::DFS));
  REQUIRE(r.bugs.size() == 1);
  CHECK(r.bugs[0].kind == BugKind::AssertionFailure);
  // The schedule replays the bug.
  const weft::Report again = weft::replay([] { lost_update(2, 1); }, r.bugs[0].schedule);
  CHECK(again.found(BugKind::AssertionFailure));
  // With the checkers on, the race itself is found too.
  weft::Options o = with(Strategy::DFS, 100000);
  o.stop_on_first_bug = false;
  const weft::Report all = weft::explore([] { lost_update(2, 1); }, o);
  CHECK(all.found(BugKind::LostUpdate));
  CHECK(all.found(BugKind::AssertionFailure));
}

TEST_CASE("dfs_still_finds_an_abba_deadlock") {
  const weft::Report r = weft::explore(abba, strategy_only(Strategy::DFS));
  REQUIRE(r.bugs.size() == 1);
  CHECK(r.bugs[0].kind == BugKind::Deadlock);
  CHECK(weft::replay(abba, r.bugs[0].schedule).found(BugKind::Deadlock));
}

TEST_CASE("dfs_still_finds_an_atomicity_violation_between_locked_sections") {
  // Check, then act, in two sections: both threads can pass the check before either withdraws.
  auto body = [] {
    weft::Mutex m("m");
    weft::Shared<int> balance(100, "balance");
    auto withdraw = [&] {
      bool enough = false;
      {
        std::lock_guard g(m);
        enough = balance.load() >= 80;
      }
      if (enough) {
        std::lock_guard g(m);
        balance -= 80;
      }
    };
    weft::Thread a(withdraw);
    weft::Thread b(withdraw);
    a.join();
    b.join();
    WEFT_ASSERT(balance.load() >= 0);
  };
  const weft::Report r = weft::explore(body, dfs());
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  CHECK(r.bugs[0].kind == BugKind::AssertionFailure);
}

TEST_CASE("dfs_still_finds_an_assertion_that_needs_one_interleaving_of_atomics") {
  // Fails only when t3 sees t2's y, which t2 stored after seeing t1's x, and yet not t1's z,
  // stored right after x: t1 must be preempted between its two stores.
  auto body = [] {
    weft::Atomic<int> x(0, "x"), y(0, "y"), z(0, "z");
    weft::Thread t1([&] {
      x.store(1);
      z.store(1);
    });
    weft::Thread t2([&] {
      if (x.load() == 1) y.store(1);
    });
    weft::Thread t3([&] {
      if (y.load() == 1) WEFT_ASSERT(z.load() == 1);
    });
    t1.join();
    t2.join();
    t3.join();
  };
  const weft::Report r = weft::explore(body, dfs());
  REQUIRE_MESSAGE(r.bugs.size() == 1, r.summary());
  CHECK(r.bugs[0].kind == BugKind::AssertionFailure);
  CHECK(weft::replay(body, r.bugs[0].schedule).found(BugKind::AssertionFailure));
}

TEST_CASE("dfs_exhausts_a_correct_program_without_a_bug") {
  // The checkers too find nothing.
  const weft::Report r = weft::explore([] { locked_counter(3, 2); }, with(Strategy::DFS, 100000));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(r.iterations == 90);  // 6! / (2!)^3 orders of the six sections
}

TEST_CASE("dfs_explores_every_value_of_a_choice") {
  // Which waiter a notify_one wakes is a choice: both are explored, with every order of the
  // waiters' arrival.
  seen.clear();
  auto body = [] {
    weft::Mutex m("m");
    weft::CondVar cv("cv");
    int waiting = 0;
    int first = -1;
    std::vector<weft::Thread> waiters;
    for (int t = 0; t < 2; ++t) {
      waiters.emplace_back([&, t] {
        std::unique_lock l(m);
        ++waiting;
        cv.wait(l);
        if (first < 0) first = t;
        cv.notify_one();
      });
    }
    weft::Thread notifier([&] {
      for (;;) {
        std::unique_lock l(m);
        if (waiting == 2) break;
        l.unlock();
        weft::this_thread::yield();
      }
      std::lock_guard g(m);
      cv.notify_one();
    });
    for (auto& w : waiters) w.join();
    notifier.join();
    seen.insert({first});
  };
  const weft::Report r = weft::explore(body, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(seen == std::set<std::vector<int>>{{0}, {1}});

  // Spurious wake-ups are a choice at each wait: the `if` instead of `while` is found.
  weft::Options o = dfs();
  o.spurious_wakeups = true;
  const weft::Report spurious = weft::explore([] { condvar_consumer(false); }, o);
  CHECK(spurious.found(BugKind::AssertionFailure));
}

TEST_CASE("dfs_sees_every_outcome_of_timeouts_and_waits") {
  // An Event's wait notes the sets so far when it begins: a wait that begins after the set
  // and the clear times out, one that began before them does not.
  seen.clear();
  auto events = [] {
    weft::Event ev("ev");
    int early = -1, late = -1;
    weft::Thread a([&] { late = ev.wait_for(10ms) ? 1 : 0; });
    weft::Thread b([&] {
      early = ev.wait_for(10ms) ? 1 : 0;
      ev.clear();
    });
    weft::Thread c([&] { ev.set(); });
    a.join();
    b.join();
    c.join();
    seen.insert({early, late});
  };
  const weft::Report r = weft::explore(events, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(seen.count({1, 0}) == 1);
  CHECK(seen.count({1, 1}) == 1);

  // A timed condition-variable wait either times out or is notified, depending on whether the
  // notifier's section comes first; a yield in the notifier must not hide either.
  seen.clear();
  auto condvar = [] {
    weft::Mutex m("m");
    weft::CondVar cv("cv");
    int woken = -1;
    weft::Thread waiter([&] {
      std::unique_lock l(m);
      woken = cv.wait_for(l, 5ms) ? 1 : 0;
    });
    weft::Thread notifier([&] {
      weft::this_thread::yield();
      std::lock_guard g(m);
      cv.notify_one();
    });
    waiter.join();
    notifier.join();
    seen.insert({woken});
  };
  const weft::Report c = weft::explore(condvar, dfs());
  CHECK_MESSAGE(c.ok(), c.summary());
  CHECK(c.exhausted);
  CHECK(seen == std::set<std::vector<int>>{{0}, {1}});
}

TEST_CASE("dfs_sees_past_a_reentered_recursive_mutex") {
  // Re-entering the mutex is invisible to T1: its section must still be tried before main's.
  seen.clear();
  auto body = [] {
    weft::RecursiveMutex rm("rm");
    weft::Atomic<int> a(0, "a");
    weft::Thread t([&] {
      {
        std::lock_guard outer(rm);
        std::lock_guard inner(rm);
      }
      a.fetch_add(1);
    });
    int read = -1;
    {
      std::lock_guard outer(rm);
      std::lock_guard inner(rm);
      read = a.load();
    }
    t.join();
    seen.insert({read});
  };
  const weft::Report r = weft::explore(body, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(seen == std::set<std::vector<int>>{{0}, {1}});
}

TEST_CASE("dfs_tries_every_order_of_timeouts_at_one_instant") {
  // Both sleeps end at 1 ms: which thread goes on first is a decision of its own.
  seen.clear();
  auto body = [] {
    weft::Semaphore sem(0, "sem");
    int got = -1;
    weft::Thread a([&] {
      weft::this_thread::sleep_for(1ms);
      got = sem.try_acquire() ? 1 : 0;
    });
    weft::Thread b([&] {
      weft::this_thread::sleep_for(1ms);
      sem.release();
    });
    a.join();
    b.join();
    seen.insert({got});
  };
  const weft::Report r = weft::explore(body, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(seen == std::set<std::vector<int>>{{0}, {1}});
}

TEST_CASE("dfs_lets_a_yield_be_answered_by_a_step_that_touches_nothing") {
  // T2 yields first thing; the thread that goes first meanwhile may be T1 just starting, so
  // T2 can see the event before anyone sets it.
  seen.clear();
  auto body = [] {
    weft::Event ev("ev");
    int was_set = -1;
    weft::Thread t1([&] { ev.set(); });
    weft::Thread t2([&] {
      weft::this_thread::yield();
      was_set = ev.is_set() ? 1 : 0;
    });
    ev.set();
    t1.join();
    t2.join();
    seen.insert({was_set});
  };
  const weft::Report r = weft::explore(body, dfs());
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(r.exhausted);
  CHECK(seen == std::set<std::vector<int>>{{0}, {1}});
}

TEST_CASE("dfs_preemption_bound_deepens_iteratively") {
  weft::Options o = strategy_only(Strategy::DFS, 100000);
  o.preemption_bound = 0;
  const weft::Report none = weft::explore([] { lost_update(2, 1); }, o);
  CHECK(none.ok());
  CHECK(none.exhausted);
  o.preemption_bound = 1;
  const weft::Report one = weft::explore([] { lost_update(2, 1); }, o);
  REQUIRE(one.found(BugKind::AssertionFailure));
  // A larger bound explores within 0, then 1 preemptions first: the same bug, at the same
  // schedule, as with the bound at 1.
  o.preemption_bound = 3;
  const weft::Report three = weft::explore([] { lost_update(2, 1); }, o);
  REQUIRE(three.found(BugKind::AssertionFailure));
  CHECK(three.bugs[0].iteration == one.bugs[0].iteration);
  CHECK(three.bugs[0].schedule.to_string() == one.bugs[0].schedule.to_string());
  // The clear must come between T2's set and its wait: one preemption.
  auto lost_set = [] {
    weft::Event ev("ev");
    weft::Thread t1([&] { ev.clear(); });
    weft::Thread t2([&] {
      ev.set();
      ev.wait();
    });
    t1.join();
    t2.join();
  };
  o.preemption_bound = 0;
  const weft::Report zero = weft::explore(lost_set, o);
  CHECK(zero.ok());
  CHECK(zero.exhausted);
  o.preemption_bound = 1;
  CHECK(weft::explore(lost_set, o).found(BugKind::Deadlock));
  // A correct program is exhausted within the bound, each round of the deepening included.
  o.preemption_bound = 2;
  const weft::Report clean = weft::explore([] { locked_counter(2, 2); }, o);
  CHECK(clean.ok());
  CHECK(clean.exhausted);
}

TEST_CASE("dfs_reports_are_deterministic") {
  weft::Options o = dfs();
  o.stop_on_first_bug = false;
  auto body = [] { lost_update(3, 1); };
  const weft::Report a = weft::explore(body, o);
  const weft::Report b = weft::explore(body, o);
  CHECK(a.summary() == b.summary());
  CHECK(a.iterations == b.iterations);
  CHECK(a.last.to_string() == b.last.to_string());
}

TEST_SUITE_END();
