// Model-mode semantics of the core types: correct programs stay clean, and each operation does
// what its production twin does.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "helpers.hpp"

TEST_SUITE_BEGIN("instrument/primitives");

using namespace weft_test;
using namespace std::chrono_literals;
using weft::BugKind;
using weft::Strategy;

TEST_CASE("mutex_enforces_mutual_exclusion_in_every_schedule") {
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m;
        weft::Atomic<int> inside(0);
        auto worker = [&] {
          for (int i = 0; i < 2; ++i) {
            std::lock_guard g(m);
            WEFT_ASSERT(inside.fetch_add(1) == 0);
            weft::this_thread::yield();
            inside.fetch_sub(1);
          }
        };
        weft::Thread a(worker), b(worker), c(worker);
        a.join();
        b.join();
        c.join();
      },
      with(Strategy::POS, 2000));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("handoff_through_mutex_and_condvar_is_clean_thousands_of_times") {
  for (Strategy s : {Strategy::Random, Strategy::PCT, Strategy::POS}) {
    const weft::Report r = weft::explore(
        [] {
          weft::Mutex m;
          weft::CondVar cv;
          std::optional<int> slot;
          int sum = 0;
          weft::Thread producer([&] {
            for (int i = 1; i <= 3; ++i) {
              std::unique_lock lock(m);
              cv.wait(lock, [&] { return !slot; });
              slot = i;
              cv.notify_all();
            }
          });
          weft::Thread consumer([&] {
            for (int i = 1; i <= 3; ++i) {
              std::unique_lock lock(m);
              cv.wait(lock, [&] { return slot.has_value(); });
              WEFT_ASSERT(*slot == i);
              sum += *slot;
              slot.reset();
              cv.notify_all();
            }
          });
          producer.join();
          consumer.join();
          WEFT_ASSERT(sum == 6);
        },
        with(s, 2000));
    CHECK_MESSAGE(r.ok(), r.summary());
  }
}

TEST_CASE("atomic_read_modify_writes_never_lose_updates") {
  const weft::Report r = weft::explore(
      [] {
        weft::Atomic<int> n(0);
        auto inc = [&] {
          for (int i = 0; i < 3; ++i) n.fetch_add(1, std::memory_order_relaxed);
        };
        weft::Thread a(inc), b(inc);
        a.join();
        b.join();
        WEFT_ASSERT(n.load() == 6);
        int expected = 6;
        WEFT_ASSERT(n.compare_exchange_strong(expected, 10));
        WEFT_ASSERT(!n.compare_exchange_weak(expected, 11) && expected == 10);
        WEFT_ASSERT(n.exchange(3) == 10 && n.fetch_sub(1) == 3 && n.load() == 2);
      },
      with(Strategy::PCT, 500));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("recursive_mutex_allows_reentry_and_excludes_others") {
  const weft::Report r = weft::explore(
      [] {
        weft::RecursiveMutex m;
        weft::Shared<int> x(0);
        auto work = [&] {
          std::lock_guard outer(m);
          std::lock_guard inner(m);  // Python RLock: no deadlock
          x.store(x.load() + 1);
        };
        weft::Thread a(work), b(work);
        a.join();
        b.join();
        WEFT_ASSERT(x.load() == 2);
      },
      with(Strategy::Random, 500));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("try_lock_fails_while_held_and_succeeds_when_free") {
  const weft::Report r = weft::explore([] {
    weft::Mutex m;
    WEFT_ASSERT(m.try_lock());
    weft::Thread t([&] { WEFT_ASSERT(!m.try_lock()); });
    t.join();
    m.unlock();
    std::unique_lock lock(m, std::try_to_lock);
    WEFT_ASSERT(lock.owns_lock());
  });
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("try_lock_for_times_out_in_virtual_time") {
  const auto start = std::chrono::steady_clock::now();
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m;
        weft::Thread holder([&] {
          std::lock_guard g(m);
          weft::this_thread::sleep_for(1h);
        });
        weft::this_thread::sleep_for(1s);
        const auto t0 = weft::Clock::now();
        const bool got = m.try_lock_for(10s);
        if (got) {
          m.unlock();  // the holder had not taken it yet, or was done
        } else {
          WEFT_ASSERT(weft::Clock::now() - t0 == 10s);
        }
        holder.join();
      },
      with(Strategy::Random, 200));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("an_hour_of_sleep_costs_no_wall_time") {
  const auto start = std::chrono::steady_clock::now();
  const weft::Report r = weft::explore(
      [] {
        const auto t0 = weft::Clock::now();
        weft::Thread t([] { weft::this_thread::sleep_for(30min); });
        weft::this_thread::sleep_for(1h);
        t.join();
        WEFT_ASSERT(weft::Clock::now() - t0 == 1h);
      },
      with(Strategy::PCT, 100));
  CHECK_MESSAGE(r.ok(), r.summary());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("condvar_wait_for_returns_false_on_timeout") {
  const weft::Report r = weft::explore([] {
    weft::Mutex m;
    weft::CondVar cv;
    std::unique_lock lock(m);
    const auto t0 = weft::Clock::now();
    WEFT_ASSERT(!cv.wait_for(lock, 250ms));
    WEFT_ASSERT(weft::Clock::now() - t0 == 250ms);
    WEFT_ASSERT(!cv.wait_for(lock, 1s, [] { return false; }));
    WEFT_ASSERT(lock.owns_lock());
  });
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("condvar_notify_wakes_a_timed_waiter_before_its_deadline") {
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex m;
        weft::CondVar cv;
        bool ready = false;
        weft::Thread t([&] {
          std::lock_guard g(m);
          ready = true;
          cv.notify_one();
        });
        {
          std::unique_lock lock(m);
          const bool ok = cv.wait_for(lock, 1h, [&] { return ready; });
          WEFT_ASSERT(ok);
          WEFT_ASSERT(weft::Clock::now().time_since_epoch() < 1h);
        }
        t.join();
      },
      with(Strategy::Random, 500));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("threads_take_arguments_and_move_only_callables") {
  const weft::Report r = weft::explore([] {
    weft::Shared<int> out(0);
    auto p = std::make_unique<int>(41);
    weft::Thread t([q = std::move(p), &out] { out.store(*q + 1); });
    t.join();
    WEFT_ASSERT(out.load() == 42);
    weft::Thread u([&out](int a, std::unique_ptr<int> b) { out.store(a + *b); }, 1,
                   std::make_unique<int>(2));
    u.join();
    WEFT_ASSERT(out.load() == 3);
    weft::Thread moved = std::move(u);
    WEFT_ASSERT(!moved.joinable());
    weft::Thread d([] {});
    d.detach();
    WEFT_ASSERT(!d.joinable());
  });
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("scoped_lock_and_unique_lock_work_with_weft_mutexes") {
  const weft::Report r = weft::explore(
      [] {
        weft::Mutex a, b;
        weft::Shared<int> x(0);
        weft::Thread t([&] {
          std::scoped_lock both(a, b);  // deadlock-free multi-lock
          x += 1;
        });
        {
          std::scoped_lock both(b, a);
          x += 1;
        }
        {
          std::scoped_lock one(a);
          std::unique_lock deferred(b, std::defer_lock);
          deferred.lock();
          WEFT_ASSERT(deferred.owns_lock());
          deferred.unlock();
        }
        t.join();
        WEFT_ASSERT(x.load() == 2);
      },
      with(Strategy::Random, 1000));
  CHECK_MESSAGE(r.ok(), r.summary());
}

TEST_CASE("thread_names_appear_in_traces") {
  const weft::Report r = weft::explore([] {
    weft::Shared<int> x(0, "x");
    weft::Thread t([&] {
      weft::this_thread::set_name("writer");
      x.store(1);
    });
    t.join();
    WEFT_ASSERT(x.load() == 2);
  });
  REQUIRE(r.bugs.size() == 1);
  CHECK(contains(r.bugs[0].trace, "writer"));
  CHECK(contains(r.bugs[0].trace, "store x"));
}

TEST_CASE("fiber_stacks_are_reused_across_schedules") {
  // Thousands of schedules with several threads each: stacks come from the pool, so this stays
  // fast and within memory (a leak of 256 KiB per thread per schedule would be ~3 GiB here).
  const weft::Report r = weft::explore([] { locked_counter(4, 1); }, with(Strategy::Random, 3000));
  CHECK(r.ok());
}

TEST_SUITE_END();
