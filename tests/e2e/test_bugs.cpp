#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "helpers.hpp"

TEST_SUITE_BEGIN("e2e/bugs");

using namespace weft_test;
using weft::BugKind;
using weft::Strategy;

namespace {
weft::Bug bug_of(const weft::Report& r, BugKind kind) {
  for (const weft::Bug& b : r.bugs) {
    if (b.kind == kind) return b;
  }
  FAIL("no " << to_string(kind) << " in: " << r.summary());
  return {};
}
}  // namespace

TEST_CASE("abba_deadlock_is_found_with_the_wait_for_cycle") {
  const weft::Report r = weft::explore(abba);
  CHECK(r.found(BugKind::LockOrderInversion));  // the lock-order graph sees it too
  const weft::Bug b = bug_of(r, BugKind::Deadlock);
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "cycle of 2 threads"));
  CHECK(contains(b.message, "waits for Mutex lock_b held by"));
  CHECK(contains(b.message, "waits for Mutex lock_a held by"));
  CHECK(contains(b.message, "helpers.hpp:"));  // the blocked lock's source line
  CHECK(contains(b.trace, "wait-for graph"));
  CHECK(contains(b.trace, "(blocks: held by"));
}

TEST_CASE("deadlock_report_follows_the_lock_holder_chain") {
  // T1 holds m and waits to join T2; T2 waits for m: a cycle through a join.
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Mutex m("m");
        weft::Thread t1([&] {
          std::lock_guard g(m);
          weft::Thread t2([&] { std::lock_guard g2(m); });
          t2.join();
        });
        t1.join();
      },
      with(Strategy::Random, 10)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "waits to join T2"));
  CHECK(contains(b.message, "T2 waits for Mutex m held by T1"));
}

TEST_CASE("lost_wakeup_is_found_as_a_deadlock") {
  const weft::Bug b = only_bug(weft::explore(
      [] {
        weft::Mutex m("m");
        weft::CondVar cv("cv");
        weft::Thread notifier([&] { cv.notify_one(); });
        {
          std::unique_lock lock(m);
          cv.wait(lock);  // no predicate: if the notify came first, this waits forever
        }
        notifier.join();
      },
      with(Strategy::PCT)));
  CHECK(b.kind == BugKind::Deadlock);
  CHECK(contains(b.message, "CondVar cv"));
}

TEST_CASE("assertion_failure_carries_its_message_and_line") {
  const weft::Bug b = only_bug(weft::explore([] { WEFT_ASSERT_MSG(1 + 1 == 3, "arithmetic"); }));
  CHECK(b.kind == BugKind::AssertionFailure);
  CHECK(contains(b.message, "assertion failed: 1 + 1 == 3 (arithmetic) at test_bugs.cpp:"));
}

TEST_CASE("exceptions_escaping_threads_are_uncaught_exception_bugs") {
  SUBCASE("from a child thread") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Thread t([] { throw std::runtime_error("disk on fire"); });
      t.join();
    }));
    CHECK(b.kind == BugKind::UncaughtException);
    CHECK(contains(b.message, "in thread T1: std::runtime_error: disk on fire"));
  }
  SUBCASE("from the body") {
    const weft::Bug b = only_bug(weft::explore([] { throw 42; }));
    CHECK(b.kind == BugKind::UncaughtException);
    CHECK(contains(b.message, "in thread main: int"));
  }
  SUBCASE("caught exceptions are fine") {
    CHECK(weft::explore([] {
            weft::Thread t([] {
              try {
                throw std::logic_error("handled");
              } catch (const std::exception&) {
              }
            });
            t.join();
          }).ok());
  }
}

TEST_CASE("misuse_is_reported") {
  SUBCASE("unlock by a thread that does not own the mutex") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Mutex m("m");
      m.lock();
      weft::Thread t([&] { m.unlock(); });
      t.join();
      m.unlock();
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "T1 unlocks m, which is held by main"));
  }
  SUBCASE("double unlock") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Mutex m("m");
      m.lock();
      m.unlock();
      m.unlock();
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "twice (double unlock)"));
  }
  SUBCASE("unlock of a mutex never locked") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Mutex m("m");
      m.unlock();
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "which is not locked"));
  }
  SUBCASE("re-locking a non-recursive mutex") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Mutex m("m");
      m.lock();
      m.lock();
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "which it already holds"));
  }
  SUBCASE("a thread destroyed while joinable names where it was started") {
    static unsigned started_at = 0;
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Atomic<int> x(0);
      {
        started_at = __LINE__ + 1;
        weft::Thread t([&] { x.store(1); });
      }
      x.store(2);
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK_MESSAGE(
        contains(b.message, "Thread T1, started at test_bugs.cpp:" + std::to_string(started_at) +
                                " (operator()), was destroyed while joinable"),
        b.message);
  }
  SUBCASE("the same for a thread started with arguments (no Location: found from its call)") {
    static unsigned started_at = 0;
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Atomic<int> x(0);
      {
        started_at = __LINE__ + 1;
        weft::Thread t([&](int v) { x.store(v); }, 1);
      }
      x.store(2);
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK_MESSAGE(
        contains(b.message, "Thread T1, started at test_bugs.cpp:" + std::to_string(started_at) +
                                ", was destroyed while joinable"),
        b.message);
  }
  SUBCASE("joining twice") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::Thread t([] {});
      t.join();
      t.join();
    }));
    CHECK(b.kind == BugKind::Misuse);
    CHECK(contains(b.message, "not joinable"));
  }
  SUBCASE("recursive mutex unlocked more often than locked") {
    const weft::Bug b = only_bug(weft::explore([] {
      weft::RecursiveMutex m("r");
      m.lock();
      m.lock();
      m.unlock();
      m.unlock();
      m.unlock();
    }));
    CHECK(b.kind == BugKind::Misuse);
  }
}

TEST_CASE("abandoned_schedules_unwind_every_thread") {
  // Every object constructed in a deadlocking or failing schedule is destroyed again.
  static int alive = 0;
  struct Tracked {
    Tracked() { ++alive; }
    ~Tracked() { --alive; }
  };
  alive = 0;
  const weft::Report r = weft::explore(
      [] {
        Tracked in_main;
        auto owned = std::make_unique<Tracked>();
        weft::Mutex a("a"), b("b");
        weft::Thread t1([&] {
          Tracked in_t1;
          std::lock_guard ga(a);
          std::lock_guard gb(b);
        });
        weft::Thread t2([&, p = std::make_unique<Tracked>()] {
          Tracked in_t2;
          std::lock_guard gb(b);
          std::lock_guard ga(a);
        });
        t1.join();
        t2.join();
      },
      with(Strategy::Random, 300));
  CHECK(r.found(BugKind::Deadlock));
  CHECK(alive == 0);
}

TEST_CASE("a_user_catch_all_that_rethrows_does_not_break_unwinding") {
  static int alive = 0;
  struct Tracked {
    Tracked() { ++alive; }
    ~Tracked() { --alive; }
  };
  alive = 0;
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m("m");
        weft::Thread t([&] {
          Tracked x;
          try {
            m.lock();
            m.lock();  // Misuse: the schedule is abandoned inside this try block
          } catch (...) {
            throw;
          }
        });
        t.join();
      },
      with(Strategy::Random, 5));
  CHECK(r.found(BugKind::Misuse));
  CHECK(alive == 0);
}

namespace {

int swallowing_alive = 0;
struct SwallowTracked {
  SwallowTracked() { ++swallowing_alive; }
  ~SwallowTracked() { --swallowing_alive; }
};

// T1 takes a then b inside a try whose catch (...) swallows everything; T2 takes b then a. When
// they deadlock, T1 swallows its unwinding and goes on with `after_catch`.
weft::Report swallowing_abba(void (*after_catch)(weft::Mutex& c, weft::Atomic<bool>& never)) {
  return weft::explore(
      [after_catch] {
        weft::Mutex a("a"), b("b"), c("c");
        weft::Atomic<bool> never(false);
        weft::Thread t1([&] {
          bool swallowed = false;
          try {
            std::lock_guard ga(a);
            std::lock_guard gb(b);
          } catch (...) {
            swallowed = true;
          }
          SwallowTracked x;
          if (swallowed) after_catch(c, never);
        });
        weft::Thread t2([&] {
          std::lock_guard gb(b);
          std::lock_guard ga(a);
        });
        t1.join();
        t2.join();
      },
      with(Strategy::Random, 300));
}

}  // namespace

// A catch (...) that does not rethrow swallows the exception that unwinds an abandoned thread
// (GUIDE §9 asks to rethrow it). The thread then goes on; its next scheduling point throws it
// again, and a thread that runs to its end is ended all the same: no crash, nothing leaked,
// the bugs reported as without the catch.
TEST_CASE("a_user_catch_all_that_swallows_the_unwinding_still_ends_the_thread") {
  swallowing_alive = 0;
  SUBCASE("the thread returns after the catch") {
    const weft::Report r = swallowing_abba([](weft::Mutex&, weft::Atomic<bool>&) {});
    CHECK(r.found(BugKind::LockOrderInversion));
    CHECK(r.found(BugKind::Deadlock));
  }
  SUBCASE("the thread keeps calling weft after the catch") {
    const weft::Report r = swallowing_abba([](weft::Mutex&, weft::Atomic<bool>& never) {
      while (!never.load()) weft::this_thread::yield();
    });
    CHECK(r.found(BugKind::Deadlock));
  }
  SUBCASE("the thread keeps locking after the catch") {
    const weft::Report r = swallowing_abba([](weft::Mutex& c, weft::Atomic<bool>&) {
      for (;;) std::lock_guard gc(c);
    });
    CHECK(r.found(BugKind::Deadlock));
  }
  CHECK(swallowing_alive == 0);
}

TEST_CASE("objects_cannot_cross_modes") {
  SUBCASE("created outside, used inside") {
    weft::Mutex outside;
    const weft::Bug b = only_bug(weft::explore([&] { outside.lock(); }));
    CHECK(b.kind == BugKind::UncaughtException);
    CHECK(contains(b.message, "weft::UsageError"));
    CHECK(contains(b.message, "was created outside it"));
  }
  SUBCASE("created inside, used outside") {
    static std::unique_ptr<weft::Shared<int>> escaped;
    (void)weft::explore([] { escaped = std::make_unique<weft::Shared<int>>(1); },
                        with(Strategy::Random, 1));
    CHECK_THROWS_AS(escaped->load(), weft::UsageError);
    escaped.reset();
  }
}

TEST_CASE("traces_name_user_source_lines_through_std_lock_guard") {
  const weft::Bug b = bug_of(weft::explore(abba), BugKind::Deadlock);
  CHECK(contains(b.trace, "lock lock_a"));
  CHECK(contains(b.trace, "helpers.hpp:"));
  CHECK(!contains(b.trace, "std_mutex.h"));
}

TEST_SUITE_END();
