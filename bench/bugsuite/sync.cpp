// Blocking-synchronisation bugs: the classic condition-variable mistakes (the lost wake-up, `if`
// instead of `while` around a wait, one condition variable with notify_one for two kinds of
// waiter — Lampson and Redell's Mesa monitors, Birrell's "An introduction to programming with
// threads", the bounded-buffer exercise of every operating-systems course), and the seed
// tutorial's own broken programs (examples/: the lost update, the naive bank transfers, the
// rate limiter, the poison-pill pool), here in variants whose bug needs an interleaving where
// the seed's did not. Written fresh in weft's idiom.
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <weft/weft.hpp>

#include "bugsuite.hpp"

namespace bugsuite {
namespace {

// lost_wakeup. A consumer tests a flag and, if it is not set, waits on a condition variable;
// the producer sets the flag and notifies. Bug: the consumer tests the flag without holding
// the lock the producer would need to change it, and the producer notifies without it, so the
// notify can fall between the test and the wait, when nobody waits: the consumer then waits
// forever. Fixed: wait with the predicate under the lock, set the flag under it. Expected:
// Deadlock.
void lost_wakeup(bool buggy) {
  weft::Mutex m("m");
  weft::CondVar cv("ready cv");
  weft::Atomic<bool> ready(false, "ready");
  weft::Thread consumer([&] {
    if (buggy) {
      if (!ready.load()) {
        std::unique_lock g(m);
        cv.wait(g);  // BUG: the notify may already have happened
      }
    } else {
      std::unique_lock g(m);
      cv.wait(g, [&] { return ready.load(); });
    }
  });
  weft::Thread producer([&] {
    if (buggy) {
      ready.store(true);
    } else {
      std::lock_guard g(m);
      ready.store(true);
    }
    cv.notify_one();
  });
  consumer.join();
  producer.join();
}

// if_not_while (Mesa semantics: a woken waiter must test its condition again; the seed's
// condition producer and consumers with the predicate loop written as an `if`). Two consumers
// take one item each, waiting while there is none; a producer adds two items, notifying one
// waiter each time. Bug: a consumer woken by a notify re-acquires the lock after the other
// consumer, arriving fresh, has taken the item — and goes on with `if` as if the item were
// there. Fixed: `while`. Expected: AssertionFailure.
void if_not_while(bool buggy) {
  weft::Mutex m("items lock");
  weft::CondVar cv("items cv");
  int items = 0;  // guarded by m
  auto consumer = [&] {
    std::unique_lock g(m);
    if (buggy) {
      if (items == 0) cv.wait(g);  // BUG: not re-tested after the wake-up
    } else {
      while (items == 0) cv.wait(g);
    }
    WEFT_ASSERT_MSG(items > 0, "woke up to no item");
    --items;
  };
  weft::Thread c1(consumer);
  weft::Thread c2(consumer);
  weft::Thread producer([&] {
    for (int i = 0; i < 2; ++i) {
      {
        std::lock_guard g(m);
        ++items;
      }
      cv.notify_one();
    }
  });
  c1.join();
  c2.join();
  producer.join();
}

// bounded_buffer (a one-slot buffer with a single condition variable for "not full" and "not
// empty", and notify_one). Two producers put two items each, two consumers get two each; every
// wait is in a correct `while` loop. Bug: notify_one may wake a thread of the wrong kind — a
// consumer that took the item wakes the other consumer instead of a producer — and once every
// thread waits, nobody is left to notify. Fixed: one condition variable per condition.
// Expected: Deadlock.
void bounded_buffer(bool buggy) {
  weft::Mutex m("buffer lock");
  weft::CondVar shared_cv("buffer cv");
  weft::CondVar not_full("not full");
  weft::CondVar not_empty("not empty");
  weft::CondVar& wait_not_full = buggy ? shared_cv : not_full;
  weft::CondVar& wait_not_empty = buggy ? shared_cv : not_empty;
  std::optional<int> slot;  // guarded by m
  weft::Atomic<int> received(0, "received");
  auto producer = [&](int first) {
    for (int v = first; v < first + 2; ++v) {
      std::unique_lock g(m);
      while (slot) wait_not_full.wait(g);
      slot = v;
      wait_not_empty.notify_one();
    }
  };
  auto consumer = [&] {
    for (int i = 0; i < 2; ++i) {
      std::unique_lock g(m);
      while (!slot) wait_not_empty.wait(g);
      slot.reset();
      received.fetch_add(1);
      wait_not_full.notify_one();
    }
  };
  weft::Thread c1(consumer);
  weft::Thread c2(consumer);
  weft::Thread p1([&] { producer(0); });
  weft::Thread p2([&] { producer(10); });
  c1.join();
  c2.join();
  p1.join();
  p2.join();
  WEFT_ASSERT(received.load() == 4);
}

// lost_update (the seed's `counter += 1`, examples/lost_update.cpp). Two threads increment a
// shared counter twice each; += is a load and then a store. Fixed: under a lock. Expected:
// LostUpdate (the happens-before checker sees two unordered read-modify-writes).
void lost_update(bool buggy) {
  weft::Shared<int> counter(0, "counter");
  weft::Mutex m("counter lock");
  auto increment = [&] {
    for (int i = 0; i < 2; ++i) {
      std::unique_lock g(m, std::defer_lock);
      if (!buggy) g.lock();
      counter += 1;
    }
  };
  weft::Thread a(increment);
  weft::Thread b(increment);
  a.join();
  b.join();
  WEFT_ASSERT(counter.load() == 4);
}

// bank_transfer (the seed's bank, examples/bank_transfer.cpp). Accounts with their own locks;
// a transfer locks the source, then the destination. Two transfers in opposite directions
// deadlock. Fixed: lock the two accounts in account order. Expected: Deadlock.
struct Account {
  Account(int id, int opening)
      : lock("account " + std::to_string(id) + " lock"),
        balance(opening, "account " + std::to_string(id)),
        id(id) {}
  weft::Mutex lock;
  weft::Shared<int> balance;
  int id;
};

void bank_transfer(bool buggy) {
  Account alice(1, 100), bob(2, 50), carol(3, 0);
  auto transfer = [buggy](Account& from, Account& to, int amount) {
    const bool in_order = buggy || from.id < to.id;
    std::lock_guard first(in_order ? from.lock : to.lock);
    std::lock_guard second(in_order ? to.lock : from.lock);
    if (from.balance.load() >= amount) {
      from.balance -= amount;
      to.balance += amount;
    }
  };
  weft::Thread t1([&] { transfer(alice, bob, 30); });
  weft::Thread t2([&] { transfer(bob, alice, 20); });
  weft::Thread t3([&] { transfer(bob, carol, 10); });
  t1.join();
  t2.join();
  t3.join();
  const int total = alice.balance.load() + bob.balance.load() + carol.balance.load();
  WEFT_ASSERT_MSG(total == 150, "total " + std::to_string(total));
}

// rate_limiter (the seed's Semaphore(3) rate limiter, examples/rate_limiter.cpp, with one
// permit too many). Five workers make a request each through a semaphore meant to let at most
// three in at once; an atomic counts who is inside. Bug: Semaphore(4). Unlike the seed's
// version, a request does not sleep (virtual time would let every worker in before the first
// sleep ends, in every schedule), so four workers are inside at once only in some
// interleavings. Fixed: Semaphore(3). Expected: AssertionFailure.
void rate_limiter(bool buggy) {
  constexpr int kLimit = 3;
  weft::Semaphore permits(buggy ? kLimit + 1 : kLimit, "rate limit");
  weft::Atomic<int> inside(0, "inside");
  weft::Atomic<int> served(0, "served");
  std::vector<weft::Thread> workers;
  for (int i = 0; i < 5; ++i) {
    workers.emplace_back([&] {
      permits.acquire();
      const int now = inside.fetch_add(1) + 1;
      WEFT_ASSERT_MSG(now <= kLimit, std::to_string(now) + " requests at once");
      served.fetch_add(1);  // the request
      inside.fetch_sub(1);
      permits.release();
    });
  }
  for (weft::Thread& w : workers) w.join();
}

// poison_pill (the seed's worker pool stopped with poison pills, examples/poison_pill.cpp, one
// pill short). Three workers take tasks from a queue until they get a pill (an empty
// optional); the main thread puts four tasks and two pills. One worker never gets its pill.
// Fixed: one pill per worker. Expected: Deadlock (in every schedule).
void poison_pill(bool buggy) {
  constexpr int kWorkers = 3;
  weft::Queue<std::optional<int>> tasks(0, "tasks");
  weft::Atomic<int> done(0, "done");
  std::vector<weft::Thread> pool;
  for (int i = 0; i < kWorkers; ++i) {
    pool.emplace_back([&] {
      while (tasks.get()) done.fetch_add(1);
    });
  }
  for (int t = 0; t < 4; ++t) tasks.put(t);
  for (int i = 0; i < (buggy ? kWorkers - 1 : kWorkers); ++i) tasks.put(std::nullopt);
  for (weft::Thread& w : pool) w.join();
  WEFT_ASSERT(done.load() == 4);
}

}  // namespace

std::vector<BugProgram> sync_programs() {
  using K = weft::BugKind;
  constexpr const char* kCv = "condition variables";
  constexpr const char* kSeed = "seed";
  std::vector<BugProgram> p;
  p.push_back(
      {"lost_wakeup", kCv, [] { lost_wakeup(true); }, K::Deadlock, [] { lost_wakeup(false); }});
  p.push_back({"if_not_while", kCv, [] { if_not_while(true); }, K::AssertionFailure,
               [] { if_not_while(false); }});
  p.push_back({"bounded_buffer", kCv, [] { bounded_buffer(true); }, K::Deadlock,
               [] { bounded_buffer(false); }});
  p.push_back(
      {"lost_update", kSeed, [] { lost_update(true); }, K::LostUpdate, [] { lost_update(false); }});
  p.push_back({"bank_transfer", kSeed, [] { bank_transfer(true); }, K::Deadlock,
               [] { bank_transfer(false); }});
  p.push_back({"rate_limiter", kSeed, [] { rate_limiter(true); }, K::AssertionFailure,
               [] { rate_limiter(false); }});
  p.push_back(
      {"poison_pill", kSeed, [] { poison_pill(true); }, K::Deadlock, [] { poison_pill(false); }});
  return p;
}

}  // namespace bugsuite
